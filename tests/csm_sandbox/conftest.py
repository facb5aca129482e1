"""Fixtures for the CSM sandbox: its settings, a test client that speaks its REST API, and the
project's own CSM client pointed at it on a live server."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from csm_teamviewer.csm_sandbox import catalogue
from tokens_app.csm import CsmClient, csm_client

BASE = "/sandbox/csm/CherwellAPI"
API = f"{BASE}/api/V1"


@pytest.fixture(autouse=True)
def csm_sandbox_settings(settings):
    settings.CSM_SANDBOX = True
    settings.CSM_CLIENT_ID = settings.CSM_SANDBOX_CLIENT_ID
    settings.CSM_USERNAME = settings.CSM_SANDBOX_USERNAME
    settings.CSM_PASSWORD = settings.CSM_SANDBOX_PASSWORD
    settings.CSM_AUTH_MODE = "Internal"
    return settings


def assert_csm_error(response, status: int, code: str) -> dict:
    """CSM's error body (``errorCode``, ``errorMessage``, ``hasError``) with this status and code."""
    body = response.json()
    assert response.status_code == status, body
    assert (body["hasError"], body["errorCode"]) == (True, code)
    assert body["errorMessage"]
    return body


class SandboxApi:
    """Drives the sandbox through Django's test client, as CSM's clients would."""

    def __init__(self, client: Client, settings: Any) -> None:
        self.client = client
        self.settings = settings

    def token(self, **fields: str):
        body = {"grant_type": "password", "client_id": self.settings.CSM_SANDBOX_CLIENT_ID,
                "username": self.settings.CSM_SANDBOX_USERNAME, "password": self.settings.CSM_SANDBOX_PASSWORD,
                **fields}
        return self.client.post(f"{BASE}/token", {key: value for key, value in body.items() if value is not None})

    def access_token(self) -> str:
        response = self.token()
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    def call(self, method: str, path: str, token: str | None, body: Any = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is None:
            return self.client.generic(method, f"{API}/{path}", headers=headers)
        return self.client.generic(method, f"{API}/{path}", json.dumps(body), content_type="application/json",
                                   headers=headers)

    def incident(self, token: str, public_id: str = "102522") -> dict:
        response = self.call("GET", f"getbusinessobject/busobid/{catalogue.INCIDENT}/publicid/{public_id}", token)
        assert response.status_code == 200, response.content
        return response.json()

    def save(self, token: str, parent_rec_id: str, fields: list[dict], **overrides: Any):
        body = {"parentBusObId": catalogue.INCIDENT, "parentBusObRecId": parent_rec_id,
                "relationshipId": catalogue.OWNS_JOURNALS, "busObId": catalogue.JOURNAL_GROUP,
                "fields": fields, "persist": True, **overrides}
        return self.call("POST", "saverelatedbusinessobject", token, body)


def note_fields(text: str = "A note", *, dirty: bool = True) -> list[dict]:
    ids = {item.name: item.field_id for item in catalogue.JOURNAL_FIELDS}
    return [{"dirty": dirty, "fieldId": ids["Details"], "name": "Details", "value": text},
            {"dirty": dirty, "fieldId": ids["JournalTypeID"], "name": "JournalTypeID",
             "value": catalogue.JOURNAL_NOTE}]


@pytest.fixture
def sandbox(client, db, settings) -> SandboxApi:
    return SandboxApi(client, settings)


@pytest.fixture
def csm_on_live_server(live_server, transactional_db, settings) -> Iterator[CsmClient]:
    """The project's own client, over real HTTP, against the sandbox on a live server."""
    settings.CSM_API_URL = f"{live_server.url}/sandbox/csm/CherwellAPI"
    settings.CSM_TIMEOUT = (2.0, 1.0)
    client = csm_client()
    yield client
    client.http.close()
