"""The agent's connection: status, disconnect, and the purge of tokens nothing can revive."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from tests.conftest import TV_API
from tests.factories import TeamViewerTokenFactory
from tokens_app.models import TeamViewerToken
from tokens_app.services import token_disconnect, token_status, tokens_purge_dead

from .conftest import NEW_ACCESS_TOKEN

REVOKE_URL = f"{TV_API}/oauth2/revoke"


# --- status and disconnect ------------------------------------------------------------------


def test_disconnect_revokes_with_the_bearer_token_and_forgets_it(tv, agent, token, forgotten):
    revoke = tv.post(REVOKE_URL, status=204)

    token_disconnect(agent=agent)

    assert revoke.calls[0].request.headers["Authorization"] == f"Bearer {token.access_token}"
    assert not TeamViewerToken.objects.exists()
    assert token_status(agent=agent) == {"connected": False, "expires_at": None, "account_name": None, "account_email": None}
    assert forgotten() == [(agent.pk, "disconnected")]


def test_disconnect_of_a_stale_token_refreshes_it_first_so_the_revoke_kills_the_refresh_token(
    tv, token_endpoint, agent, token
):
    token_endpoint()
    revoke = tv.post(REVOKE_URL, status=204)

    with time_machine.travel(token.expires_at, tick=False):
        token_disconnect(agent=agent)

    assert revoke.calls[0].request.headers["Authorization"] == f"Bearer {NEW_ACCESS_TOKEN}"
    assert not TeamViewerToken.objects.exists()


def test_disconnect_forgets_the_token_even_when_teamviewer_is_down(tv, agent, token):
    tv.post(REVOKE_URL, status=503, json={"error": "internal_error"})

    token_disconnect(agent=agent)

    assert not TeamViewerToken.objects.exists()


def test_status_reports_a_refreshable_token_as_connected(agent, token):
    assert token_status(agent=agent) == {
        "connected": True,
        "expires_at": token.expires_at,
        "account_name": None,  # TeamViewer did not say (the factory's token has no account)
        "account_email": None,
    }


# --- cleanup --------------------------------------------------------------------------------


def test_purge_deletes_only_expired_tokens_that_cannot_be_refreshed(agent, other_agent):
    past = timezone.now() - timedelta(minutes=1)
    dead = TeamViewerTokenFactory(agent=agent, refresh_token="", expires_at=past)
    refreshable = TeamViewerTokenFactory(agent=other_agent, expires_at=past)
    live_without_refresh = TeamViewerTokenFactory(refresh_token="")

    assert tokens_purge_dead() == 1

    remaining = set(TeamViewerToken.objects.values_list("pk", flat=True))
    assert remaining == {refreshable.pk, live_without_refresh.pk}
    assert dead.pk not in remaining
