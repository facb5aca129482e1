"""The sandbox answers as CSM does, and rejects what CSM rejects (csm-api.md, Part A)."""
from __future__ import annotations

import pytest

from csm_teamviewer.csm_sandbox import catalogue, faults
from csm_teamviewer.csm_sandbox.models import Journal

from .conftest import BASE, assert_csm_error, note_fields

pytestmark = pytest.mark.urls("tests.csm_sandbox.urls")


def test_the_password_grant_answers_csms_token_body(sandbox):
    body = sandbox.token().json()

    assert set(body) >= {"access_token", "token_type", "expires_in", "refresh_token", "as:client_id", ".expires"}
    assert body["expires_in"] == 1199 and body["token_type"] == "bearer"
    assert faults.login_count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [({"client_id": "not-the-key"}, "invalid_client_id"), ({"password": "wrong"}, "invalid_grant"),
     ({"username": "someone"}, "invalid_grant"), ({"auth_mode": "LDAP"}, "invalid_grant"),
     ({"grant_type": "client_credentials"}, "unsupported_grant_type")],
)
def test_a_bad_client_key_or_account_is_refused_with_oauths_body(sandbox, fields, error):
    response = sandbox.token(**fields)

    assert response.status_code == 400
    assert response.json()["error"] == error and response.json()["error_description"]


def test_auth_mode_is_read_from_the_query_string_too(sandbox):
    response = sandbox.client.post(f"{BASE}/token?auth_mode=Windows", {
        "grant_type": "password", "client_id": sandbox.settings.CSM_SANDBOX_CLIENT_ID,
        "username": sandbox.settings.CSM_SANDBOX_USERNAME, "password": sandbox.settings.CSM_SANDBOX_PASSWORD})

    assert response.json()["error"] == "invalid_grant"


def test_a_refresh_token_works_once(sandbox):
    refresh = sandbox.token().json()["refresh_token"]

    first = sandbox.token(grant_type="refresh_token", refresh_token=refresh, username=None, password=None)
    second = sandbox.token(grant_type="refresh_token", refresh_token=refresh, username=None, password=None)

    assert first.status_code == 200 and first.json()["refresh_token"] != refresh
    assert second.json()["error"] == "invalid_grant"


def test_an_expired_or_missing_token_is_a_401(sandbox):
    token = sandbox.access_token()
    faults.expire_all_tokens()
    path = "getbusinessobjectsummary/busobname/Incident"

    assert sandbox.call("GET", path, token).status_code == 401
    assert sandbox.call("GET", path, None).status_code == 401


def test_paths_ignore_case_like_csms(sandbox):
    token = sandbox.access_token()

    response = sandbox.client.get(f"{BASE.lower()}/API/v1/GetBusinessObjectSummary/BusObName/incident",
                                  headers={"Authorization": f"Bearer {token}"})

    assert response.json()[0]["busObId"] == catalogue.INCIDENT


@pytest.mark.parametrize("public_id", ["no-such-incident", "INC-12a", "12 34"])
def test_an_unknown_incident_is_500_record_not_found(sandbox, public_id):
    token = sandbox.access_token()

    response = sandbox.call("GET", f"getbusinessobject/busobid/{catalogue.INCIDENT}/publicid/{public_id}", token)

    assert_csm_error(response, 500, "RECORDNOTFOUND")


def test_an_incident_number_is_known_by_public_id_and_then_by_rec_id(sandbox):
    token = sandbox.access_token()
    incident = sandbox.incident(token, "INC-1001")

    again = sandbox.call("GET", f"getbusinessobject/busobid/{catalogue.INCIDENT}/busobrecid/{incident['busObRecId']}",
                         token).json()

    assert len(incident["busObRecId"]) == 42
    assert again["busObPublicId"] == "INC-1001"
    unknown = f"getbusinessobject/busobid/{catalogue.INCIDENT}/busobrecid/{'ab' * 21}"
    assert_csm_error(sandbox.call("GET", unknown, token), 500, "RECORDNOTFOUND")


def test_a_field_not_in_the_template_is_refused(sandbox):
    token = sandbox.access_token()
    incident = sandbox.incident(token)
    fields = [*note_fields(), {"dirty": True, "fieldId": "deadbeef", "name": "Priority", "value": "1"}]

    assert_csm_error(sandbox.save(token, incident["busObRecId"], fields), 400, "FIELDNOTFOUND")
    assert not Journal.objects.exists()


def test_a_save_without_dirty_fields_is_refused(sandbox):
    token = sandbox.access_token()
    incident = sandbox.incident(token)

    assert_csm_error(sandbox.save(token, incident["busObRecId"], note_fields(dirty=False)), 400, "NOCHANGES")
    assert not Journal.objects.exists()


def test_a_save_without_details_fails_validation_naming_the_field(sandbox):
    token = sandbox.access_token()
    incident = sandbox.incident(token)

    body = assert_csm_error(sandbox.save(token, incident["busObRecId"], note_fields(text="")), 400,
                            "FIELDVALIDATIONERROR")

    assert body["fieldValidationErrors"][0]["errorCode"] == "REQUIRED"


def test_a_related_save_makes_a_journal_the_related_list_shows(sandbox):
    token = sandbox.access_token()
    incident = sandbox.incident(token)

    saved = sandbox.save(token, incident["busObRecId"], note_fields("First")).json()
    listed = sandbox.call("GET", f"getrelatedbusinessobject/parentbusobid/{catalogue.INCIDENT}/parentbusobrecid/"
                                 f"{incident['busObRecId']}/relationshipid/{catalogue.OWNS_JOURNALS}", token).json()

    assert saved["hasError"] is False and len(saved["busObRecId"]) == 42
    [journal] = listed["relatedBusinessObjects"]
    assert journal["busObRecId"] == saved["busObRecId"] and listed["totalRecords"] == 1
    assert {item["name"]: item["value"] for item in journal["fields"]}["Details"] == "First"
    assert Journal.objects.get().type_name == "Journal - Note"


def test_an_injected_outage_answers_like_a_gateway(sandbox):
    faults.inject(status=503, times=1)

    response = sandbox.token()

    assert response.status_code == 503 and response["Content-Type"].startswith("text/html")
    assert sandbox.token().status_code == 200
