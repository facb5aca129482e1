"""Launch links: CSM asks for one (POST /api/v1/launch/); opening it once signs the agent in."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from csm_teamviewer.errors import Invalid
from sessions_app.models import LaunchLink
from sessions_app.services.launch import (
    LaunchLinkInvalid,
    launch_link_create,
    launch_link_redeem,
    launch_links_purge,
)
from tests.factories import AgentFactory

from .conftest import API, client_for

URL = f"{API}/launch/"


@pytest.fixture(autouse=True)
def public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://teamviewer.example.com"


def token_of(url: str) -> str:
    path = urlsplit(url).path
    assert path.startswith("/incidents/launch/") and path.endswith("/")
    return path.removeprefix("/incidents/launch/").rstrip("/")


def local(url: str) -> str:
    return urlsplit(url).path


# --- asking for a link ----------------------------------------------------------------------------


def test_csm_gets_a_one_time_link_for_the_acting_agent_and_only_its_hash_is_stored(api, agent):
    response = api.post(URL, {"incident_id": "INC-1001", "requester_name": "山田 花子"}, format="json")
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    url = response.json()["url"]
    assert url.startswith("https://teamviewer.example.com/incidents/launch/")
    token = token_of(url)
    assert len(token) >= 43
    link = LaunchLink.objects.get()
    assert (link.agent, link.incident_id, link.requester_name) == (agent, "INC-1001", "山田 花子")
    assert link.digest == hashlib.sha256(token.encode()).hexdigest()
    stored = " ".join(str(value) for value in LaunchLink.objects.values().get().values())
    assert token not in stored
    assert timedelta(seconds=110) < link.expires_at - timezone.now() <= timedelta(seconds=120)


def test_every_link_is_different(api):
    urls = {api.post(URL, {"incident_id": "INC-1001"}, format="json").json()["url"] for _ in range(5)}
    assert len(urls) == 5


def test_the_lifetime_comes_from_the_setting(api, settings):
    settings.LAUNCH_LINK_LIFETIME_SECONDS = 30
    api.post(URL, {"incident_id": "INC-1001"}, format="json")
    assert LaunchLink.objects.get().expires_at - timezone.now() <= timedelta(seconds=30)


def test_asking_needs_the_api_key(client, agent):
    response = client.post(URL, {"incident_id": "INC-1001"}, content_type="application/json", HTTP_X_CSM_USER="agent.smith")
    assert response.status_code == 401
    assert not LaunchLink.objects.exists()


def test_asking_needs_the_acting_agent(api_key):
    response = client_for(api_key, "").post(URL, {"incident_id": "INC-1001"}, format="json")
    assert response.status_code == 401
    assert not LaunchLink.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "incident_id"),
        ({"incident_id": ""}, "incident_id"),
        ({"incident_id": 1001}, "incident_id"),
        ({"incident_id": "INC/1001"}, "incident_id"),
        ({"incident_id": ".."}, "incident_id"),
        ({"incident_id": "x" * 65}, "incident_id"),
        ({"incident_id": "INC-1", "requester_email": "not an address"}, "requester_email"),
        ({"incident_id": "INC-1", "requester_name": "two\nlines"}, "requester_name"),
    ],
)
def test_a_wrong_field_is_named_and_no_link_is_made(api, body, field):
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not LaunchLink.objects.exists()


# --- opening it -----------------------------------------------------------------------------------


def test_opening_the_link_signs_the_agent_in_and_opens_the_page_with_the_requester(agent):
    url = launch_link_create(agent=agent, incident_id="INC-1001", requester_name="山田 花子", requester_email="h@example.com")
    browser = Client()
    response = browser.get(local(url))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/incidents/INC-1001/"
    assert parse_qs(target.query) == {"requester_name": ["山田 花子"], "requester_email": ["h@example.com"]}
    assert response["Referrer-Policy"] == "no-referrer"
    assert int(browser.session["_auth_user_id"]) == agent.pk
    # Later visits need no link: the sign-in lasts.
    assert browser.get("/incidents/INC-1001/").status_code == 200
    assert browser.get("/incidents/INC-2002/").status_code == 200


def test_a_link_without_requester_opens_the_bare_page(agent):
    response = Client().get(local(launch_link_create(agent=agent, incident_id="INC 1001 ü")))
    assert response["Location"] == "/incidents/INC%201001%20%C3%BC/"


def test_a_link_works_once_only(agent):
    url = local(launch_link_create(agent=agent, incident_id="INC-1001"))
    assert Client().get(url).status_code == 302
    second = Client()
    response = second.get(url)
    assert response.status_code == 400
    assert "already been used or has expired" in response.content.decode()
    assert "_auth_user_id" not in second.session


def test_an_expired_link_signs_nobody_in(agent):
    url = local(launch_link_create(agent=agent, incident_id="INC-1001"))
    browser = Client()
    with time_machine.travel(timezone.now() + timedelta(seconds=121)):
        response = browser.get(url)
    assert response.status_code == 400
    assert "_auth_user_id" not in browser.session


@pytest.mark.parametrize(
    "token", ["A" * 43, "short", "x" * 200, "%00" + "A" * 40, "A" * 42 + "%21"]
)
def test_unknown_or_malformed_links_get_the_clear_error_page(db, token):
    browser = Client()
    response = browser.get(f"/incidents/launch/{token}/")
    assert response.status_code == 400
    assert "launch_link_invalid" in response.content.decode()
    assert "_auth_user_id" not in browser.session


def test_the_error_page_speaks_japanese_too(db):
    response = Client().get("/incidents/launch/" + "A" * 43 + "/", HTTP_ACCEPT_LANGUAGE="ja")
    assert "このリンクは使用済みか、有効期限が切れています" in response.content.decode()


def test_a_deactivated_agents_link_signs_nobody_in(agent):
    url = local(launch_link_create(agent=agent, incident_id="INC-1001"))
    agent.is_active = False
    agent.save()
    browser = Client()
    assert browser.get(url).status_code == 400
    assert "_auth_user_id" not in browser.session


def test_a_link_replaces_whoever_was_signed_in_in_that_browser(agent, other_agent):
    browser = Client()
    browser.force_login(other_agent)
    browser.get(local(launch_link_create(agent=agent, incident_id="INC-1001")))
    assert int(browser.session["_auth_user_id"]) == agent.pk


def test_a_spent_link_cannot_be_spent_again_by_the_service(agent):
    token = token_of(launch_link_create(agent=agent, incident_id="INC-1001"))
    assert launch_link_redeem(token=token).agent == agent
    with pytest.raises(LaunchLinkInvalid):
        launch_link_redeem(token=token)


def test_the_purge_deletes_expired_links_and_keeps_live_ones(agent):
    launch_link_create(agent=agent, incident_id="INC-1")
    launch_link_create(agent=agent, incident_id="INC-2")
    LaunchLink.objects.filter(incident_id="INC-1").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert launch_links_purge() == 1
    assert list(LaunchLink.objects.values_list("incident_id", flat=True)) == ["INC-2"]


@pytest.mark.django_db(transaction=True)
def test_many_tabs_racing_for_one_link_sign_in_exactly_once(requires_postgres):
    agent = AgentFactory(username="agent.race")
    token = token_of(launch_link_create(agent=agent, incident_id="INC-1001"))
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def redeem() -> None:
        try:
            start.wait()
            launch_link_redeem(token=token)
            outcomes.append("signed in")
        except LaunchLinkInvalid:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 19 + ["signed in"]


@pytest.mark.parametrize("incident_id", ["INC/1", "", "..", "x" * 65, "bell\x07"])
def test_the_service_refuses_an_incident_id_the_page_cannot_show(agent, incident_id):
    with pytest.raises(Invalid):
        launch_link_create(agent=agent, incident_id=incident_id)
    assert not LaunchLink.objects.exists()


def test_a_refused_link_is_logged_without_its_token(db, caplog):
    token = "B" * 43
    with caplog.at_level("DEBUG"):
        assert Client().get(f"/incidents/launch/{token}/").status_code == 400
    assert caplog.records, "the refusal is not logged at all"
    assert all(token not in record.getMessage() for record in caplog.records)
