"""The sandbox's token endpoint: codes for tokens (PKCE checked, each code once), refresh rotation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from csm_teamviewer.sandbox.models import AuthorizationCode, Token

from .conftest import API, REDIRECT_URI, Grant, assert_teamviewer_error, pkce_pair

pytestmark = pytest.mark.urls("tests.sandbox.urls")


def test_the_code_flow_answers_tokens_shaped_like_teamviewers_and_never_cached(sandbox):
    response = sandbox.exchange(sandbox.grant())

    body = response.json()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400
    for name in ("access_token", "refresh_token"):
        digits, _, rest = body[name].partition("-")
        assert digits.isdigit() and rest.isalnum()


def test_the_token_endpoint_takes_json_and_the_swagger_spelling_of_the_path(sandbox):
    grant = sandbox.grant()

    response = sandbox.token(
        as_json=True, path="OAuth2/token", grant_type="authorization_code", code=grant.code,
        redirect_uri=REDIRECT_URI, code_verifier=grant.verifier,
    )

    assert response.status_code == 200
    assert response.json()["access_token"]


def test_codes_and_tokens_are_stored_only_as_hashes(sandbox):
    grant = sandbox.grant()
    tokens = sandbox.exchange(grant).json()

    secrets_given = {grant.code, grant.verifier, tokens["access_token"], tokens["refresh_token"]}
    for model in (AuthorizationCode, Token):
        for row in model.objects.values():
            assert not secrets_given & {str(value) for value in row.values()}


def test_a_wrong_pkce_verifier_is_rejected(sandbox):
    grant = sandbox.grant()

    response = sandbox.exchange(grant, code_verifier=pkce_pair()[0])

    assert_teamviewer_error(response, 400, "invalid_grant")
    assert sandbox.exchange(grant).status_code == 200  # the code was not spent by the failure


def test_a_missing_verifier_is_rejected_when_a_challenge_was_sent(sandbox):
    grant = sandbox.grant()

    assert_teamviewer_error(sandbox.exchange(Grant(code=grant.code, verifier="")), 400, "invalid_grant")


def test_a_verifier_without_a_challenge_is_rejected_as_a_downgrade(sandbox):
    grant = sandbox.grant(pkce=False)

    assert_teamviewer_error(sandbox.exchange(grant, code_verifier=pkce_pair()[0]), 400, "invalid_grant")
    assert sandbox.exchange(grant).status_code == 200


def test_a_reused_code_is_rejected_and_every_token_from_it_is_revoked(sandbox):
    grant = sandbox.grant()
    first = sandbox.exchange(grant).json()
    refreshed = sandbox.refresh(first["refresh_token"]).json()

    assert_teamviewer_error(sandbox.exchange(grant), 400, "invalid_grant")

    for token in (first, refreshed):
        assert_teamviewer_error(sandbox.api("GET", "sessions", token["access_token"]), 401, "invalid_token")
    assert_teamviewer_error(
        sandbox.refresh(refreshed["refresh_token"]), 400, "invalid_grant"
    )


def test_an_expired_code_is_rejected(sandbox):
    grant = sandbox.grant()
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_teamviewer_error(sandbox.exchange(grant), 400, "invalid_grant")


def test_a_wrong_redirect_uri_at_the_token_endpoint_is_rejected(sandbox):
    grant = sandbox.grant()

    assert_teamviewer_error(
        sandbox.exchange(grant, redirect_uri="http://csm.test/other/"), 400, "invalid_grant"
    )
    assert_teamviewer_error(sandbox.exchange(grant, redirect_uri=None), 400, "invalid_grant")


@pytest.mark.parametrize("override", [{"client_secret": "wrong"}, {"client_id": "other"}, {"client_secret": None}])
def test_a_wrong_client_is_rejected_as_invalid_client(sandbox, override):
    grant = sandbox.grant()

    assert_teamviewer_error(sandbox.exchange(grant, **override), 400, "invalid_client")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "made-up", "redirect_uri": REDIRECT_URI}, "invalid_grant"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "123-abc"}, "invalid_grant"),
    ],
)
def test_incomplete_token_requests_are_refused_in_teamviewers_error_format(sandbox, data, error):
    assert_teamviewer_error(sandbox.token(**data), 400, error)


def test_malformed_token_requests_are_400_never_500(sandbox):
    url = f"{API}/oauth2/token"

    not_json = sandbox.client.post(url, "{not json", content_type="application/json")
    numeric = sandbox.client.post(
        url, {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret", "grant_type": 4},
        content_type="application/json",
    )

    broken_multipart = sandbox.client.post(url, b"garbage", content_type="multipart/form-data")

    assert_teamviewer_error(not_json, 400, "invalid_request")
    assert_teamviewer_error(numeric, 400, "invalid_request")
    assert_teamviewer_error(broken_multipart, 400, "invalid_request")


def test_refresh_rotates_both_tokens_and_the_old_refresh_token_is_refused(sandbox):
    first = sandbox.tokens()

    second = sandbox.refresh(first["refresh_token"])

    new = second.json()
    assert second.status_code == 200
    assert new["refresh_token"] != first["refresh_token"] and new["access_token"] != first["access_token"]
    assert sandbox.api("GET", "sessions", new["access_token"]).status_code == 200
    assert_teamviewer_error(sandbox.refresh(first["refresh_token"]), 400, "invalid_grant")


def test_the_access_token_lifetime_comes_from_settings(sandbox, settings):
    settings.SANDBOX_ACCESS_TOKEN_SECONDS = 3600

    assert sandbox.tokens()["expires_in"] == 3600
