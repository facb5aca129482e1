"""The admin's TeamViewer side: agents' connections, the disconnect action, the status panel."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.urls import reverse
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from tests.admin_actions import admin_action_post, admin_messages
from tests.conftest import TV_API
from tests.factories import TeamViewerTokenFactory
from tokens_app.models import TeamViewerToken

STATUS_URL = "/admin/tokens_app/teamviewertoken/status/"


def ping_cell(response) -> tuple[str, str]:
    html = response.content.decode()
    start = html.index('id="teamviewer-ping"')
    cell = html[start: html.index("</td>", start)]
    state = cell.split('data-state="')[1].split('"')[0]
    return state, cell.split(">", 1)[1]


def test_status_panel_is_at_its_admin_url(admin_client):
    assert reverse("admin:tokens_app_teamviewer_status") == STATUS_URL


def test_connections_list_shows_agent_connected_and_expiry_but_no_token(agent, other_agent, admin_client):
    live = TeamViewerTokenFactory(agent=agent)
    dead = TeamViewerTokenFactory(
        agent=other_agent, refresh_token="", expires_at=timezone.now() - timedelta(minutes=1)
    )

    response = admin_client.get(reverse("admin:tokens_app_teamviewertoken_changelist"))

    html = response.content.decode()
    rows = {token.agent.username: response.context["cl"].model_admin.connected(token)
            for token in response.context["cl"].result_list}
    assert rows == {"agent.smith": True, "agent.jones": False}
    for secret in (live.access_token, live.refresh_token, dead.access_token):
        assert secret not in html


def test_disconnect_action_revokes_at_teamviewer_and_forgets_the_token(agent, admin_client, tv):
    token = TeamViewerTokenFactory(agent=agent)
    tv.post(f"{TV_API}/oauth2/revoke", json={})

    response = admin_action_post(admin_client, TeamViewerToken, "disconnect", [token])

    [call] = tv.calls
    assert call.request.headers["Authorization"] == f"Bearer {token.access_token}"
    assert not TeamViewerToken.objects.filter(agent=agent).exists()
    assert "1 agent(s) disconnected from TeamViewer." in admin_messages(response)
    assert AuditEvent.objects.filter(action="disconnect", actor=agent, outcome="ok").exists()


def test_disconnect_forgets_the_token_even_when_teamviewer_is_down(agent, admin_client, tv):
    token = TeamViewerTokenFactory(agent=agent)
    tv.post(f"{TV_API}/oauth2/revoke", status=503)

    admin_action_post(admin_client, TeamViewerToken, "disconnect", [token])

    assert not TeamViewerToken.objects.filter(agent=agent).exists()


@pytest.mark.parametrize(("sandbox", "says"), [(True, "Sandbox"), (False, "TeamViewer client configured")])
def test_status_panel_says_whether_a_client_is_configured(sandbox, says, settings, admin_client, tv):
    settings.TEAMVIEWER_SANDBOX = sandbox

    response = admin_client.get(STATUS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    mode = html[html.index('id="teamviewer-mode"'):]
    assert mode.split(">", 1)[1].startswith(says)
    assert TV_API in html


def test_status_panel_never_shows_the_client_secret(settings, admin_client, tv):
    settings.TEAMVIEWER_SANDBOX = False

    html = admin_client.get(STATUS_URL).content.decode()

    assert settings.TEAMVIEWER_CLIENT_SECRET not in html


def test_status_panel_without_own_token_says_so_and_does_not_ping(admin_client, tv):
    response = admin_client.get(STATUS_URL)

    state, message = ping_cell(response)
    assert state == "no_token" and "You have no TeamViewer connection" in message
    assert len(tv.calls) == 0


def test_status_panel_pings_with_the_admins_own_token(admin_user, admin_client, agent, tv):
    own = TeamViewerTokenFactory(agent=admin_user)
    TeamViewerTokenFactory(agent=agent)
    tv.get(f"{TV_API}/ping", json={"token_valid": True})

    state, message = ping_cell(admin_client.get(STATUS_URL))

    assert state == "ok" and "accepted your token" in message
    [call] = tv.calls
    assert call.request.headers["Authorization"] == f"Bearer {own.access_token}"


def test_status_panel_refreshes_an_expiring_token_before_the_ping(admin_user, admin_client, tv):
    token = TeamViewerTokenFactory(agent=admin_user, expires_at=timezone.now() + timedelta(seconds=10))
    tv.post(
        f"{TV_API}/oauth2/token",
        json={"access_token": "fresh-access", "refresh_token": "fresh-refresh", "expires_in": 86400},
    )
    tv.get(f"{TV_API}/ping", json={"token_valid": True})

    state, _ = ping_cell(admin_client.get(STATUS_URL))

    assert state == "ok"
    refresh_call, ping_call = tv.calls
    assert parse_qs(refresh_call.request.body)["refresh_token"] == [token.refresh_token]
    assert ping_call.request.headers["Authorization"] == "Bearer fresh-access"


def test_status_panel_reports_a_token_teamviewer_refuses(admin_user, admin_client, tv):
    TeamViewerTokenFactory(agent=admin_user)
    tv.get(f"{TV_API}/ping", json={"token_valid": False})

    state, message = ping_cell(admin_client.get(STATUS_URL))

    assert state == "refused" and "did not accept your token" in message


@pytest.mark.parametrize("status", [500, 503])
def test_status_panel_reports_teamviewer_unavailable_cleanly(status, admin_user, admin_client, tv):
    token = TeamViewerTokenFactory(agent=admin_user)
    tv.get(f"{TV_API}/ping", status=status, body="<html>down</html>")

    response = admin_client.get(STATUS_URL)

    assert response.status_code == 200
    state, message = ping_cell(response)
    assert state == "error" and "teamviewer_unavailable" in message
    assert token.access_token not in response.content.decode()


def test_status_panel_when_the_refresh_is_refused_asks_to_sign_in_again(admin_user, admin_client, tv):
    TeamViewerTokenFactory(agent=admin_user, expires_at=timezone.now() + timedelta(seconds=10))
    tv.post(f"{TV_API}/oauth2/token", status=400, json={"error": "invalid_grant"})

    state, message = ping_cell(admin_client.get(STATUS_URL))

    assert state == "refused" and "sign in again" in message
    assert not TeamViewerToken.objects.filter(agent=admin_user).exists()


def test_status_panel_needs_staff(client, agent):
    client.force_login(agent)

    response = client.get(STATUS_URL)

    assert response.status_code == 302 and "/admin/login/" in response["Location"]
