"""Attacks on the TeamViewer sign-in and on every redirect this server answers with."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from sessions_app.services.launch import launch_link_create
from tests.conftest import TV_AUTHORIZE
from tests.factories import LoginFlowFactory
from tests.sessions_app.conftest import API
from tests.tokens_app.conftest import (
    AUTH_CODE,
    CALLBACK_PATH,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
    TOKEN_URL,
    token_body,
)
from tokens_app.models import LoginFlow, TeamViewerToken

PASSWORD = "a long pass phrase 42"

# What an attacker puts where a same-site path is expected; browsers read "\" as "/" and drop
# leading blanks and control characters, so each of these could leave the site if followed.
FOREIGN = [
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "%5C%5Cevil.example",
    "https:evil.example",
    "https:/evil.example",
    " //evil.example",
    "\t//evil.example",
    "\x01//evil.example",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example@testserver/",
    "https://testserver.evil.example/",
    "/incidents/../..//evil.example",
]


def stays_here(location: str) -> bool:
    """Whether a browser following ``Location`` stays on this server (as browsers parse it)."""
    browser_view = location.lstrip("".join(chr(c) for c in range(33))).replace("\\", "/")
    target = urlsplit(urljoin("http://testserver/accounts/login/", browser_view))
    return target.scheme == "http" and target.netloc == "testserver"


def test_the_same_site_check_itself_catches_each_foreign_target():
    # The checker must flag what a browser would follow off-site, or the tests below prove nothing.
    assert not stays_here("//evil.example") and not stays_here("/\\evil.example")
    assert not stays_here(" https://evil.example/") and stays_here("/incidents/INC-1/")


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # Password hashing is not under test here; the real hasher would make these tests slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def person(db):
    return get_user_model().objects.create_user(username="admin.kato", password=PASSWORD, is_staff=True)


# --- next parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize("target", FOREIGN)
def test_signing_in_never_redirects_off_site(client, person, target):
    response = client.post(
        "/accounts/login/", {"username": person.username, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", FOREIGN)
def test_signing_in_to_admin_never_redirects_off_site(client, person, target):
    response = client.post(
        f"/admin/login/?next={target}", {"username": person.username, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


@pytest.mark.parametrize("target", FOREIGN)
def test_signing_out_never_redirects_off_site(client, person, target):
    client.force_login(person)
    response = client.post("/accounts/logout/", {"next": target})
    assert response.status_code == 302
    assert stays_here(response["Location"]), response["Location"]


# --- launch links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "incident_id", ["\\evil.example", "@evil.example", "%2F%2Fevil.example", ":evil", "\\\\x"]
)
def test_a_launch_link_leads_to_its_incident_page_whatever_the_id(agent, incident_id):
    url = launch_link_create(agent=agent, incident_id=incident_id)
    response = Client().get(urlsplit(url).path)
    assert response.status_code == 302
    assert stays_here(response["Location"]) and response["Location"].startswith("/incidents/")


def test_a_launch_link_ignores_anything_added_to_it(agent):
    url = launch_link_create(agent=agent, incident_id="INC-1001")
    response = Client().get(urlsplit(url).path, {"next": "https://evil.example/", "incident_id": "INC-666"})
    assert response["Location"] == "/incidents/INC-1001/"


# --- links built from the request ---------------------------------------------------------------


def test_links_never_follow_a_forged_host_header(settings, api, agent, tv):
    # A proxy that passes any Host through: links still come from PUBLIC_BASE_URL.
    settings.ALLOWED_HOSTS = ["*"]
    settings.USE_X_FORWARDED_HOST = True
    forged = {"HTTP_HOST": "evil.example", "HTTP_X_FORWARDED_HOST": "evil.example"}
    launch = api.post(f"{API}/launch/", {"incident_id": "INC-1"}, format="json", **forged).json()["url"]
    login = api.post(f"{API}/sessions/", {"incident_id": "INC-1"}, format="json", **forged).json()
    start = Client().get(urlsplit(login["authorize_url"]).path, **forged)
    redirect_uri = parse_qs(urlsplit(start["Location"]).query)["redirect_uri"][0]
    assert launch.startswith(settings.PUBLIC_BASE_URL + "/")
    assert login["authorize_url"].startswith(settings.PUBLIC_BASE_URL + "/")
    assert redirect_uri == settings.TEAMVIEWER_REDIRECT_URI


def test_a_start_link_with_its_own_redirect_uri_still_sends_the_registered_one(client, tv, agent):
    flow = LoginFlowFactory(agent=agent)
    response = client.get(
        f"/oauth/teamviewer/start/{flow.flow_id}/",
        {"redirect_uri": "https://evil.example/cb", "code_challenge_method": "plain"},
    )
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == TV_AUTHORIZE
    assert query["redirect_uri"] == [settings.TEAMVIEWER_REDIRECT_URI]
    assert query["code_challenge_method"] == ["S256"]


# --- a sign-in belongs to its agent -------------------------------------------------------------


def test_another_signed_in_agent_cannot_start_someone_elses_sign_in(tv, agent, other_agent):
    flow = LoginFlowFactory(agent=agent)
    intruder = Client()
    intruder.force_login(other_agent)
    refused = intruder.get(f"/oauth/teamviewer/start/{flow.flow_id}/")
    assert refused.status_code == 400
    assert "Location" not in refused
    flow.refresh_from_db()
    assert flow.status == LoginFlow.Status.PENDING
    # The link still works for its own agent.
    owner = Client()
    owner.force_login(agent)
    assert owner.get(f"/oauth/teamviewer/start/{flow.flow_id}/").status_code == 302


def test_the_callback_page_carries_no_code_state_token_or_verifier(client, tv, agent):
    tv.post(TOKEN_URL, json=token_body())
    flow = LoginFlowFactory(agent=agent)
    client.get(f"/oauth/teamviewer/start/{flow.flow_id}/")
    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})
    flow.refresh_from_db()
    page = response.content.decode()
    assert response.status_code == 200 and TeamViewerToken.objects.filter(agent=agent).exists()
    for secret in (AUTH_CODE, flow.state, flow.code_verifier, NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN):
        assert secret not in page
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "query",
    [
        {"state": "unknown-state", "code": AUTH_CODE},
        {"state": "unknown-state", "error": "access_denied"},
        {"state": "unknown-state", "error": "server_error"},
    ],
    ids=["error", "denied", "failed"],
)
def test_every_callback_page_sends_no_referrer(client, tv, agent, query):
    flow = LoginFlowFactory(agent=agent)
    client.get(f"/oauth/teamviewer/start/{flow.flow_id}/")
    flow.refresh_from_db()
    response = client.get(CALLBACK_PATH, {**query, "state": flow.state})
    assert response.status_code in (400, 502)
    assert response["Referrer-Policy"] == "no-referrer"
    assert AUTH_CODE not in response.content.decode()


def test_a_refused_start_link_sends_no_referrer(client, db):
    response = client.get("/oauth/teamviewer/start/no-such-flow/")
    assert response.status_code == 400
    assert response["Referrer-Policy"] == "no-referrer"
