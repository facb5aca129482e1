"""The login's start page: it sends the agent to TeamViewer, bound to this browser, once."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from tests.conftest import TV_AUTHORIZE, TV_CLIENT_ID
from tests.factories import LoginFlowFactory
from tokens_app.models import LoginFlow
from tokens_app.views import FLOW_COOKIE, FLOW_COOKIE_PATH

from .conftest import assert_refused, signed_cookie_value, start_path


def s256(verifier: str) -> str:
    # RFC 7636 §4.2, computed here independently of authlib.
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


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

    assert_refused(second)
    assert "Location" not in second


def test_start_refuses_an_expired_login(client, tv, agent):
    expired = LoginFlowFactory(agent=agent, expires_at=timezone.now() - timedelta(seconds=1))

    response = client.get(start_path(expired))

    assert_refused(response)
    assert FLOW_COOKIE not in response.cookies or response.cookies[FLOW_COOKIE].value == ""
    expired.refresh_from_db()
    assert expired.status == LoginFlow.Status.PENDING


@pytest.mark.parametrize("flow_id", ["no-such-flow", "a" * 200, "bad%00id"])
def test_start_refuses_unknown_or_malformed_links_without_a_server_error(client, tv, db, flow_id):
    assert_refused(client.get(f"/oauth/teamviewer/start/{flow_id}/"))

