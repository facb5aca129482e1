from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from responses import matchers

from csm_teamviewer.audit.models import AuditEvent
from tests.conftest import TV_API
from tests.factories import TeamViewerTokenFactory
from tokens_app.models import TeamViewerToken

URL = "/api/v1/me/teamviewer/"


def test_status_without_a_token_is_not_connected(api):
    assert api.get(URL).json() == {"connected": False, "expires_at": None, "account_name": None, "account_email": None}


def test_status_with_a_token_is_connected_with_its_expiry_and_no_secret(api, tv_token):
    response = api.get(URL)
    body = response.json()
    assert body["connected"] is True
    assert parse_datetime(body["expires_at"]) == tv_token.expires_at
    assert tv_token.access_token not in response.content.decode()
    assert tv_token.refresh_token not in response.content.decode()


def test_status_of_an_expired_unrefreshable_token_is_not_connected(api, agent):
    TeamViewerTokenFactory(agent=agent, refresh_token="", expires_at=timezone.now() - timedelta(minutes=1))
    assert api.get(URL).json()["connected"] is False


def test_status_is_the_acting_agents_own(other_api, tv_token):
    assert other_api.get(URL).json()["connected"] is False


def test_disconnect_revokes_at_teamviewer_forgets_the_token_and_is_audited(api, agent, tv, tv_token):
    tv.post(
        f"{TV_API}/oauth2/revoke",
        status=204,
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"})],
    )
    response = api.delete(URL)
    assert response.status_code == 204
    assert not TeamViewerToken.objects.exists()
    assert len(tv.calls) == 1
    event = AuditEvent.objects.get(action="disconnect")
    assert (event.actor, event.outcome, event.detail) == (agent, "ok", "disconnected")


def test_disconnect_forgets_the_token_even_when_teamviewer_is_down(api, tv, tv_token):
    tv.post(f"{TV_API}/oauth2/revoke", status=503, body="down")
    assert api.delete(URL).status_code == 204
    assert not TeamViewerToken.objects.exists()


def test_disconnect_without_a_token_is_204_too(api, tv):
    assert api.delete(URL).status_code == 204
    assert not tv.calls
