"""The OAuth login pages: start redirects to TeamViewer, the callback finishes and resumes."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from tests.conftest import TV_AUTHORIZE, TV_CLIENT_ID, TV_CLIENT_SECRET
from tokens_app.models import LoginFlow, TeamViewerToken
from tokens_app.views import FLOW_COOKIE, FLOW_COOKIE_PATH

from .conftest import (
    AUTH_CODE,
    CALLBACK_PATH,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
    RESUMED_ACTION,
    TOKEN_URL,
    bind_browser,
    calls_to,
    form,
    signed_cookie_value,
)
from .factories import LoginFlowFactory


def opener_message(response) -> dict:
    """What the done page posts to the incident page (its json_script element)."""
    found = re.search(
        rb'<script id="opener-message" type="application/json">(.*?)</script>', response.content
    )
    assert found, "the done page carries no opener message"
    return json.loads(found.group(1))


def start_path(flow: LoginFlow) -> str:
    return f"/oauth/teamviewer/start/{flow.flow_id}/"


def s256(verifier: str) -> str:
    # RFC 7636 §4.2, computed here independently of authlib.
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


@pytest.fixture
def pending_flow(agent, resumed_calls):
    return LoginFlowFactory(agent=agent, action=RESUMED_ACTION, action_args={"incident_id": "INC-1001"})


# --- start ----------------------------------------------------------------------------------


def test_start_redirects_to_teamviewer_with_state_and_s256_challenge(client, tv, pending_flow):
    response = client.get(start_path(pending_flow))

    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == TV_AUTHORIZE
    query = {key: values[0] for key, values in parse_qs(url.query).items()}
    pending_flow.refresh_from_db()
    assert query == {
        "response_type": "code",
        "client_id": TV_CLIENT_ID,
        "redirect_uri": settings.TEAMVIEWER_REDIRECT_URI,
        "state": pending_flow.state,
        "display": "popup",
        "code_challenge": s256(pending_flow.code_verifier),
        "code_challenge_method": "S256",
    }
    assert "=" not in query["code_challenge"]
    assert pending_flow.status == LoginFlow.Status.STARTED
    assert response["Referrer-Policy"] == "no-referrer"


def test_start_binds_the_login_to_this_browser_with_a_signed_cookie(client, tv, pending_flow):
    response = client.get(start_path(pending_flow))

    cookie = response.cookies[FLOW_COOKIE]
    assert signed_cookie_value(cookie.value) == pending_flow.flow_id
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == FLOW_COOKIE_PATH
    assert int(cookie["max-age"]) == settings.LOGIN_FLOW_LIFETIME_SECONDS


def test_start_link_works_once_only(client, tv, pending_flow):
    assert client.get(start_path(pending_flow)).status_code == 302

    second = client.get(start_path(pending_flow))

    assert second.status_code == 400
    assert b"This TeamViewer sign-in link is no longer valid" in second.content
    assert "Location" not in second


def test_start_refuses_an_expired_login(client, tv, agent):
    expired = LoginFlowFactory(agent=agent, expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(start_path(expired))

    assert response.status_code == 400
    assert FLOW_COOKIE not in response.cookies or response.cookies[FLOW_COOKIE].value == ""
    expired.refresh_from_db()
    assert expired.status == LoginFlow.Status.PENDING


@pytest.mark.parametrize("flow_id", ["no-such-flow", "a" * 200, "bad%00id"])
def test_start_refuses_unknown_or_malformed_links_without_a_server_error(client, tv, db, flow_id):
    assert client.get(f"/oauth/teamviewer/start/{flow_id}/").status_code == 400


# --- callback: success ----------------------------------------------------------------------


def test_callback_exchanges_the_code_with_the_flows_verifier(client, tv, token_endpoint, pending_flow):
    token_endpoint()
    client.get(start_path(pending_flow))

    client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})

    (call,) = calls_to(tv, TOKEN_URL)
    assert call.request.method == "POST"
    assert call.request.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    pending_flow.refresh_from_db()
    assert form(call.request) == {
        "grant_type": "authorization_code",
        "code": AUTH_CODE,
        "code_verifier": pending_flow.code_verifier,
        "redirect_uri": settings.TEAMVIEWER_REDIRECT_URI,
        "client_id": TV_CLIENT_ID,
        "client_secret": TV_CLIENT_SECRET,
    }
    assert "Authorization" not in call.request.headers


def test_callback_stores_both_tokens_and_resumes_the_pending_action(
    client, tv, token_endpoint, pending_flow, agent, resumed_calls
):
    token_endpoint()
    client.get(start_path(pending_flow))

    response = client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})

    assert response.status_code == 200
    stored = TeamViewerToken.objects.get(agent=agent)
    assert (stored.access_token, stored.refresh_token) == (NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN)
    assert stored.expires_at > timezone.now() + timedelta(hours=23)
    assert resumed_calls == [{"agent": agent, "incident_id": "INC-1001"}]
    pending_flow.refresh_from_db()
    assert pending_flow.status == LoginFlow.Status.COMPLETED
    assert pending_flow.result == {
        "ok": True,
        "action": RESUMED_ACTION,
        "session_code": "s12-345-678",
        "incident_id": "INC-1001",
    }
    assert opener_message(response)["result"] == pending_flow.result


def test_done_page_tells_the_agent_to_return_to_the_cherwell_record(client, tv, token_endpoint, pending_flow):
    token_endpoint()
    client.get(start_path(pending_flow))

    response = client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})

    assert b'<html lang="en">' in response.content
    assert b"Return to the Cherwell record you were working on." in response.content
    assert response["Referrer-Policy"] == "no-referrer"
    # The one-time binding is spent: the cookie is cleared.
    assert response.cookies[FLOW_COOKIE].value == ""


def test_done_page_is_japanese_for_a_japanese_browser(client, tv, token_endpoint, pending_flow):
    token_endpoint()
    client.get(start_path(pending_flow), HTTP_ACCEPT_LANGUAGE="ja")

    response = client.get(
        CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE}, HTTP_ACCEPT_LANGUAGE="ja"
    )

    assert response.status_code == 200
    assert b'<html lang="ja">' in response.content


def test_done_page_reports_a_resumed_action_that_failed(client, tv, token_endpoint, agent, resumed_calls):
    from csm_teamviewer.errors import TeamViewerLicenseLimit
    from tokens_app import pending_actions

    @pending_actions.register("test_failing_action")
    def _failing(*, agent):
        raise TeamViewerLicenseLimit("Too many sessions for your license limitations.")

    try:
        failing = LoginFlowFactory(agent=agent, action="test_failing_action")
        token_endpoint()
        client.get(start_path(failing))

        response = client.get(CALLBACK_PATH, {"state": failing.state, "code": AUTH_CODE})
    finally:
        pending_actions._actions.pop("test_failing_action", None)

    assert response.status_code == 200
    assert b"Too many sessions for your license limitations." in response.content
    failing.refresh_from_db()
    assert failing.result["ok"] is False
    assert failing.result["code"] == "teamviewer_license_limit"
    assert TeamViewerToken.objects.filter(agent=agent).exists()


def test_callback_whose_action_is_no_longer_registered_still_signs_in(client, tv, token_endpoint, agent):
    orphan = LoginFlowFactory(agent=agent, action="action_removed_since")
    token_endpoint()
    client.get(start_path(orphan))

    response = client.get(CALLBACK_PATH, {"state": orphan.state, "code": AUTH_CODE})

    assert response.status_code == 200
    orphan.refresh_from_db()
    assert orphan.status == LoginFlow.Status.COMPLETED
    assert orphan.result["ok"] is False
    assert TeamViewerToken.objects.filter(agent=agent).exists()


def test_callback_shows_an_error_page_when_teamviewer_refuses_the_code(
    client, tv, token_endpoint, pending_flow
):
    token_endpoint(status=400, body={"error": "invalid_grant", "error_description": "Code already used."})
    client.get(start_path(pending_flow))

    response = client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})

    assert response.status_code == 502
    assert b"Code already used." in response.content
    assert not TeamViewerToken.objects.exists()
    pending_flow.refresh_from_db()
    assert pending_flow.status == LoginFlow.Status.FAILED
    assert pending_flow.result["code"] == "teamviewer_rejected"


# --- callback: refused ----------------------------------------------------------------------


def assert_refused(response) -> None:
    assert response.status_code == 400
    assert b"This TeamViewer sign-in link is no longer valid" in response.content


def assert_refused_and_nothing_stored(response, tv) -> None:
    assert_refused(response)
    assert not TeamViewerToken.objects.exists()
    assert calls_to(tv, TOKEN_URL) == []


def test_replayed_callback_is_refused_and_sends_no_second_token_request(
    client, tv, token_endpoint, pending_flow, resumed_calls
):
    token_endpoint()
    client.get(start_path(pending_flow))
    first = client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})
    assert first.status_code == 200
    stored = TeamViewerToken.objects.get()
    bind_browser(client, pending_flow.flow_id)  # even with the binding cookie put back

    replay = client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})

    assert_refused(replay)
    assert len(calls_to(tv, TOKEN_URL)) == 1
    assert TeamViewerToken.objects.get().version == stored.version
    assert len(resumed_calls) == 1


def test_unknown_state_is_refused_and_stores_nothing(client, tv, token_endpoint, flow):
    token_endpoint()
    bind_browser(client, flow.flow_id)

    response = client.get(CALLBACK_PATH, {"state": "not-a-state-we-issued", "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)
    flow.refresh_from_db()
    assert flow.used_at is None


def test_expired_state_is_refused_and_stores_nothing(client, tv, token_endpoint, agent):
    expired = LoginFlowFactory(agent=agent, started=True, expires_at=timezone.now() - timedelta(seconds=1))
    token_endpoint()
    bind_browser(client, expired.flow_id)

    response = client.get(CALLBACK_PATH, {"state": expired.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


def test_callback_without_the_browser_binding_cookie_is_refused_and_stores_nothing(
    client, tv, token_endpoint, flow
):
    token_endpoint()

    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)
    flow.refresh_from_db()
    assert flow.used_at is None
    assert flow.status == LoginFlow.Status.STARTED


def test_callback_from_a_browser_that_started_another_login_is_refused(
    client, tv, token_endpoint, agent, flow
):
    token_endpoint()
    other = LoginFlowFactory(agent=agent, started=True)
    bind_browser(client, other.flow_id)

    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


def test_callback_with_a_forged_cookie_is_refused(client, tv, token_endpoint, flow):
    token_endpoint()
    client.cookies[FLOW_COOKIE] = flow.flow_id  # unsigned

    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


def test_callback_for_a_login_never_started_is_refused(client, tv, token_endpoint, agent):
    unopened = LoginFlowFactory(agent=agent)
    token_endpoint()
    bind_browser(client, unopened.flow_id)

    response = client.get(CALLBACK_PATH, {"state": unopened.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": ""},
        {"state": "\x00", "code": AUTH_CODE},
        {"state": "x" * 5000, "code": AUTH_CODE},
        {"code": AUTH_CODE},
    ],
)
def test_malformed_callbacks_get_the_error_page_not_a_server_error(client, tv, token_endpoint, flow, query):
    token_endpoint()
    bind_browser(client, flow.flow_id)

    response = client.get(CALLBACK_PATH, query)

    assert_refused_and_nothing_stored(response, tv)


# --- callback: denied -----------------------------------------------------------------------


def test_access_denied_shows_its_own_page_and_fails_the_login(
    client, tv, token_endpoint, pending_flow, resumed_calls
):
    token_endpoint()
    client.get(start_path(pending_flow))

    response = client.get(
        CALLBACK_PATH,
        {
            "state": pending_flow.state,
            "error": "access_denied",
            "error_description": "The user denied access",
        },
    )

    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "oauth/denied.html"
    assert b"TeamViewer sign-in cancelled" in response.content
    assert b"Access to TeamViewer was not allowed, so nothing was done." in response.content
    assert not TeamViewerToken.objects.exists()
    assert calls_to(tv, TOKEN_URL) == []
    assert resumed_calls == []
    pending_flow.refresh_from_db()
    assert pending_flow.status == LoginFlow.Status.FAILED
    assert pending_flow.result == {"ok": False, "code": "access_denied", "detail": ""}


def test_denied_callback_cannot_be_replayed(client, tv, pending_flow):
    client.get(start_path(pending_flow))
    client.get(CALLBACK_PATH, {"state": pending_flow.state, "error": "access_denied"})
    bind_browser(client, pending_flow.flow_id)

    response = client.get(CALLBACK_PATH, {"state": pending_flow.state, "error": "access_denied"})

    assert_refused(response)


def test_other_oauth_errors_fail_the_login_with_a_safe_code(client, tv, pending_flow):
    client.get(start_path(pending_flow))

    response = client.get(CALLBACK_PATH, {"state": pending_flow.state, "error": "server_error\x00<b>"})

    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "oauth/error.html"
    pending_flow.refresh_from_db()
    assert pending_flow.status == LoginFlow.Status.FAILED
    assert pending_flow.result["code"] == "teamviewer_error"
