"""Another agent, whatever ids they send, never gets an agent's supporter link or token."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from responses import matchers

from tests.asserts import assert_error
from tests.factories import TeamViewerTokenFactory
from tests.sessions_app.conftest import API, TV_SESSIONS, client_for, tv_session_body
from tokens_app.models import TeamViewerToken

from .conftest import SUPPORTER_SECRET, Browser

AGENTS_TOKEN = "tv-access-agent.smith"


def assert_nothing_of_the_agents(response) -> None:
    body = response.content.decode()
    assert SUPPORTER_SECRET not in body
    assert AGENTS_TOKEN not in body
    assert response.status_code < 500


@pytest.fixture
def agents_token(agent):
    return TeamViewerTokenFactory(agent=agent, access_token=AGENTS_TOKEN)


# --- the REST API -------------------------------------------------------------------------------


def test_the_agent_alone_gets_the_supporter_link(api, agent, secret_session, agents_token):
    # The control for the tests below: the secret they look for is really there to be leaked.
    join = api.post(f"{API}/sessions/{secret_session.pk}/join/", format="json")
    page = Browser(agent).post(f"/incidents/INC-1001/sessions/{secret_session.pk}/join/")
    assert SUPPORTER_SECRET in join.json()["supporter_link"]
    assert SUPPORTER_SECRET in page.content.decode()


def _api_calls(session_id) -> list[tuple[str, str, dict]]:
    forged = {"agent": "agent.smith", "agent_id": 1, "session_id": str(session_id), "to": "x@example.com"}
    return [
        ("get", f"{API}/sessions/", {"incident_id": "INC-1001"}),
        ("get", f"{API}/sessions/?agent=agent.smith", {}),
        ("get", f"{API}/sessions/{session_id}/", {}),
        ("post", f"{API}/sessions/{session_id}/join/", forged),
        ("post", f"{API}/sessions/{session_id}/close/", forged),
        ("post", f"{API}/sessions/{session_id}/email/", forged),
        ("get", f"{API}/me/teamviewer/", {}),
    ]


def test_another_agent_gets_no_supporter_link_or_token_from_any_api_call(
    other_api, secret_session, agents_token, tv
):
    for method, url, body in _api_calls(secret_session.pk):
        response = getattr(other_api, method)(url, body, format="json" if method == "post" else None)
        assert_nothing_of_the_agents(response)
    join = other_api.post(f"{API}/sessions/{secret_session.pk}/join/", format="json")
    assert_error(join, status=403, code="permission_denied")
    assert len(tv.calls) == 0  # nothing was done at TeamViewer with the agent's token


@pytest.mark.parametrize(
    "login",
    [
        "AGENT.SMITH",
        "Agent.Smith",
        "ａｇｅｎｔ.smith",
        "agent.smith\u200b",
        "agent.smith\u00ad",
        "agent.smith.",
    ],
    ids=["upper", "title", "full-width", "zero-width-space", "soft-hyphen", "trailing-dot"],
)
def test_a_login_that_only_looks_like_the_agents_is_another_agent(api_key, secret_session, login):
    raw = login.encode("utf-8").decode("latin-1")  # as a WSGI server hands a UTF-8 header over
    client = client_for(api_key, raw)
    join = client.post(f"{API}/sessions/{secret_session.pk}/join/", format="json")
    detail = client.get(f"{API}/sessions/{secret_session.pk}/")
    assert join.status_code in (401, 403)
    assert_nothing_of_the_agents(join)
    assert_nothing_of_the_agents(detail)
    assert get_user_model().objects.filter(username="agent.smith").count() == 1


def test_another_agents_create_uses_their_own_token_never_the_agents(
    other_api, other_agent, agents_token, tv
):
    TeamViewerTokenFactory(agent=other_agent, access_token="tv-access-agent.jones")
    tv.post(
        TV_SESSIONS,
        json=tv_session_body("s11-111-111"),
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-agent.jones"})],
    )
    response = other_api.post(f"{API}/sessions/", {"incident_id": "INC-1001"}, format="json")
    assert response.status_code == 201
    assert response.json()["agent"] != "agent.smith"


def test_an_agent_without_a_token_is_asked_to_sign_in_and_the_agents_token_is_not_borrowed(
    other_api, agents_token, secret_session, tv
):
    response = other_api.post(f"{API}/sessions/", {"incident_id": "INC-1001"}, format="json")
    assert_error(response, status=409, code="teamviewer_login_required")
    assert len(tv.calls) == 0


def test_disconnecting_forgets_only_the_acting_agents_token(other_api, agent, agents_token, tv):
    assert other_api.delete(f"{API}/me/teamviewer/").status_code == 204
    assert TeamViewerToken.objects.filter(agent=agent).exists()
    assert len(tv.calls) == 0


# --- the incident page and its buttons -----------------------------------------------------------


def test_another_agent_gets_no_supporter_link_from_any_page_or_button(
    other_agent, secret_session, agents_token, tv
):
    browser = Browser(other_agent)
    base = f"/incidents/INC-1001/sessions/{secret_session.pk}"
    assert_nothing_of_the_agents(browser.get("/incidents/INC-1001/"))
    assert_nothing_of_the_agents(browser.get("/incidents/INC-1001/sessions/"))
    for action in ("join", "close", "email"):
        assert_nothing_of_the_agents(browser.post(f"{base}/{action}/", {"to": "x@example.com"}))
    assert browser.post(f"{base}/join/").status_code == 403
    assert browser.post(f"{base}/close/").status_code == 403
    # The same session under another incident's address is not found at all.
    elsewhere = browser.post(f"/incidents/INC-2002/sessions/{secret_session.pk}/join/")
    assert elsewhere.status_code == 404
    assert_nothing_of_the_agents(elsewhere)


@pytest.mark.parametrize(
    "session_id", ["../../", "%2e%2e", "1 OR 1=1", "00000000-0000-0000-0000-000000000000"]
)
def test_made_up_session_ids_on_the_pages_buttons_find_nothing(other_agent, secret_session, session_id):
    response = Browser(other_agent).post(f"/incidents/INC-1001/sessions/{session_id}/join/")
    assert response.status_code == 404
    assert_nothing_of_the_agents(response)
