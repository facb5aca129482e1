"""A session's connection reports as rows: the one place they are written.

``store_connection_reports`` upserts TeamViewer's reports by their id (a fetch again never adds
a row twice) and, when the caller says the report is final, marks the session so in the same
transaction and records the ``report`` audit event: the one moment a session's report is told.
``connections_give_up`` ends a report that could not be fetched, told the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from journal_app.facts import ConnectionFacts
from tokens_app.teamviewer import ConnectionReport

from ..models import Session, SessionConnection
from .journal import journal_report

# What a fetch again may change of a stored row (a connection still running has no end yet).
_UPDATED_FIELDS = ["start", "end", "duration_seconds", "supporter", "device_name", "device_id", "notes", "fetched_at"]
# The audit's outcomes of a final report.
CONNECTED = "connected"
NEVER_CONNECTED = "never_connected"
UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class StoredConnections:
    connections: list[SessionConnection]  # all the session's rows, after this store
    added: list[SessionConnection]  # of those, the rows this store added
    newly_final: bool  # this store made the report final (it was not before)


def store_connection_reports(
    session: Session, reports: Iterable[ConnectionReport], *, final: bool
) -> StoredConnections:
    """Store ``reports`` as the session's connection rows (by report id: updated, never doubled);
    with ``final``, the session's report is complete (an empty one: the customer never came)."""
    now = timezone.now()
    rows = _rows(session, reports, now=now)
    with transaction.atomic():
        known = set(SessionConnection.objects.filter(session=session).values_list("report_id", flat=True))
        if rows:
            SessionConnection.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["session", "report_id"], update_fields=_UPDATED_FIELDS
            )
        count = len(known | {row.report_id for row in rows})
        newly_final = _mark_fetched(session, count=count, final=final, at=now)
        connections = list(SessionConnection.objects.filter(session=session))
        if newly_final:
            _report_final(session, connections=connections, outcome=CONNECTED if connections else NEVER_CONNECTED)
    added = [row for row in connections if row.report_id not in known]
    return StoredConnections(connections=connections, added=added, newly_final=newly_final)


def connections_give_up(session: Session, *, reason: str) -> bool:
    """The reports cannot be fetched (the agent's sign-in was revoked, TeamViewer refuses or stayed
    down): the report is final with ``reason``, and what was stored stays. Whether this ended it."""
    with transaction.atomic():
        ended = Session.objects.filter(pk=session.pk, connections_final=False).update(
            connections_final=True, connections_error=reason[:300], connections_due_at=None
        )
        if ended:
            session.connections_final, session.connections_error, session.connections_due_at = True, reason[:300], None
            _report_final(session, connections=None, outcome=UNAVAILABLE, detail=reason)
    return bool(ended)


def _rows(session: Session, reports: Iterable[ConnectionReport], *, now: datetime) -> list[SessionConnection]:
    # Only this code's reports, each once (TeamViewer filters by code; a stand-in might not).
    code = session.code.lower()
    unique = {r.id: r for r in reports if r.id and (not r.session_code or r.session_code.lower() == code)}
    return [_row(session, report, now=now) for report in unique.values()]


def _row(session: Session, report: ConnectionReport, *, now: datetime) -> SessionConnection:
    duration = report.duration
    return SessionConnection(
        session=session,
        report_id=report.id[:64],
        start=report.start_date,
        end=report.end_date,
        duration_seconds=int(duration.total_seconds()) if duration is not None else None,
        supporter=report.username[:254],
        device_name=report.device_name[:200],
        device_id=report.device_id[:64],
        notes=report.notes,
        fetched_at=now,
    )


def _mark_fetched(session: Session, *, count: int, final: bool, at: datetime) -> bool:
    """Record the fetch on the session; whether it made the report final just now."""
    changes = {"connections_fetched_at": at, "connections_count": count}
    newly_final = final and bool(
        Session.objects.filter(pk=session.pk, connections_final=False).update(
            connections_final=True, connections_due_at=None, connections_error="", **changes
        )
    )
    if newly_final:
        session.connections_final, session.connections_due_at, session.connections_error = True, None, ""
    else:
        Session.objects.filter(pk=session.pk).update(**changes)
    session.connections_fetched_at, session.connections_count = at, count
    return newly_final


def _report_final(
    session: Session, *, connections: list[SessionConnection] | None, outcome: str, detail: str = ""
) -> None:
    """The session's report is final: audit it and write it to the incident's journal, in the
    transaction that made it so. A report that could not be fetched is audited only (the
    admin shows why); the journal tells what TeamViewer reported."""
    if connections is not None:
        seconds = sum(row.duration_seconds or 0 for row in connections)
        detail = f"{len(connections)} connection(s), {seconds} s in all"
        journal_report(session, connections=[_facts(row) for row in connections])
    audit_record(action=AuditEvent.Action.REPORT, actor=None, session=session, outcome=outcome, detail=detail, via="worker")


def _facts(row: SessionConnection) -> ConnectionFacts:
    return ConnectionFacts(
        start=row.start,
        end=row.end,
        duration_seconds=row.duration_seconds,
        supporter=row.supporter,
        device=row.device_name or row.device_id,
        notes=row.notes,
    )
