"""The integration account's token: the password grant, refresh before expiry, login on a
refused refresh, a refused token renewed once, and errors read however CSM words them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.utils import timezone

from tokens_app.csm import CsmConfigurationError, CsmUnavailable
from tokens_app.models import CsmToken

from .conftest import (
    ACCESS,
    API,
    CLIENT_ID,
    INCIDENT_OBJECT,
    PASSWORD,
    REFRESH,
    TOKEN_URL,
    USERNAME,
    calls_to,
    csm_error,
    form,
    logins,
    query,
    record,
    token_body,
)

PUBLIC_URL = f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/102522"


def sign_in(client) -> None:
    client.api.sign_in()


def test_the_password_grant_sends_the_account_in_a_form_and_auth_mode_both_ways(client, token_endpoint):
    sign_in(client)

    [call] = calls_to(token_endpoint, TOKEN_URL)
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(call) == {"grant_type": "password", "client_id": CLIENT_ID, "username": USERNAME,
                          "password": PASSWORD, "auth_mode": "Internal"}
    assert query(call) == {"auth_mode": "Internal"}


def test_the_token_is_stored_encrypted_with_its_expiry(client, token_endpoint):
    sign_in(client)

    stored = CsmToken.objects.get()
    assert (stored.access_token, stored.refresh_token, stored.logins) == (ACCESS, REFRESH, 1)
    assert timedelta(seconds=1190) < stored.expires_at - timezone.now() <= timedelta(seconds=1199)
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM tokens_app_csmtoken")
        raw = cursor.fetchone()
    assert ACCESS not in raw[0] and REFRESH not in raw[1]


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, {"error": "invalid_client_id", "error_description": "Client x is not registered in the system."},
         "invalid_client_id"),
        (400, {"error": "invalid_grant", "error_description": "Could not login to system with the provided user "
                                                              "ID and password."}, "invalid_grant"),
        # The other reading: CSM's error trio on the token endpoint, and not a 400.
        (401, csm_error("LOGINFAILED", "Login failed"), "LOGINFAILED"),
        (200, csm_error("INVALIDCLIENT", "Client not registered"), "INVALIDCLIENT"),
    ],
)
def test_a_refused_login_is_a_configuration_error_with_csms_words(client, csm, status, body, code):
    csm.post(TOKEN_URL, json=body, status=status)

    with pytest.raises(CsmConfigurationError) as raised:
        sign_in(client)

    assert raised.value.code == code
    assert raised.value.message == (body.get("error_description") or body.get("errorMessage"))
    assert CsmToken.objects.get().lease_until is None  # the next caller may try again


@pytest.mark.parametrize("answer", [{"status": 503, "body": "<html>down</html>"},
                                    {"body": requests.ConnectionError("refused")}])
def test_csm_down_at_login_is_unavailable(client, csm, answer):
    csm.post(TOKEN_URL, **answer)

    with pytest.raises(CsmUnavailable):
        sign_in(client)


def test_a_token_about_to_expire_is_refreshed_before_use(client, csm, settings):
    settings.CSM_REFRESH_MARGIN_SECONDS = 60
    CsmToken.objects.create(pk=1, account=client.api.tokens.account, access_token="old-access",
                            refresh_token="old-refresh", expires_at=timezone.now() + timedelta(seconds=30))
    csm.post(TOKEN_URL, json=token_body())
    csm.get(PUBLIC_URL, json=record())

    client.api.by_public_id(INCIDENT_OBJECT, "102522")

    [refresh] = [form(call) for call in calls_to(csm, TOKEN_URL)]
    assert refresh == {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": "old-refresh",
                       "auth_mode": "Internal"}
    assert calls_to(csm, PUBLIC_URL)[0].request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert CsmToken.objects.get().refreshes == 1


def test_a_refused_refresh_falls_back_to_a_password_login(client, csm):
    CsmToken.objects.create(pk=1, account=client.api.tokens.account, access_token="old-access",
                            refresh_token="spent-refresh", expires_at=timezone.now() - timedelta(seconds=1))
    csm.post(TOKEN_URL, json={"error": "invalid_grant", "error_description": "expired"}, status=400)
    csm.post(TOKEN_URL, json=token_body())

    sign_in(client)

    assert [form(call)["grant_type"] for call in calls_to(csm, TOKEN_URL)] == ["refresh_token", "password"]
    assert CsmToken.objects.get().access_token == ACCESS


def test_a_token_of_another_account_is_not_used(client, csm, settings):
    CsmToken.objects.create(pk=1, account="someone-else", access_token="theirs", refresh_token="their-refresh",
                            expires_at=timezone.now() + timedelta(hours=1))
    csm.post(TOKEN_URL, json=token_body())

    sign_in(client)

    assert len(logins(csm)) == 1


def test_a_401_renews_the_token_once_and_repeats_the_call_once(client, csm):
    csm.post(TOKEN_URL, json=token_body(access="first"))
    csm.post(TOKEN_URL, json=token_body(access="second"))
    csm.get(PUBLIC_URL, json={"Message": "Authorization has been denied for this request."}, status=401)
    csm.get(PUBLIC_URL, json=record())

    client.api.by_public_id(INCIDENT_OBJECT, "102522")

    sent = [call.request.headers["Authorization"] for call in calls_to(csm, PUBLIC_URL)]
    assert sent == ["Bearer first", "Bearer second"]
    assert [form(call)["grant_type"] for call in calls_to(csm, TOKEN_URL)] == ["password", "refresh_token"]


def test_a_fresh_token_refused_again_is_not_tried_a_third_time(client, csm):
    csm.post(TOKEN_URL, json=token_body())
    csm.get(PUBLIC_URL, status=401)

    with pytest.raises(CsmUnavailable):
        client.api.by_public_id(INCIDENT_OBJECT, "102522")

    assert len(calls_to(csm, PUBLIC_URL)) == 2
