"""Every endpoint needs a valid API key and an acting agent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from sessions_app.auth import ApiKeyAuthentication
from sessions_app.models import ApiKey, Session
from sessions_app.services.api_keys import api_key_revoke
from tests.asserts import assert_error
from tests.factories import SessionFactory

from .conftest import API, client_for

SESSION_ID = "11111111-2222-3333-4444-555555555555"
ENDPOINTS = [
    ("get", f"{API}/sessions/"),
    ("post", f"{API}/sessions/"),
    ("get", f"{API}/sessions/{SESSION_ID}/"),
    ("post", f"{API}/sessions/{SESSION_ID}/email/"),
    ("post", f"{API}/sessions/{SESSION_ID}/join/"),
    ("post", f"{API}/sessions/{SESSION_ID}/close/"),
    ("get", f"{API}/me/teamviewer/"),
    ("delete", f"{API}/me/teamviewer/"),
]


def _call(client: APIClient, method: str, url: str):
    body = {"incident_id": "INC-1"} if method == "post" else None
    return getattr(client, method)(url, body, format="json")


@pytest.fixture
def session_behind_every_url(agent):
    return SessionFactory(agent=agent, id=SESSION_ID)


def _assert_not_authenticated(response) -> None:
    assert_error(response, status=401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_no_api_key_is_401(db, agent, session_behind_every_url, method, url):
    client = APIClient()
    client.credentials(HTTP_X_CSM_USER=agent.username)
    _assert_not_authenticated(_call(client, method, url))


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize(
    "header", ["Token wrong-key", "Token", "Token a b", "Bearer csmtv_x", "Basic Zm9vOmJhcg=="]
)
def test_a_wrong_api_key_is_401(db, agent, session_behind_every_url, method, url, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header, HTTP_X_CSM_USER=agent.username)
    _assert_not_authenticated(_call(client, method, url))


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_a_revoked_api_key_is_401(api_key, agent, session_behind_every_url, method, url):
    api_key_revoke(api_key=ApiKey.objects.get())
    _assert_not_authenticated(_call(client_for(api_key, agent.username), method, url))


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("login", [None, "", "   ", "two words", "x" * 151, "tab\there"])
def test_a_missing_or_malformed_agent_header_is_401_naming_it(
    api_key, session_behind_every_url, method, url, login
):
    client = APIClient()
    extra = {} if login is None else {"HTTP_X_CSM_USER": login}
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_key}", **extra)
    response = _call(client, method, url)
    _assert_not_authenticated(response)
    assert "X-CSM-User" in response.json()["detail"]
    assert get_user_model().objects.filter(username__in=["", "two words"]).count() == 0


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_a_deactivated_agent_is_403(api_key, agent, session_behind_every_url, method, url):
    agent.is_active = False
    agent.save()
    response = _call(client_for(api_key, agent.username), method, url)
    assert_error(response, status=403, code="permission_denied")


def test_no_agent_is_provisioned_without_a_valid_key(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope", HTTP_X_CSM_USER="new.agent")
    client.get(f"{API}/sessions/")
    assert not get_user_model().objects.filter(username="new.agent").exists()


def test_an_agent_is_provisioned_on_first_use(api_key):
    response = client_for(api_key, "new.agent").get(f"{API}/me/teamviewer/")
    assert response.status_code == 200
    agent = get_user_model().objects.get(username="new.agent")
    assert not agent.has_usable_password()


def test_a_utf8_agent_login_is_read_as_utf8(api_key):
    login = "山田.taro"
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {api_key}", HTTP_X_CSM_USER=login.encode("utf-8").decode("latin-1")
    )
    assert client.get(f"{API}/me/teamviewer/").status_code == 200
    assert get_user_model().objects.filter(username=login).exists()


def test_the_acting_agent_is_the_one_in_the_header(api_key, agent, other_agent):
    SessionFactory(agent=agent, id=SESSION_ID)
    mine = client_for(api_key, agent.username).get(f"{API}/sessions/{SESSION_ID}/").json()
    theirs = client_for(api_key, other_agent.username).get(f"{API}/sessions/{SESSION_ID}/").json()
    assert mine["supporter_link"] and theirs["supporter_link"] is None
    assert Session.objects.count() == 1


def test_the_key_and_the_agent_are_read_in_one_query(api_key, agent, django_assert_num_queries):
    client = client_for(api_key, agent.username)
    client.get(f"{API}/me/teamviewer/")  # the key's last-used time is written once a minute
    with django_assert_num_queries(2):  # the key with its agent, the agent's token
        assert client.get(f"{API}/me/teamviewer/").status_code == 200


def test_a_key_used_within_the_minute_is_not_written_again(api_key, agent):
    client = client_for(api_key, agent.username)
    client.get(f"{API}/me/teamviewer/")
    first = ApiKey.objects.get().last_used_at
    client.get(f"{API}/me/teamviewer/")
    assert first is not None and ApiKey.objects.get().last_used_at == first
    ApiKey.objects.update(last_used_at=first - timedelta(minutes=2))
    client.get(f"{API}/me/teamviewer/")
    assert ApiKey.objects.get().last_used_at > first


def test_the_authenticated_key_is_the_stored_one(api_key, agent):
    headers = {"HTTP_AUTHORIZATION": f"Token {api_key}", "HTTP_X_CSM_USER": agent.username}
    request = APIRequestFactory().get("/", **headers)
    user, key = ApiKeyAuthentication().authenticate(Request(request))
    assert user == agent
    assert (key, key.name, key.revoked_at) == (ApiKey.objects.get(), "CSM test", None)
