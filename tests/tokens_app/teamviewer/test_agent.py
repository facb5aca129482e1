"""The client bound to an agent: a refused token is refreshed once and retried, then forgotten."""

from __future__ import annotations

import pytest

from csm_teamviewer.errors import TeamViewerLoginRequired
from tests.conftest import TV_API
from tokens_app.models import TeamViewerToken
from tokens_app.teamviewer import teamviewer_for

from ..conftest import NEW_ACCESS_TOKEN, TOKEN_URL, calls_to

SESSIONS_URL = f"{TV_API}/sessions"

SESSION_CODE = "s12-345-678"
SESSION_URL = f"{SESSIONS_URL}/{SESSION_CODE}"


def get_session_with(agent):
    return teamviewer_for(agent).get_session(SESSION_CODE)


def test_a_401_from_teamviewer_triggers_one_refresh_and_a_retry_with_the_new_token(
    tv, token_endpoint, agent, token
):
    token_endpoint()
    tv.get(SESSION_URL, status=401, json={"error": "invalid_token"})
    tv.get(SESSION_URL, json={"code": SESSION_CODE, "state": "open"})

    session = get_session_with(agent)

    assert session.code == SESSION_CODE
    first, second = calls_to(tv, SESSION_URL)
    assert first.request.headers["Authorization"] == f"Bearer {token.access_token}"
    assert second.request.headers["Authorization"] == f"Bearer {NEW_ACCESS_TOKEN}"
    assert len(calls_to(tv, TOKEN_URL)) == 1
    assert TeamViewerToken.objects.get(agent=agent).access_token == NEW_ACCESS_TOKEN


def test_a_second_401_after_the_refresh_forgets_the_token(tv, token_endpoint, agent, token, forgotten):
    token_endpoint()
    tv.get(SESSION_URL, status=401, json={"error": "invalid_token"})

    with pytest.raises(TeamViewerLoginRequired):
        get_session_with(agent)

    assert len(calls_to(tv, SESSION_URL)) == 2
    assert len(calls_to(tv, TOKEN_URL)) == 1
    assert not TeamViewerToken.objects.filter(agent=agent).exists()
    assert forgotten() == [(agent.pk, "refused by TeamViewer")]


def test_a_401_whose_refresh_is_refused_asks_for_a_login(tv, token_endpoint, agent, token):
    token_endpoint(status=400, body={"error": "invalid_grant"})
    tv.get(SESSION_URL, status=401, json={"error": "invalid_token"})

    with pytest.raises(TeamViewerLoginRequired):
        get_session_with(agent)

    assert len(calls_to(tv, SESSION_URL)) == 1
    assert not TeamViewerToken.objects.filter(agent=agent).exists()


def test_a_listing_refused_on_its_second_page_is_read_again_whole_with_the_new_token(
    tv, token_endpoint, agent, token
):
    token_endpoint()
    first_page = {"sessions": [{"code": "s11-111-111"}], "next_offset": "2"}
    tv.get(SESSIONS_URL, json=first_page)
    tv.get(SESSIONS_URL, status=401, json={"error": "invalid_token"})
    tv.get(SESSIONS_URL, json=first_page)
    tv.get(SESSIONS_URL, json={"sessions": [{"code": "s22-222-222"}]})

    codes = [session.code for session in teamviewer_for(agent).iter_sessions()]

    assert codes == ["s11-111-111", "s22-222-222"]
    assert len(calls_to(tv, TOKEN_URL)) == 1


def test_the_cleanups_way_resolves_the_token_first_then_refreshes_a_refused_one_once(
    tv, token_endpoint, agent, token, forgotten
):
    """The cleanup resolves tokens on its calling thread and closes on its pool threads."""
    token_endpoint()
    teamviewer = teamviewer_for(agent)

    api = teamviewer.authorized()
    fresh = teamviewer.reauthorized(api)
    again = teamviewer.reauthorized(api)  # another thread met the same refusal: no second refresh
    teamviewer.forget_refused()

    assert api.access_token == token.access_token
    assert fresh.access_token == again.access_token == NEW_ACCESS_TOKEN
    assert len(calls_to(tv, TOKEN_URL)) == 1
    assert NEW_ACCESS_TOKEN not in repr(fresh)
    assert forgotten() == [(agent.pk, "refused by TeamViewer")]


def test_without_a_token_the_bound_client_asks_for_a_login_before_any_request(tv, agent):
    with pytest.raises(TeamViewerLoginRequired):
        teamviewer_for(agent).close_session(SESSION_CODE)

    assert len(tv.calls) == 0
