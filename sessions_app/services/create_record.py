"""Recording a session TeamViewer made: the reservation filled, its invitation queued, its audit
row, its note for the incident's CSM journal.

The writes land together or not at all. On PostgreSQL they are one statement (the UPDATE and the
INSERTs as data-modifying CTEs, the INSERTs only when the UPDATE won): through the ORM they take
six round trips (BEGIN, UPDATE, three INSERTs, COMMIT), the costliest step of a create after
TeamViewer's answer. The same statement NOTIFYs the worker's listener of the invitation and the
note (``OUTBOX_NOTIFY``), instead of a hand-over of their own after it. Elsewhere (SQLite) they
run through the ORM in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_event, audit_record
from csm_teamviewer.observability.metrics import sessions_created
from csm_teamviewer.outbox import outbox_hand_over_on_commit, outbox_notify_on, outbox_notify_sql
from csm_teamviewer.row_sql import alone, assignments, fetch_one, insert_select, mark_written, table
from journal_app.services import SEND_NOTE_TASK, journal_hand_over

from ..lifecycle import TRANSITIONS, session_mark_open, session_open_changes
from ..models import Session
from .emails import SEND_INVITATION_TASK, invitation_hand_over, invitation_outbox_row
from .journal import journal_created_row

if TYPE_CHECKING:
    from journal_app.models import JournalNote
    from tokens_app.teamviewer import RemoteSession

    from ..models import InvitationEmail

logger = logging.getLogger(__name__)

QUEUED = {"email_status": Session.EmailStatus.QUEUED}


def session_record_open(
    session: Session, *, remote: RemoteSession, agent: User, invite: bool, language: str | None, via: str
) -> bool:
    """Turn the reservation into the open session ``remote``, queue its invitation (``invite``)
    and its journal note, and audit the create: one commit. False when the reservation is no
    longer there to fill (nothing is written then)."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            recorded = _record_by_orm(session, remote=remote, agent=agent, invite=invite, language=language, via=via)
        if recorded:
            sessions_created.labels(via).inc()
        return recorded
    audit = audit_event(action=AuditEvent.Action.CREATE, actor=agent, session=session, via=via)
    audit.session_code = remote.code
    email = invitation_outbox_row(session=session, requested_by=agent, language=language) if invite else None
    changes = {**session_open_changes(session, remote=remote), **(QUEUED if invite else {})}
    note = journal_created_row(session, agent=agent, code=remote.code, valid_until=changes["valid_until"])
    rows: list[models.Model] = [audit]
    handed: list[tuple[str, int]] = []  # (task name, index in rows) of the outbox rows
    for task_name, row in ((SEND_INVITATION_TASK, email), (SEND_NOTE_TASK, note)):
        if row is not None:
            handed.append((task_name, len(rows)))
            rows.append(row)
    # On PostgreSQL the statement also hands them over (a NOTIFY sent when it commits).
    notified = bool(handed) and outbox_notify_on()
    try:
        recorded = _record_in_one_statement(session, changes=changes, rows=rows, notify=handed if notified else [])
    except DatabaseError:
        if not notified:
            raise
        # Nothing was written: record again without the NOTIFY, and hand the rows to the broker.
        logger.warning("The create's NOTIFY failed; its outbox rows go to the broker instead.", exc_info=True)
        notified = False
        recorded = _record_in_one_statement(session, changes=changes, rows=rows, notify=[])
    if not recorded:
        return False
    sessions_created.labels(via).inc()
    if not notified:
        _hand_over_on_commit(email, note)
    return True


def _hand_over_on_commit(email: InvitationEmail | None, note: JournalNote | None) -> None:
    # Once committed, in one message to the broker.
    outbox_hand_over_on_commit(
        invitation_hand_over(email.pk) if email is not None else None,
        journal_hand_over(note.pk) if note is not None else None,
    )


def _record_by_orm(
    session: Session, *, remote: RemoteSession, agent: User, invite: bool, language: str | None, via: str
) -> bool:
    if not session_mark_open(session, remote=remote, **(QUEUED if invite else {})):
        return False
    email = invitation_outbox_row(session=session, requested_by=agent, language=language) if invite else None
    note = journal_created_row(session, agent=agent, code=session.code, valid_until=session.valid_until)
    for row in (email, note):
        if row is not None:
            row.save(force_insert=True)
    _hand_over_on_commit(email, note)
    audit_record(action=AuditEvent.Action.CREATE, actor=agent, session=session, outcome="ok", via=via)
    return True


def _record_in_one_statement(
    session: Session, *, changes: dict[str, Any], rows: Sequence[models.Model], notify: Sequence[tuple[str, int]]
) -> bool:
    """UPDATE the reservation to open with ``changes`` and INSERT ``rows`` (each gets its id) when
    it moved, and NOTIFY the outbox's listener of ``notify`` (task name, index in ``rows``); False
    when it did not move (nothing is written or notified then)."""
    changes = {"state": Session.State.OPEN, "updated_at": timezone.now(), **changes}
    sets, params = assignments(Session, changes)
    allowed = TRANSITIONS[Session.State.OPEN]
    sql = [
        f"WITH opened AS (UPDATE {table(Session)} SET {sets}"  # noqa: S608 - every value is a parameter
        f" WHERE id = %s AND state IN ({', '.join(['%s'] * len(allowed))}) RETURNING id)"
    ]
    params += [session.pk, *allowed]
    for number, row in enumerate(rows):
        insert, values = insert_select(row, "FROM opened")
        sql.append(f", row{number} AS ({insert} RETURNING id)")
        params += values
    names = [f"row{number}" for number in range(len(rows))]
    selected = [f"{name}.id" for name in names]
    if notify:
        notify_sql, notify_params = outbox_notify_sql([(task_name, f"row{index}.id") for task_name, index in notify])
        selected.append(notify_sql)
        params += notify_params
    # Each CTE holds one row, or none when the UPDATE did not move: so does their product.
    sql.append(f" SELECT {', '.join(selected)} FROM {', '.join(names)}")  # noqa: S608 - CTE names
    with alone():
        found = fetch_one("".join(sql), params)
    if found is None:
        return False
    for name, value in changes.items():
        setattr(session, name, value)
    for row, pk in zip(rows, found[: len(rows)], strict=True):
        row.pk = pk
        mark_written(row)
    return True
