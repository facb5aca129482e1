"""The admin's CSM page: the settings to compare, the check on request, and never a secret."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import ACCESS, API, INCIDENT_OBJECT, PASSWORD, REFRESH, csm_error, record

URL = reverse("admin:tokens_app_csm_status")


def test_the_page_shows_the_settings_and_runs_no_check_until_asked(admin_client, csm):
    page = admin_client.get(URL)

    assert page.status_code == 200
    assert "svc-teamviewer" in page.content.decode()
    assert 'id="csm-check"' not in page.content.decode()
    assert not csm.calls  # opening the page signs in nowhere


def test_the_check_shows_each_step_and_the_incident(admin_client, discovery):
    discovery.get(f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/102522",
                  json=record())

    page = admin_client.get(URL, {"check": "1", "incident_id": "102522"}).content.decode()

    assert 'data-ok="true"' in page
    assert "Incident 102522 found" in page
    for secret in (PASSWORD, ACCESS, REFRESH):
        assert secret not in page


def test_an_unknown_incident_is_said_plainly(admin_client, discovery):
    discovery.get(f"{API}/getbusinessobject/busobid/{INCIDENT_OBJECT}/publicid/999",
                  json=csm_error("RECORDNOTFOUND", "Record not found"), status=500)

    page = admin_client.get(URL, {"check": "1", "incident_id": "999"}).content.decode()

    assert 'data-ok="false"' in page
    assert "CSM knows no incident 999." in page


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_page_speaks_the_admins_language(admin_client, csm, language):
    page = admin_client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert ("CSM の状態" in page) == (language == "ja")


def test_agents_who_are_not_staff_are_sent_to_sign_in(db, csm):
    client = Client()
    assert client.get(URL, {"check": "1"}).status_code == 302
    assert not csm.calls
