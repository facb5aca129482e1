"""An agent's stored tokens: refreshed before they expire, forgotten when the refresh is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from csm_teamviewer.errors import TeamViewerLoginRequired, TeamViewerUnavailable
from tests.conftest import TV_API, TV_CLIENT_ID, TV_CLIENT_SECRET
from tokens_app.models import TeamViewerToken
from tokens_app.teamviewer.tokens import access_token_for

from ..conftest import NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN, TOKEN_URL, calls_to, form

SESSION_CODE = "s12-345-678"
SESSION_URL = f"{TV_API}/sessions/{SESSION_CODE}"


def margin() -> timedelta:
    return timedelta(seconds=settings.TEAMVIEWER_REFRESH_MARGIN_SECONDS)



# --- refresh before expiry ------------------------------------------------------------------


def test_a_token_inside_the_refresh_margin_is_refreshed_once_with_the_stored_refresh_token(
    tv, token_endpoint, agent, token
):
    token_endpoint()
    old_refresh = token.refresh_token

    with time_machine.travel(token.expires_at - margin() + timedelta(seconds=1), tick=False):
        access_token = access_token_for(agent=agent)

    assert access_token == NEW_ACCESS_TOKEN
    (call,) = calls_to(tv, TOKEN_URL)
    assert form(call.request) == {
        "grant_type": "refresh_token",
        "refresh_token": old_refresh,
        "client_id": TV_CLIENT_ID,
        "client_secret": TV_CLIENT_SECRET,
    }
    stored = TeamViewerToken.objects.get(agent=agent)
    assert (stored.access_token, stored.refresh_token) == (NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN)
    assert stored.version == token.version + 1
    assert stored.refresh_lease_until is None


def test_a_token_outside_the_refresh_margin_is_used_without_any_request(tv, token_endpoint, agent, token):
    refresh = token_endpoint()

    with time_machine.travel(token.expires_at - margin() - timedelta(seconds=60), tick=False):
        access_token = access_token_for(agent=agent)

    assert access_token == token.access_token
    assert refresh.call_count == 0
    assert TeamViewerToken.objects.get(agent=agent).version == token.version


def test_an_expired_token_is_refreshed_before_use(tv, token_endpoint, agent, token):
    token_endpoint()

    with time_machine.travel(token.expires_at + timedelta(days=2), tick=False):
        assert access_token_for(agent=agent) == NEW_ACCESS_TOKEN


def test_a_refresh_answer_without_a_new_refresh_token_keeps_the_old_one(tv, token_endpoint, agent, token):
    token_endpoint(body={"access_token": NEW_ACCESS_TOKEN, "expires_in": 3600})

    with time_machine.travel(token.expires_at, tick=False):
        access_token_for(agent=agent)

    stored = TeamViewerToken.objects.get(agent=agent)
    assert (stored.access_token, stored.refresh_token) == (NEW_ACCESS_TOKEN, token.refresh_token)


def test_no_token_means_login_required_without_any_request(tv, agent):
    with pytest.raises(TeamViewerLoginRequired):
        access_token_for(agent=agent)
    assert len(tv.calls) == 0


def test_an_expired_token_without_a_refresh_token_is_forgotten(tv, agent, token, forgotten):
    TeamViewerToken.objects.filter(pk=token.pk).update(refresh_token="", expires_at=timezone.now())

    with pytest.raises(TeamViewerLoginRequired):
        access_token_for(agent=agent)

    assert not TeamViewerToken.objects.exists()
    assert len(tv.calls) == 0
    assert forgotten() == [(agent.pk, "expired and not refreshable")]


# --- refused refresh ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": "invalid_grant", "error_description": "The refresh token is invalid."}),
        (401, {"error": "invalid_token", "error_description": "The refresh token was revoked."}),
        (401, {}),
    ],
    ids=["400-invalid_grant", "401-invalid_token", "401-without-body"],
)
def test_a_refused_refresh_forgets_the_token_and_asks_for_a_login(
    tv, token_endpoint, agent, token, forgotten, status, body
):
    if body:
        token_endpoint(status=status, body=body)
    else:
        tv.post(TOKEN_URL, status=status, body="")

    with time_machine.travel(token.expires_at, tick=False), pytest.raises(TeamViewerLoginRequired):
        access_token_for(agent=agent)

    assert not TeamViewerToken.objects.filter(agent=agent).exists()
    assert len(calls_to(tv, TOKEN_URL)) == 1
    assert forgotten() == [(agent.pk, "refresh refused")]


def test_a_refresh_that_fails_for_teamviewers_reasons_keeps_the_token(tv, token_endpoint, agent, token):
    token_endpoint(status=503, body={"error": "internal_error"})

    with time_machine.travel(token.expires_at, tick=False), pytest.raises(TeamViewerUnavailable):
        access_token_for(agent=agent)

    stored = TeamViewerToken.objects.get(agent=agent)
    assert stored.refresh_token == token.refresh_token
    assert stored.refresh_lease_until is None  # the next caller may try again at once




# --- a token TeamViewer refused -----------------------------------------------------------


def test_a_401_after_another_caller_already_refreshed_uses_its_token_without_refreshing(
    tv, token_endpoint, agent, token
):
    refresh = token_endpoint()
    stale = token.access_token
    TeamViewerToken.objects.filter(pk=token.pk).update(
        access_token="refreshed-elsewhere", version=token.version + 1
    )

    assert access_token_for(agent=agent, refused=stale) == "refreshed-elsewhere"
    assert refresh.call_count == 0
