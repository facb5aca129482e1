"""Production settings, headers, cookies and CSRF; Django admin behind a staff sign-in."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from sessions_app.services.launch import launch_link_create
from tests.test_settings import PRODUCTION, _manage

from .conftest import Browser

_PROBE = """
import json
from django.conf import settings
from django.test import Client
browser = Client(HTTP_HOST="teamviewer.example.com")
plain = browser.get("/accounts/login/")
secure = browser.get("/healthz/", secure=True)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "headers": dict(secure.headers),
    "cookies": {name: getattr(settings, name) for name in (
        "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE")},
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    """What a production server answers, asked in a process of its own with DEBUG=0."""
    result = _manage("shell", "-c", _PROBE, env=PRODUCTION, tmp_path=tmp_path_factory.mktemp("production"))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_plain_http_to_https(production):
    status, location = production["plain"]
    assert status == 301
    assert location == "https://teamviewer.example.com/accounts/login/"


def test_production_answers_with_hsts_and_the_framing_and_sniffing_guards(production):
    headers = production["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_production_cookies_are_secure_and_the_session_cookie_http_only(production):
    assert production["cookies"] == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
    }


@pytest.mark.parametrize(
    "extra",
    [
        {"CSM_FRAME_ANCESTORS": "https://csm.example.com"},
        {"TEAMVIEWER_CLIENT_ID": "123-client", "TEAMVIEWER_CLIENT_SECRET": "not-a-real-secret"},
    ],
    ids=["framed-by-csm", "real-teamviewer-app"],
)
def test_check_deploy_is_clean_in_each_production_shape(tmp_path, extra):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env={**PRODUCTION, **extra}, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


# --- Django admin --------------------------------------------------------------------------------

ADMIN_PAGES = [
    "/admin/",
    "/admin/sessions_app/apikey/",
    "/admin/sessions_app/apikey/add/",
    "/admin/auth/user/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_admin_sends_anonymous_visitors_to_its_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/admin/login/"


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_an_agent_signed_in_by_a_launch_link_cannot_open_admin(agent, url):
    browser = Client()
    browser.get(urlsplit(launch_link_create(agent=agent, incident_id="INC-1")).path)
    assert "_auth_user_id" in browser.session
    response = browser.get(url)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/admin/login/"


def test_staff_without_permissions_cannot_see_or_make_api_keys(db):
    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    browser = Client()
    browser.force_login(clerk)
    assert browser.get("/admin/sessions_app/apikey/").status_code == 403
    assert browser.post("/admin/sessions_app/apikey/add/", {"name": "mine"}).status_code == 403


# --- CSRF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/accounts/logout/"])
def test_forms_without_the_csrf_token_are_refused(db, url):
    response = Client(enforce_csrf_checks=True).post(url, {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_signing_out_by_a_plain_link_is_refused(agent):
    browser = Client()
    browser.force_login(agent)
    assert browser.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in browser.session


def test_a_button_posted_from_another_origin_is_refused_even_with_the_token(agent, open_session, settings):
    browser = Browser(agent)
    response = browser.client.post(
        f"/incidents/INC-1001/sessions/{open_session.pk}/join/",
        "{}",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.csrf,
        HTTP_ORIGIN="https://evil.example",
        secure=True,
    )
    assert response.status_code == 403
    assert "supporter_link" not in response.content.decode()
