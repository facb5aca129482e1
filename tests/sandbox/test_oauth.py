"""The sandbox's login page, token endpoint and revocation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from csm_teamviewer.sandbox import faults
from csm_teamviewer.sandbox.models import AuthorizationCode, Token

from .conftest import API, BANNER, REDIRECT_URI, Grant, assert_error, pkce_pair, query_of

pytestmark = pytest.mark.urls("tests.sandbox.urls")

def test_the_login_page_shows_the_banner_and_a_prefilled_form_with_two_buttons(sandbox):
    response = sandbox.client.get(sandbox.authorize_url(sandbox.authorize_params()))

    html = response.content.decode()
    assert response.status_code == 200
    assert BANNER in html
    assert 'value="agent@example.com"' in html
    assert 'name="password"' in html
    assert "Sign in and allow" in html and "Deny" in html
    assert "csrfmiddlewaretoken" in html


def test_the_login_page_speaks_japanese_when_the_browser_asks(sandbox):
    url = sandbox.authorize_url(sandbox.authorize_params())

    html = sandbox.client.get(url, headers={"Accept-Language": "ja"}).content.decode()

    assert "本物の TeamViewer ではありません" in html
    assert "サインインして許可" in html


@pytest.mark.parametrize(
    "override",
    [{"client_id": "someone-else"}, {"redirect_uri": "https://evil.test/cb"}, {"redirect_uri": None}],
)
def test_a_wrong_client_or_redirect_uri_shows_an_error_page_and_never_redirects(sandbox, override):
    params = sandbox.authorize_params(**override)

    shown = sandbox.client.get(sandbox.authorize_url(params))
    posted = sandbox.sign_in(params)

    for response in (shown, posted):
        assert response.status_code == 400
        assert "Location" not in response
        assert BANNER in response.content.decode()
    assert not AuthorizationCode.objects.exists()


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "x" * 43}, "invalid_request"),
        ({"code_challenge": "too-short", "code_challenge_method": "S256"}, "invalid_request"),
    ],
)
def test_a_bad_request_from_the_registered_client_goes_back_with_an_error(sandbox, override, error):
    response = sandbox.client.get(sandbox.authorize_url(sandbox.authorize_params(**override)))

    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI)
    assert query_of(response["Location"]) == {
        "error": error,
        "error_description": query_of(response["Location"])["error_description"],
        "state": "state-123",
    }


def test_deny_goes_back_with_access_denied_and_the_state(sandbox):
    response = sandbox.sign_in(sandbox.authorize_params(), action="deny", email="")

    assert response.status_code == 302
    query = query_of(response["Location"])
    assert query["error"] == "access_denied"
    assert query["state"] == "state-123"
    assert query["error_description"]
    assert not AuthorizationCode.objects.exists()


def test_sign_in_needs_an_email_and_a_password(sandbox):
    response = sandbox.client.post(
        sandbox.authorize_url(sandbox.authorize_params()), {"email": "", "password": "", "action": "allow"}
    )

    assert response.status_code == 200
    assert "Location" not in response
    assert not AuthorizationCode.objects.exists()


def test_the_login_form_is_csrf_protected(sandbox):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        sandbox.authorize_url(sandbox.authorize_params()),
        {"email": "a@example.com", "password": "x", "action": "allow"},
    )

    assert response.status_code == 403


def test_allow_sends_a_code_bound_to_the_request_and_valid_ten_minutes(sandbox):
    verifier, challenge = pkce_pair()

    response = sandbox.sign_in(sandbox.authorize_params(challenge=challenge), email="Ann@Example.com")

    query = query_of(response["Location"])
    assert response["Location"].startswith(REDIRECT_URI + "?")
    assert query["state"] == "state-123"
    stored = AuthorizationCode.objects.get()
    assert stored.code_hash != query["code"] and len(stored.code_hash) == 64
    assert (stored.code_challenge, stored.email) == (challenge, "ann@example.com")
    assert timedelta(minutes=9) < stored.expires_at - timezone.now() <= timedelta(minutes=10)


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

    assert_error(response, 400, "invalid_grant")
    assert sandbox.exchange(grant).status_code == 200  # the code was not spent by the failure


def test_a_missing_verifier_is_rejected_when_a_challenge_was_sent(sandbox):
    grant = sandbox.grant()

    assert_error(sandbox.exchange(Grant(code=grant.code, verifier="")), 400, "invalid_grant")


def test_a_verifier_without_a_challenge_is_rejected_as_a_downgrade(sandbox):
    grant = sandbox.grant(pkce=False)

    assert_error(sandbox.exchange(grant, code_verifier=pkce_pair()[0]), 400, "invalid_grant")
    assert sandbox.exchange(grant).status_code == 200


def test_a_reused_code_is_rejected_and_every_token_from_it_is_revoked(sandbox):
    grant = sandbox.grant()
    first = sandbox.exchange(grant).json()
    refreshed = sandbox.token(grant_type="refresh_token", refresh_token=first["refresh_token"]).json()

    assert_error(sandbox.exchange(grant), 400, "invalid_grant")

    for token in (first, refreshed):
        assert_error(sandbox.api("GET", "sessions", token["access_token"]), 401, "invalid_token")
    assert_error(
        sandbox.token(grant_type="refresh_token", refresh_token=refreshed["refresh_token"]), 400, "invalid_grant"
    )


def test_an_expired_code_is_rejected(sandbox):
    grant = sandbox.grant()
    AuthorizationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_error(sandbox.exchange(grant), 400, "invalid_grant")


def test_a_wrong_redirect_uri_at_the_token_endpoint_is_rejected(sandbox):
    grant = sandbox.grant()

    assert_error(sandbox.exchange(grant, redirect_uri="http://csm.test/other/"), 400, "invalid_grant")
    assert_error(sandbox.exchange(grant, redirect_uri=None), 400, "invalid_grant")


@pytest.mark.parametrize("override", [{"client_secret": "wrong"}, {"client_id": "other"}, {"client_secret": None}])
def test_a_wrong_client_is_rejected_as_invalid_client(sandbox, override):
    grant = sandbox.grant()

    assert_error(sandbox.exchange(grant, **override), 400, "invalid_client")


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
    assert_error(sandbox.token(**data), 400, error)


def test_malformed_token_requests_are_400_never_500(sandbox):
    url = f"{API}/oauth2/token"

    not_json = sandbox.client.post(url, "{not json", content_type="application/json")
    numeric = sandbox.client.post(
        url, {"client_id": "sandbox-client-id", "client_secret": "sandbox-client-secret", "grant_type": 4},
        content_type="application/json",
    )

    broken_multipart = sandbox.client.post(url, b"garbage", content_type="multipart/form-data")

    assert_error(not_json, 400, "invalid_request")
    assert_error(numeric, 400, "invalid_request")
    assert_error(broken_multipart, 400, "invalid_request")


def test_refresh_rotates_both_tokens_and_the_old_refresh_token_is_refused(sandbox):
    first = sandbox.tokens()

    second = sandbox.token(grant_type="refresh_token", refresh_token=first["refresh_token"])

    new = second.json()
    assert second.status_code == 200
    assert new["refresh_token"] != first["refresh_token"] and new["access_token"] != first["access_token"]
    assert sandbox.api("GET", "sessions", new["access_token"]).status_code == 200
    assert_error(sandbox.token(grant_type="refresh_token", refresh_token=first["refresh_token"]), 400, "invalid_grant")


def test_an_expired_access_token_answers_401_token_expired_and_can_still_be_refreshed(sandbox):
    tokens = sandbox.tokens()

    faults.expire_all_tokens()

    assert_error(sandbox.api("GET", "sessions", tokens["access_token"]), 401, "token_expired")
    assert sandbox.api("GET", "ping", tokens["access_token"]).json() == {"token_valid": False}
    refreshed = sandbox.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert sandbox.api("GET", "ping", refreshed.json()["access_token"]).json() == {"token_valid": True}


def test_the_access_token_lifetime_comes_from_settings(sandbox, settings):
    settings.SANDBOX_ACCESS_TOKEN_SECONDS = 3600

    assert sandbox.tokens()["expires_in"] == 3600


def test_revoke_answers_204_and_the_token_and_its_refresh_token_stop_working(sandbox):
    tokens = sandbox.tokens()

    response = sandbox.api("POST", "oauth2/revoke", tokens["access_token"])

    assert response.status_code == 204 and response.content == b""
    assert_error(sandbox.api("GET", "sessions", tokens["access_token"]), 401, "invalid_token")
    assert sandbox.api("GET", "ping", tokens["access_token"]).json() == {"token_valid": False}
    assert_error(sandbox.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]), 400, "invalid_grant")


def test_revoke_without_a_known_token_is_401(sandbox):
    assert_error(sandbox.api("POST", "oauth2/revoke", "123-unknown"), 401, "invalid_token")


def test_revoke_all_tokens_forces_every_client_to_sign_in_again(sandbox):
    tokens = sandbox.tokens()

    faults.revoke_all_tokens()

    assert_error(sandbox.api("GET", "sessions", tokens["access_token"]), 401, "invalid_token")
    assert_error(sandbox.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]), 400, "invalid_grant")


def test_api_calls_without_a_valid_bearer_token_answer_401_invalid_token(sandbox):
    for token in (None, "123-made-up"):
        assert_error(sandbox.api("GET", "sessions", token), 401, "invalid_token")
        assert_error(sandbox.api("GET", "reports/connections", token), 401, "invalid_token")
    assert sandbox.api("GET", "ping", None).json() == {"token_valid": False}


def test_ping_says_the_token_is_valid(sandbox):
    response = sandbox.api("GET", "ping", sandbox.access_token())

    assert response.status_code == 200
    assert response.json() == {"token_valid": True}
