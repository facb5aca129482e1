"""The sandbox's login page (oauth2/authorize): checks the client, signs in, sends back a code."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from csm_teamviewer.sandbox.models import AuthorizationCode

from .conftest import BANNER, REDIRECT_URI, pkce_pair, query_of

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
