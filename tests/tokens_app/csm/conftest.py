"""CSM's REST API mocked at the HTTP boundary with ``responses``, and the answers it gives."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from tokens_app.csm import csm_client

CSM = "https://csm.example.test/CherwellAPI"
API = f"{CSM}/api/V1"
TOKEN_URL = f"{CSM}/token"
CLIENT_ID = "3b1f0c6e-5a8d-4c2b-9f1e-7d6a5c4b3a21"
USERNAME = "svc-teamviewer"
PASSWORD = "integration-pass-9f3e71"
ACCESS = "csm-access-token-a1b2c3d4e5"
REFRESH = "csm-refresh-token-f6e7d8c9"

INCIDENT_OBJECT = "6dd53665c0c24cab86870a21cf6434ae"
JOURNAL_GROUP = "9341bdb9ae2df7c4b0a2e54d2a8ac7cfde7e0b23a1"
JOURNAL_NOTE = "934d8181ba9d3a6a506d7643e1bc71f70fa9b47412"
RELATIONSHIP = "9343f8800b5d8c1b95bbd64e3b9c2cd0b3e3f6c2a4"
FIELD_IDS = {"Details": "fd0001", "JournalTypeID": "fd0002", "JournalTypeName": "fd0003", "RecID": "fd0004"}
INCIDENT_REC_ID = "9451a88b3582418263efdf4fe0a5709443f8176be6"


def token_body(access: str = ACCESS, refresh: str = REFRESH, expires_in: int = 1199) -> dict:
    return {"access_token": access, "token_type": "bearer", "expires_in": expires_in, "refresh_token": refresh,
            "as:client_id": CLIENT_ID, "username": USERNAME, ".issued": "Mon, 17 June 2019 10:00:00 GMT",
            ".expires": "Mon, 17 June 2019 10:20:00 GMT"}


def form(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def query(call) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def sent_json(call) -> dict:
    return json.loads(call.request.body)


def calls_to(mock: responses.RequestsMock, url: str) -> list:
    return [call for call in mock.calls if call.request.url.split("?")[0].lower() == url.lower()]


def logins(mock: responses.RequestsMock) -> list[dict[str, str]]:
    return [form(call) for call in calls_to(mock, TOKEN_URL) if form(call)["grant_type"] == "password"]


def csm_error(code: str, message: str) -> dict:
    return {"errorCode": code, "errorMessage": message, "hasError": True}


def record(public_id: str = "102522", rec_id: str = INCIDENT_REC_ID) -> dict:
    return {"busObId": INCIDENT_OBJECT, "busObPublicId": public_id, "busObRecId": rec_id, "fields": [],
            "links": [], "errorCode": None, "errorMessage": None, "hasError": False}


def relationships(*names_and_ids: tuple[str, str]) -> dict:
    return {"busObId": INCIDENT_OBJECT, "name": "Incident", "fieldDefinitions": [], "hasError": False,
            "relationships": [{"relationshipId": rel_id, "displayName": name, "target": JOURNAL_GROUP,
                               "cardinality": "Many"} for name, rel_id in names_and_ids]}


GROUPS = [{"busObId": JOURNAL_GROUP, "name": "Journal", "displayName": "Journal", "group": True,
           "groupSummaries": [
               {"busObId": JOURNAL_NOTE, "name": "JournalNote", "displayName": "Journal - Note"},
               {"busObId": "934d818277bd6c2f67a3f0e44b5a95d0ee6a5f3c11", "name": "JournalHistory",
                "displayName": "Journal - History"}]}]
TEMPLATE = {"fields": [{"dirty": False, "fieldId": field_id, "name": name, "displayName": name, "value": ""}
                       for name, field_id in FIELD_IDS.items()], "hasError": False}


@pytest.fixture
def csm(settings, db):
    """CSM's API mocked; any call not registered fails the test."""
    settings.CSM_API_URL = CSM
    settings.CSM_CLIENT_ID = CLIENT_ID
    settings.CSM_USERNAME = USERNAME
    settings.CSM_PASSWORD = PASSWORD
    settings.CSM_AUTH_MODE = "Internal"
    settings.CSM_SANDBOX = False
    settings.CSM_TIMEOUT = (1.0, 2.0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def token_endpoint(csm):
    csm.post(TOKEN_URL, json=token_body())
    return csm


@pytest.fixture
def discovery(token_endpoint):
    """CSM's answers to discovery, by the default names."""
    csm = token_endpoint
    csm.get(f"{API}/getbusinessobjectsummary/busobname/Incident", json=[{"busObId": INCIDENT_OBJECT,
                                                                          "name": "Incident"}])
    csm.get(f"{API}/getbusinessobjectschema/busobid/{INCIDENT_OBJECT}",
            json=relationships(("Incident Links Customer", "rel-customer"), ("Incident Owns Journals", RELATIONSHIP)))
    csm.get(f"{API}/getbusinessobjectsummaries/type/Groups", json=GROUPS)
    csm.post(f"{API}/getbusinessobjecttemplate", json=TEMPLATE)
    return csm


@pytest.fixture
def client(csm):
    return csm_client()
