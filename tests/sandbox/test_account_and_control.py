"""The sandbox's account endpoint (``GET /api/v1/account``) and its customer-online control."""

from __future__ import annotations

import pytest
from django.test import Client

from csm_teamviewer.sandbox.models import Session

from .conftest import BANNER, BASE, assert_teamviewer_error

pytestmark = pytest.mark.urls("tests.sandbox.urls")

CONTROL = f"{BASE}/control/sessions/"


def test_account_answers_who_the_token_signs_in_as(sandbox):
    token = sandbox.access_token(email="taro.yamada@example.com")

    response = sandbox.api("GET", "account", token)

    body = response.json()
    assert response.status_code == 200
    assert (body["name"], body["email"]) == ("Taro Yamada", "taro.yamada@example.com")
    # The same user id the token's sessions are assigned to.
    session = sandbox.create_session(token)
    assert body["userid"] == session["assigned_userid"]


def test_account_refuses_a_missing_or_revoked_token(sandbox):
    token = sandbox.access_token()
    assert_teamviewer_error(sandbox.api("GET", "account", None), 401, "invalid_token")
    sandbox.api("POST", "oauth2/revoke", token)
    assert_teamviewer_error(sandbox.api("GET", "account", token), 401, "invalid_token")


def test_the_control_brings_a_customer_online_without_a_connection(sandbox, client):
    token = sandbox.access_token()
    code = sandbox.create_session(token)["code"]

    page = client.get(CONTROL)
    assert page.status_code == 200 and BANNER in page.content.decode() and code in page.content.decode()
    response = client.post(f"{CONTROL}{code}/customer-online")

    assert response.status_code == 302
    assert sandbox.api("GET", f"sessions/{code}", token).json()["online"] is True
    assert not Session.objects.get(code=code).connections.exists()  # waiting, not yet connected
    assert "The customer is online." in client.get(CONTROL).content.decode()


def test_the_control_leaves_a_closed_session_offline_and_refuses_an_unknown_one(sandbox, client):
    token = sandbox.access_token()
    code = sandbox.create_session(token)["code"]
    sandbox.api("PUT", f"sessions/{code}", token, {"state": "closed"})

    client.post(f"{CONTROL}{code}/customer-online")

    assert Session.objects.get(code=code).online is False
    assert client.post(f"{CONTROL}s00-000-000/customer-online").status_code == 404


def test_the_control_is_a_form_with_csrf_protection(sandbox):
    code = sandbox.create_session(sandbox.access_token())["code"]
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(f"{CONTROL}{code}/customer-online").status_code == 403
    assert Session.objects.get(code=code).online is False
