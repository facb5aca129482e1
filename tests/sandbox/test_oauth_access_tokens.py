"""The sandbox's access tokens in use: bearer checks, expiry, revocation, and the ping that tells."""
from __future__ import annotations

import pytest

from csm_teamviewer.sandbox import faults

from .conftest import assert_teamviewer_error

pytestmark = pytest.mark.urls("tests.sandbox.urls")


def test_an_expired_access_token_answers_401_token_expired_and_can_still_be_refreshed(sandbox):
    tokens = sandbox.tokens()

    faults.expire_all_tokens()

    assert_teamviewer_error(sandbox.api("GET", "sessions", tokens["access_token"]), 401, "token_expired")
    assert sandbox.api("GET", "ping", tokens["access_token"]).json() == {"token_valid": False}
    refreshed = sandbox.refresh(tokens["refresh_token"])
    assert sandbox.api("GET", "ping", refreshed.json()["access_token"]).json() == {"token_valid": True}


def test_revoke_answers_204_and_the_token_and_its_refresh_token_stop_working(sandbox):
    tokens = sandbox.tokens()

    response = sandbox.api("POST", "oauth2/revoke", tokens["access_token"])

    assert response.status_code == 204 and response.content == b""
    assert_teamviewer_error(sandbox.api("GET", "sessions", tokens["access_token"]), 401, "invalid_token")
    assert sandbox.api("GET", "ping", tokens["access_token"]).json() == {"token_valid": False}
    assert_teamviewer_error(sandbox.refresh(tokens["refresh_token"]), 400, "invalid_grant")


def test_revoke_without_a_known_token_is_401(sandbox):
    assert_teamviewer_error(sandbox.api("POST", "oauth2/revoke", "123-unknown"), 401, "invalid_token")


def test_revoke_all_tokens_forces_every_client_to_sign_in_again(sandbox):
    tokens = sandbox.tokens()

    faults.revoke_all_tokens()

    assert_teamviewer_error(sandbox.api("GET", "sessions", tokens["access_token"]), 401, "invalid_token")
    assert_teamviewer_error(sandbox.refresh(tokens["refresh_token"]), 400, "invalid_grant")


def test_api_calls_without_a_valid_bearer_token_answer_401_invalid_token(sandbox):
    for token in (None, "123-made-up"):
        assert_teamviewer_error(sandbox.api("GET", "sessions", token), 401, "invalid_token")
        assert_teamviewer_error(sandbox.api("GET", "reports/connections", token), 401, "invalid_token")
    assert sandbox.api("GET", "ping", None).json() == {"token_valid": False}


def test_ping_says_the_token_is_valid(sandbox):
    response = sandbox.api("GET", "ping", sandbox.access_token())

    assert response.status_code == 200
    assert response.json() == {"token_valid": True}
