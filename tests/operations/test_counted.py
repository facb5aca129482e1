"""What each counter counts, in this process: TeamViewer calls by operation and outcome, logins,
token refreshes, and the sessions' creates and closes by who made them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client import REGISTRY

from csm_teamviewer.errors import TeamViewerRateLimited
from sessions_app.services.sessions import session_close
from tests.conftest import TV_API
from tests.factories import SessionFactory, TeamViewerTokenFactory
from tokens_app.teamviewer import teamviewer_for
from tokens_app.teamviewer.observed import operation_of

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", "/ping", "ping"),
        ("POST", "/sessions", "create_session"),
        ("GET", "/sessions", "list_sessions"),
        ("GET", "/sessions/s12-345-678", "get_session"),
        ("PUT", "/sessions/s12-345-678", "close_session"),
        ("GET", "/reports/connections", "connection_reports"),
        ("POST", "/oauth2/revoke", "revoke_token"),
        ("DELETE", "/users/u1", "delete_users"),
    ],
)
def test_a_call_is_named_by_its_operation_never_by_its_code(method, path, operation):
    assert operation_of(method, path) == operation


def test_a_rate_limited_call_is_counted_as_such_and_timed(tv, agent):
    TeamViewerTokenFactory(agent=agent)
    tv.get(f"{TV_API}/sessions/s12-345-678", status=429, headers={"Retry-After": "30"}, json={})
    labels = {"operation": "get_session", "outcome": "rate_limited"}
    before = sample("csm_teamviewer_teamviewer_requests_total", **labels)
    timed = sample("csm_teamviewer_teamviewer_request_duration_seconds_count", operation="get_session")

    with pytest.raises(TeamViewerRateLimited):
        teamviewer_for(agent).get_session("s12-345-678")

    assert sample("csm_teamviewer_teamviewer_requests_total", **labels) == before + 1
    assert (
        sample("csm_teamviewer_teamviewer_request_duration_seconds_count", operation="get_session")
        == timed + 1
    )


def test_a_refresh_and_a_refused_refresh_are_counted(tv, agent):
    TeamViewerTokenFactory(agent=agent, expires_at=timezone.now() - timedelta(minutes=1))
    tv.post(f"{TV_API}/oauth2/token", json={"error": "invalid_grant"}, status=400)
    tv.get(f"{TV_API}/ping", json={"token_valid": True})
    refused = sample("csm_teamviewer_token_refresh_failures_total", reason="refused")

    with pytest.raises(Exception):  # noqa: B017, PT011 - the typed error is the client's business
        teamviewer_for(agent).ping()

    assert sample("csm_teamviewer_token_refresh_failures_total", reason="refused") == refused + 1


def test_a_close_is_counted_once_by_who_closed_it_and_a_second_close_not_at_all(tv, agent):
    session = SessionFactory(agent=agent)
    TeamViewerTokenFactory(agent=agent)
    tv.put(f"{TV_API}/sessions/{session.code}", status=204)
    before = sample("csm_teamviewer_sessions_closed_total", via="page")

    session_close(session=session, actor=agent, via="page")
    session_close(session=session, actor=agent, via="page")

    assert sample("csm_teamviewer_sessions_closed_total", via="page") == before + 1


def test_a_login_required_is_counted_by_the_action_waiting(client, agent, tv):
    from tokens_app.services import login_required_error

    before = sample("csm_teamviewer_logins_required_total", action="create")
    login_required_error(agent=agent, action="create", args={"incident_id": "INC-1"})
    assert sample("csm_teamviewer_logins_required_total", action="create") == before + 1
