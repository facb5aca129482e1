"""A session's events, told to the incident's CSM journal (journal_app): the facts of each.

Each function is called inside the transaction that records its event, so the note exists
exactly when the event does; journal_app leaves out the events ``CSM_WRITEBACK_EVENTS`` does
not name. No link is ever handed over (journal_app/facts.py says why).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import User

from journal_app.facts import (
    ClosedFacts,
    ConnectionFacts,
    CreatedFacts,
    CustomerWaitingFacts,
    EmailedFacts,
    ExpiredFacts,
    ReportFacts,
)
from journal_app.models import JournalNote
from journal_app.services import journal_note, journal_note_row, journal_note_write, journal_notes_add

from ..models import Session

Event = JournalNote.Event


def journal_created_row(
    session: Session, *, agent: User, code: str, valid_until: datetime
) -> JournalNote | None:
    """The create's note, unwritten (a create writes it in its own one statement, before the
    session's row has its ``code`` and ``valid_until``)."""
    facts = CreatedFacts(code=code, valid_until=valid_until, agent=agent.get_username())
    return journal_note_row(session_id=session.pk, incident_id=session.incident_id, event=Event.CREATED, facts=facts)


def journal_created(session: Session, *, agent: User) -> None:
    """An open session's create (recorded through the ORM, or by reconciliation)."""
    journal_note_write(
        journal_created_row(session, agent=agent, code=session.code, valid_until=session.valid_until)
    )


def journal_emailed(session: Session, *, to: str) -> None:
    facts = EmailedFacts(code=session.code, to=to)
    journal_note(session_id=session.pk, incident_id=session.incident_id, event=Event.EMAILED, facts=facts)


def journal_customer_waiting(session: Session, *, since: datetime) -> None:
    facts = CustomerWaitingFacts(code=session.code, since=since)
    journal_note(session_id=session.pk, incident_id=session.incident_id, event=Event.CUSTOMER_WAITING, facts=facts)


def journal_closed(session: Session, *, by: User | None) -> None:
    """``by``: who closed it; None when it ended at TeamViewer."""
    facts = ClosedFacts(code=session.code, by=by.get_username() if by is not None else "")
    journal_note(session_id=session.pk, incident_id=session.incident_id, event=Event.CLOSED, facts=facts)


def journal_expired(sessions: Iterable[Session]) -> None:
    """The expiry's notes, one INSERT for a batch of sessions."""
    journal_notes_add(
        journal_note_row(
            session_id=session.pk,
            incident_id=session.incident_id,
            event=Event.EXPIRED,
            facts=ExpiredFacts(code=session.code, valid_until=session.valid_until),
        )
        for session in sessions
    )


def journal_report(session: Session, *, connections: Iterable[ConnectionFacts]) -> None:
    """The session's connection report: each connection TeamViewer reported (none: the customer
    never connected). Call in the transaction that stores the report."""
    facts = ReportFacts(code=session.code, connections=tuple(connections))
    journal_note(session_id=session.pk, incident_id=session.incident_id, event=Event.REPORT, facts=facts)
