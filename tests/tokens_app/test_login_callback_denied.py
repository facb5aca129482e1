"""The login's callback when TeamViewer says no: the login fails with a safe code, once."""

from __future__ import annotations

from tokens_app.models import LoginFlow, TeamViewerToken

from .conftest import CALLBACK_PATH, TOKEN_URL, assert_refused, bind_browser, calls_to, start_path


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
