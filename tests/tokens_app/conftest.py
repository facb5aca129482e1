"""Fixtures for tokens_app: TeamViewer's token endpoint, a pending action, a bound browser, logins."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs

import pytest
import responses
from django.http import HttpRequest, HttpResponse
from django.test import Client

from csm_teamviewer.audit.models import AuditEvent
from tests.conftest import TV_API
from tests.factories import LoginFlowFactory, TeamViewerTokenFactory
from tokens_app import pending_actions
from tokens_app.models import LoginFlow
from tokens_app.views import FLOW_COOKIE, FLOW_COOKIE_SALT

TOKEN_URL = f"{TV_API}/oauth2/token"
CALLBACK_PATH = "/oauth/teamviewer/callback/"
AUTH_CODE = "auth-code-0f9e8d7c6b5a"
NEW_ACCESS_TOKEN = "new-access-token-5b1c7e"
NEW_REFRESH_TOKEN = "new-refresh-token-9a2d4f"
RESUMED_ACTION = "test_resumed_create"


def token_body(
    access: str = NEW_ACCESS_TOKEN, refresh: str = NEW_REFRESH_TOKEN, expires_in: int = 86400
) -> dict:
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }


def form(request) -> dict[str, str]:
    """A form-encoded request body as a plain dict (each field must appear exactly once)."""
    body = request.body.decode() if isinstance(request.body, bytes) else request.body
    fields = parse_qs(body, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in fields.values()), fields
    return {key: values[0] for key, values in fields.items()}


def sent_json(request) -> dict:
    return json.loads(request.body)


def calls_to(mock: responses.RequestsMock, url: str, method: str | None = None) -> list:
    return [
        call
        for call in mock.calls
        if call.request.url.split("?")[0] == url and (method is None or call.request.method == method)
    ]


@pytest.fixture
def token_endpoint(tv) -> Callable[..., responses.BaseResponse]:
    """Register an answer of TeamViewer's token endpoint (a success by default)."""

    def register(status: int = 200, body: dict | None = None, **kwargs) -> responses.BaseResponse:
        return tv.post(TOKEN_URL, json=token_body() if body is None else body, status=status, **kwargs)

    return register


@pytest.fixture
def resumed_calls():
    """A pending action, as sessions_app registers them; removed again after the test."""
    calls: list[dict] = []

    @pending_actions.register(RESUMED_ACTION)
    def _create(*, agent, incident_id: str) -> dict:
        calls.append({"agent": agent, "incident_id": incident_id})
        return {"session_code": "s12-345-678", "incident_id": incident_id}

    yield calls
    pending_actions._actions.pop(RESUMED_ACTION, None)


@pytest.fixture
def flow(agent):
    """A login already sent to TeamViewer (its start link used), waiting for the callback."""
    return LoginFlowFactory(agent=agent, started=True)


@pytest.fixture
def pending_flow(agent, resumed_calls):
    """A login the agent has not opened yet, that resumes a create once it completes."""
    return LoginFlowFactory(agent=agent, action=RESUMED_ACTION, action_args={"incident_id": "INC-1001"})


def start_path(flow: LoginFlow) -> str:
    return f"/oauth/teamviewer/start/{flow.flow_id}/"


def assert_refused(response) -> None:
    """The login pages' refusal of an unknown, used, expired or foreign link: an error page, 400."""
    assert response.status_code == 400
    assert b"This TeamViewer sign-in link is no longer valid" in response.content


@pytest.fixture
def token(agent):
    return TeamViewerTokenFactory(agent=agent)


def bind_browser(client: Client, flow_id: str) -> None:
    """Give the test browser the cookie the start page sets, as if it had started that flow."""
    response = HttpResponse()
    response.set_signed_cookie(FLOW_COOKIE, flow_id, salt=FLOW_COOKIE_SALT)
    client.cookies[FLOW_COOKIE] = response.cookies[FLOW_COOKIE].value


def signed_cookie_value(value: str) -> str | None:
    """What the server reads back from a binding cookie (None when its signature is bad)."""
    request = HttpRequest()
    request.COOKIES[FLOW_COOKIE] = value
    return request.get_signed_cookie(FLOW_COOKIE, default=None, salt=FLOW_COOKIE_SALT)


@pytest.fixture
def forgotten() -> Callable[[], list[tuple]]:
    """Agents whose token was forgotten, and why, as the audit recorded it."""

    def heard() -> list[tuple]:
        events = AuditEvent.objects.filter(action=AuditEvent.Action.DISCONNECT).order_by("at", "pk")
        return list(events.values_list("actor_id", "detail"))

    return heard

