"""The login's callback: it exchanges the code, stores the tokens and resumes the pending action."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from tests.conftest import TV_CLIENT_ID, TV_CLIENT_SECRET
from tests.factories import LoginFlowFactory
from tokens_app.models import LoginFlow, TeamViewerToken
from tokens_app.views import FLOW_COOKIE

from .conftest import (
    AUTH_CODE,
    CALLBACK_PATH,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
    RESUMED_ACTION,
    TOKEN_URL,
    calls_to,
    form,
    start_path,
)


def opener_message(response) -> dict:
    """What the done page posts to the incident page (its json_script element)."""
    found = re.search(
        rb'<script id="opener-message" type="application/json">(.*?)</script>', response.content
    )
    assert found, "the done page carries no opener message"
    return json.loads(found.group(1))



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
