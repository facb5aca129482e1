"""The dashboard's number of queries does not grow with the number of sessions (10 or 10,000)."""
from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.factories import AgentFactory

from .test_dashboard import URL

STATES = (Session.State.CLOSED, Session.State.EXPIRED, Session.State.CLOSED, Session.State.OPEN)
OUTCOMES = ("ok", "teamviewer_rate_limited", "teamviewer_unavailable", "ok")


def _seed(count: int) -> None:
    """``count`` sessions over the last 30 days across 20 agents, each with an invitation and an audit row."""
    agents = [AgentFactory(username=f"bulk.agent{n}") for n in range(20)]
    now = timezone.now()
    sessions = Session.objects.bulk_create(
        Session(
            agent=agents[n % 20], incident_id=f"INC-{n}", code=f"s{n:09d}", state=STATES[n % 4],
            created_at=now - timedelta(minutes=n * 4), valid_until=now + timedelta(days=1),
            customer_waiting_since=now - timedelta(minutes=n * 4 - n % 90) if n % 3 else None,
        )
        for n in range(count)
    )  # fmt: skip
    InvitationEmail.objects.bulk_create(
        InvitationEmail(session=session, to="customer@example.com", language="en", status=("sent", "failed")[n % 2])
        for n, session in enumerate(sessions)
    )
    AuditEvent.objects.bulk_create(
        AuditEvent(action="create", session_id=session.pk, incident_id=session.incident_id, outcome=OUTCOMES[n % 4],
                   at=session.created_at)
        for n, session in enumerate(sessions)
    )  # fmt: skip


def _queries(client) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return len(captured), {chart.id: chart for chart in response.context["charts"]}


def test_the_dashboard_makes_as_many_queries_for_10_sessions_as_for_10000(admin_client):
    _seed(10)
    few, few_charts = _queries(admin_client)
    Session.objects.all().delete()  # and their invitations
    AuditEvent.objects.all().delete()
    _seed(10_000)
    many, many_charts = _queries(admin_client)

    print(f"dashboard queries: {few} with 10 sessions, {many} with 10,000")  # noqa: T201 - the measurement
    assert few == many
    assert sum(row[1] for row in few_charts["top-agents"].rows) == 10
    # 10,000 sessions 4 minutes apart go back ~28 days: all inside the default 30.
    assert sum(sum(row[1:]) for row in many_charts["sessions-by-outcome"].rows) == 10_000
    assert sum(sum(row[1:]) for row in many_charts["invitations"].rows) == 10_000
    assert dict(many_charts["teamviewer-errors"].rows) == {
        "Rate limited (teamviewer_rate_limited)": 2_500,
        "Unavailable (down, slow or unreadable) (teamviewer_unavailable)": 2_500,
    }
