"""store_connection_reports (services/connections.py): the one place a session's report rows are
written, by report id, and the one moment the report becomes final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import SessionConnection
from sessions_app.services.connections import connections_give_up, store_connection_reports
from tests.factories import SessionFactory
from tokens_app.teamviewer import ConnectionReport

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def connection(report_id: str, *, minutes: int = 10, notes: str = "") -> ConnectionReport:
    return ConnectionReport(
        id=report_id,
        session_code="s98-765-432",
        username="Agent Smith",
        start_date=START,
        end_date=START + timedelta(minutes=minutes),
        notes=notes,
    )


def test_storing_the_same_reports_again_adds_no_row_and_updates_what_changed(agent):
    session = SessionFactory(agent=agent, state="closed", closed_at=timezone.now())

    first = store_connection_reports(session, [connection("r-1")], final=False)
    again = store_connection_reports(
        session, [connection("r-1", notes="Fixed."), connection("r-2"), connection("r-2")], final=False
    )

    assert [row.report_id for row in first.added] == ["r-1"]
    assert [row.report_id for row in again.added] == ["r-2"]
    assert SessionConnection.objects.filter(session=session).count() == 2 == session.connections_count
    assert SessionConnection.objects.get(report_id="r-1").notes == "Fixed."
    assert not first.newly_final and not again.newly_final


def test_the_report_becomes_final_once_and_is_told_once(agent):
    session = SessionFactory(agent=agent, state="expired", closed_at=timezone.now())

    final = store_connection_reports(session, [connection("r-1", minutes=12)], final=True)
    later = store_connection_reports(session, [connection("r-1", minutes=12)], final=True)

    assert final.newly_final and not later.newly_final
    session.refresh_from_db()
    assert (session.connections_final, session.connections_due_at, session.connections_count) == (True, None, 1)
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.REPORT)
    assert (event.session_id, event.outcome, event.detail) == (session.pk, "connected", "1 connection(s), 720 s in all")


def test_giving_up_keeps_the_rows_and_is_told_once_with_the_reason(agent):
    session = SessionFactory(agent=agent, state="closed", closed_at=timezone.now())
    store_connection_reports(session, [connection("r-1")], final=False)

    assert connections_give_up(session, reason="TeamViewer refused.") is True
    assert connections_give_up(session, reason="Again.") is False

    session.refresh_from_db()
    assert (session.connections_final, session.connections_error, session.connections_count) == (
        True, "TeamViewer refused.", 1
    )
    assert list(AuditEvent.objects.filter(action="report").values_list("outcome", "detail")) == [
        ("unavailable", "TeamViewer refused.")
    ]
