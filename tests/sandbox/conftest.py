"""Fixtures for the sandbox: its settings, and a test client that speaks its OAuth and API."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

BASE = "/sandbox/teamviewer"
API = f"{BASE}/api/v1"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
REDIRECT_URI = "http://csm.test/oauth/teamviewer/callback/"
BANNER = "TeamViewer sandbox — not the real TeamViewer"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def assert_teamviewer_error(response, status: int, error: str) -> dict:
    """The response is TeamViewer's error format (``error``, ``error_description``, ``error_code``)
    with this status and error: the sandbox answers as TeamViewer does, not as the project does
    (for the project's own error body, see ``tests.asserts.assert_error``)."""
    body = response.json()
    assert response.status_code == status, body
    assert body["error"] == error
    assert body["error_description"] and isinstance(body["error_code"], int)
    return body


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture(autouse=True)
def sandbox_settings(settings):
    settings.TEAMVIEWER_CLIENT_ID = CLIENT_ID
    settings.TEAMVIEWER_CLIENT_SECRET = CLIENT_SECRET
    settings.TEAMVIEWER_REDIRECT_URI = REDIRECT_URI
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.SANDBOX_LATENCY_SECONDS = 0
    return settings


@dataclass
class Grant:
    code: str
    verifier: str


class SandboxClient:
    """Drives the sandbox through Django's test client, as TeamViewer's clients would."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def authorize_params(self, *, challenge: str | None = None, **overrides: str) -> dict[str, str]:
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "state": "state-123",
            "display": "popup",
        }
        if challenge:
            params.update(code_challenge=challenge, code_challenge_method="S256")
        params.update(overrides)
        return {name: value for name, value in params.items() if value is not None}

    def authorize_url(self, params: dict[str, str]) -> str:
        return f"{BASE}/oauth2/authorize?{urlencode(params)}"

    def sign_in(self, params: dict[str, str], *, action: str = "allow", email: str = "agent@example.com"):
        form = {"email": email, "password": "anything", "action": action}
        return self.client.post(self.authorize_url(params), form)

    def grant(self, *, email: str = "agent@example.com", pkce: bool = True) -> Grant:
        verifier, challenge = pkce_pair() if pkce else ("", None)
        response = self.sign_in(self.authorize_params(challenge=challenge), email=email)
        assert response.status_code == 302, response.content
        return Grant(code=query_of(response["Location"])["code"], verifier=verifier)

    def token(self, *, as_json: bool = False, path: str = "oauth2/token", **data: str):
        body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **data}
        body = {name: value for name, value in body.items() if value is not None}
        if as_json:
            return self.client.post(f"{API}/{path}", body, content_type="application/json")
        return self.client.post(f"{API}/{path}", body)

    def refresh(self, refresh_token: str):
        return self.token(grant_type="refresh_token", refresh_token=refresh_token)

    def exchange(self, grant: Grant, **overrides: str):
        data = {"grant_type": "authorization_code", "code": grant.code, "redirect_uri": REDIRECT_URI}
        if grant.verifier:
            data["code_verifier"] = grant.verifier
        data.update(overrides)
        return self.token(**data)

    def tokens(self, *, email: str = "agent@example.com") -> dict[str, Any]:
        response = self.exchange(self.grant(email=email))
        assert response.status_code == 200, response.content
        return response.json()

    def access_token(self, *, email: str = "agent@example.com") -> str:
        return self.tokens(email=email)["access_token"]

    def api(self, method: str, path: str, token: str | None, body: Any = None, **query: str):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{API}/{path}"
        if query:
            url = f"{url}?{urlencode(query)}"
        if body is None:
            return self.client.generic(method, url, headers=headers)
        data = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.generic(method, url, data, content_type="application/json", headers=headers)

    def create_session(self, token: str, **fields: Any) -> dict[str, Any]:
        body = {"groupname": "CSM", "description": "Printer on fire", **fields}
        response = self.api("POST", "sessions", token, body)
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def sandbox(client, db) -> SandboxClient:
    return SandboxClient(client)
