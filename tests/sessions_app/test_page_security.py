"""Framing, Content-Security-Policy, opener isolation and the cookies CSM's frame needs."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client

from sessions_app.services.launch import launch_link_create
from tests.factories import LoginFlowFactory

ROOT = Path(__file__).resolve().parents[2]
PAGE = "/incidents/INC-1001/"
CSM = "https://csm.example.com"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def test_the_incident_page_may_be_framed_by_csms_origins_only(signed_in, settings):
    settings.CSM_FRAME_ANCESTORS = [CSM, "https://csm2.example.com"]
    response = signed_in.get(PAGE)
    assert directives(response)["frame-ancestors"] == ["'self'", CSM, "https://csm2.example.com"]
    # X-Frame-Options cannot name several origins, and CSP is what browsers enforce.
    assert "X-Frame-Options" not in response


def test_without_csm_origins_the_page_may_be_framed_by_this_server_only(signed_in, settings):
    settings.CSM_FRAME_ANCESTORS = []
    response = signed_in.get(PAGE)
    assert directives(response)["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_pages_that_lead_to_the_incident_page_may_be_framed_by_csm_too(client, agent, settings):
    settings.CSM_FRAME_ANCESTORS = [CSM]
    launch = client.get(urlpath(launch_link_create(agent=agent, incident_id="INC-1001")))
    refused = Client().get("/incidents/launch/" + "A" * 43 + "/")
    login = Client().get("/accounts/login/")
    assert (launch.status_code, refused.status_code, login.status_code) == (302, 400, 200)
    for response in (launch, refused, login):
        assert directives(response)["frame-ancestors"] == ["'self'", CSM]


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/admin/login/",
        "/api/docs/",
        "/sandbox/teamviewer/oauth2/authorize?client_id=x",
        "/api/schema/",
    ],
)
def test_every_other_page_refuses_every_frame(client, db, settings, path):
    settings.CSM_FRAME_ANCESTORS = [CSM]
    response = client.get(path)
    assert response["X-Frame-Options"] == "DENY"
    assert directives(response)["frame-ancestors"] == ["'none'"]


def test_the_oauth_pages_refuse_every_frame(client, agent, db):
    flow = LoginFlowFactory(agent=agent)
    for response in (client.get(f"/oauth/teamviewer/start/{flow.flow_id}/"), client.get("/oauth/teamviewer/callback/")):
        assert response["X-Frame-Options"] == "DENY"
        assert directives(response)["frame-ancestors"] == ["'none'"]


def test_the_policy_allows_no_inline_script_or_style_and_no_other_origin(signed_in):
    policy = directives(signed_in.get(PAGE))
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in signed_in.get(PAGE)["Content-Security-Policy"]


def test_the_api_docs_load_their_start_up_script_from_a_file(client, db):
    page = client.get("/api/docs/").content.decode()
    tags = re.findall(r"<script\b[^>]*>", page)
    assert tags and all("src=" in tag for tag in tags)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


def test_the_incident_page_keeps_its_link_to_the_sign_in_pop_up(signed_in):
    assert signed_in.get(PAGE)["Cross-Origin-Opener-Policy"] == "same-origin-allow-popups"


def test_the_pop_ups_pages_opt_out_of_opener_isolation(client, agent):
    flow = LoginFlowFactory(agent=agent)
    start = client.get(f"/oauth/teamviewer/start/{flow.flow_id}/")
    callback = client.get("/oauth/teamviewer/callback/?state=x&code=y")
    sandbox_login = client.get(start["Location"].split(":8000", 1)[-1])
    for response in (start, callback, sandbox_login):
        assert response["Cross-Origin-Opener-Policy"] == "unsafe-none"


def test_other_pages_keep_djangos_opener_isolation(client, db):
    assert client.get("/admin/login/")["Cross-Origin-Opener-Policy"] == "same-origin"


# --- cookies --------------------------------------------------------------------------------------


def test_framed_cookies_are_sent_partitioned(agent, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SESSION_COOKIE_SAMESITE = "None"
    settings.CSRF_COOKIE_SAMESITE = "None"
    settings.PARTITIONED_COOKIES = True
    browser = Client()
    response = browser.get(urlpath(launch_link_create(agent=agent, incident_id="INC-1001")), secure=True)
    session_cookie = response.cookies["sessionid"].output()
    assert "SameSite=None" in session_cookie and "Secure" in session_cookie
    assert session_cookie.endswith("; Partitioned")
    page = browser.get(PAGE, secure=True)
    assert page.cookies["csrftoken"].output().endswith("; Partitioned")


def test_cookies_are_not_partitioned_unless_the_setting_says_so(agent, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.PARTITIONED_COOKIES = False
    response = Client().get(urlpath(launch_link_create(agent=agent, incident_id="INC-1001")), secure=True)
    assert "Partitioned" not in response.cookies["sessionid"].output()


def test_a_cookie_without_secure_is_never_marked_partitioned(agent, settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.PARTITIONED_COOKIES = True
    response = Client().get(urlpath(launch_link_create(agent=agent, incident_id="INC-1001")))
    assert "Partitioned" not in response.cookies["sessionid"].output()


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "teamviewer.example.com",
    "PUBLIC_BASE_URL": "https://teamviewer.example.com",
}
SHOW = (
    "from django.conf import settings as s; print(s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.PARTITIONED_COOKIES)"
)


def _settings_with(tmp_path: Path, **env: str) -> list[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in PRODUCTION and not key.startswith(("TEAMVIEWER_", "DJANGO_", "CSM_"))
    }
    environment.update(PRODUCTION, **env, VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


def test_production_with_csm_origins_sends_cookies_that_work_in_csms_frame(tmp_path):
    assert _settings_with(tmp_path, CSM_FRAME_ANCESTORS=CSM) == ["None", "None", "True", "True", "True"]


def test_production_without_csm_origins_keeps_lax_cookies(tmp_path):
    assert _settings_with(tmp_path) == ["Lax", "Lax", "True", "True", "False"]
