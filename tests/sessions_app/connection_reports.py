"""Closed sessions due for their connection reports, and TeamViewer's report pages, for the tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from responses import matchers

from sessions_app.models import Session
from tests.conftest import TV_API
from tests.factories import SessionFactory

REPORTS_URL = f"{TV_API}/reports/connections"
CODE = "s55-123-456"


def closed_session(agent, *, code: str = CODE, minutes_ago: float = 0, **fields) -> Session:
    """A session closed ``minutes_ago``, due for its reports now (as the move that closed it left it)."""
    closed_at = timezone.now() - timedelta(minutes=minutes_ago)
    fields = {"state": "closed", "closed_at": closed_at, "connections_due_at": closed_at, **fields}
    return SessionFactory(agent=agent, code=code, **fields)


def report(report_id: str, *, code: str = CODE, minutes: int | None = 12, **fields) -> dict:
    """One record as TeamViewer's GET /reports/connections lists it (API notes §4.1)."""
    body = {
        "id": report_id,
        "session_code": code,
        "userid": "u1234",
        "username": "Agent Smith",
        "deviceid": "987654321",
        "devicename": "Hanako's PC",
        "start_date": "2026-11-30T09:00:00Z",
        "support_session_type": 2,
        "notes": "Printer driver reinstalled.",
        **fields,
    }
    if minutes is not None:
        body["end_date"] = f"2026-11-30T09:{minutes:02d}:00Z"
    return body


def answer_reports(tv, *pages: dict, code: str = CODE):
    """TeamViewer's report pages for ``code``: the first without offset_id, each next one after it."""
    mocks = []
    offset = None
    for page in pages:
        query = {"session_code": code, **({"offset_id": offset} if offset else {})}
        mocks.append(tv.get(REPORTS_URL, match=[matchers.query_param_matcher(query)], json=page))
        offset = page.get("next_offset")
    return mocks


def due(session: Session) -> Session:
    """The session as the database has it now, due for a fetch at once."""
    Session.objects.filter(pk=session.pk).update(connections_due_at=timezone.now())
    session.refresh_from_db()
    return session
