"""Attacks on API keys: near misses, reuse outside the API, a key naming an admin."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from sessions_app.models import ApiKey, LaunchLink
from sessions_app.services.api_keys import api_key_authenticate
from sessions_app.services.launch import launch_link_create
from tests.asserts import assert_error
from tests.sessions_app.conftest import API, client_for

ME = f"{API}/me/teamviewer/"


# --- the key itself ---------------------------------------------------------------------------


def test_the_key_is_found_by_its_digest_and_never_reaches_the_database(api_key):
    with CaptureQueriesContext(connection) as queries:
        assert api_key_authenticate(key=api_key) is not None
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert hashlib.sha256(api_key.encode()).hexdigest() in sql
    assert api_key not in sql


def _near_misses(key: str, record: ApiKey) -> dict[str, str]:
    return {
        "the stored digest": record.digest,
        "the prefix shown in admin": record.prefix,
        "one character short": key[:-1],
        "one character more": key + "A",
        "another case": key.swapcase(),
        "a NUL inside": key[:10] + "\x00" + key[10:],
        "very long": key * 400,
    }


@pytest.mark.parametrize(
    "variant",
    [
        "the stored digest",
        "the prefix shown in admin",
        "one character short",
        "one character more",
        "another case",
        "a NUL inside",
        "very long",
    ],
)
def test_near_misses_of_a_valid_key_are_401(api_key, agent, variant):
    presented = _near_misses(api_key, ApiKey.objects.get())[variant]
    response = client_for(presented, agent.username).get(ME)
    assert_error(response, status=401, code="not_authenticated")
    assert presented not in response.content.decode("latin-1")


# --- scoped to the API --------------------------------------------------------------------------

NOT_API = [
    ("get", "/admin/"),
    ("get", "/admin/sessions_app/apikey/"),
    ("get", "/admin/auth/user/"),
    ("get", "/incidents/INC-1001/"),
    ("get", "/incidents/INC-1001/sessions/"),
    ("post", "/incidents/INC-1001/sessions/create/"),
    ("get", "/oauth/teamviewer/flows/abcdefgh/"),
]


@pytest.mark.parametrize(("method", "url"), NOT_API)
def test_a_key_naming_a_superuser_opens_no_page_and_no_admin(api_key, method, url):
    admin = get_user_model().objects.create_superuser(username="root.admin", password="x" * 20)
    browser = Client()
    response = getattr(browser, method)(
        url, HTTP_AUTHORIZATION=f"Token {api_key}", HTTP_X_CSM_USER=admin.username
    )
    assert response.status_code in (302, 401, 403)
    if response.status_code == 302:
        assert urlsplit(response["Location"]).path in ("/accounts/login/", "/admin/login/")
    assert "_auth_user_id" not in browser.session


@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_superuser": True}], ids=["staff", "superuser"])
def test_a_key_gets_no_launch_link_for_a_staff_or_superuser_account(api_key, flags):
    admin = get_user_model().objects.create_user(username="admin.sato", **flags)
    response = client_for(api_key, admin.username).post(
        f"{API}/launch/", {"incident_id": "INC-1"}, format="json"
    )
    assert_error(response, status=403, code="staff_launch_refused")
    assert not LaunchLink.objects.exists()


def test_a_link_made_before_the_agent_became_staff_signs_nobody_in(agent):
    url = launch_link_create(agent=agent, incident_id="INC-1001")
    agent.is_staff = True
    agent.save()
    browser = Client()
    assert browser.get(urlsplit(url).path).status_code == 400
    assert "_auth_user_id" not in browser.session
    assert urlsplit(browser.get("/admin/")["Location"]).path == "/admin/login/"
