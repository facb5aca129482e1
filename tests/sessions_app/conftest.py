"""Fixtures for the sessions_app tests: API clients and page browsers acting as agents, TeamViewer
tokens, sessions, and an SMTP server that is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from responses import matchers
from rest_framework.test import APIClient

from sessions_app.models import Session
from sessions_app.services.api_keys import api_key_create
from tests.conftest import TV_API
from tests.factories import AgentFactory, SessionFactory, TeamViewerTokenFactory
from tests.net import free_port
from tokens_app.models import TeamViewerToken

from .page_client import PageClient

API = "/api/v1"
TV_SESSIONS = f"{TV_API}/sessions"
TV_TOKEN_URL = f"{TV_API}/oauth2/token"
# The bearer header of the tv_token fixture, as TeamViewer's mocks match it.
BEARER = matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"})

# The session body of the public interface (interface.md).
SESSION_FIELDS = frozenset(
    {
        "id",
        "incident_id",
        "code",
        "state",
        "end_customer_link",
        "supporter_link",
        "requester_name",
        "requester_email",
        "description",
        "agent",
        "valid_until",
        "created_at",
        "closed_at",
        "email_status",
        "email_sent_at",
        "connections",
        "connections_status",
        "customer_waiting_since",
        "csm_journal",
    }
)


def tv_session_body(code: str = "s12-345-678", **overrides) -> dict:
    """TeamViewer's answer to POST /sessions (API notes §3.1)."""
    body = {
        "code": code,
        "state": "open",
        "groupid": "g12345678",
        "description": "",
        "end_customer_link": f"https://get.teamviewer.test/{code}",
        "supporter_link": f"https://start.teamviewer.test/{code}?secret=supporter",
        "webclient_supporter_link": f"https://login.teamviewer.test/{code}?secret=webclient",
        "valid_until": (timezone.now() + timedelta(hours=24)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "created_at": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return {**body, **overrides}


def client_for(key: str, login: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_X_CSM_USER=login)
    return client


@pytest.fixture
def api_key(db) -> str:
    return api_key_create(name="CSM test")[1]


@pytest.fixture
def staff(db):
    return AgentFactory(username="admin.tanaka", email="", is_staff=True)


@pytest.fixture
def api(api_key, agent) -> APIClient:
    return client_for(api_key, agent.username)


@pytest.fixture
def other_api(api_key, other_agent) -> APIClient:
    return client_for(api_key, other_agent.username)


@pytest.fixture
def staff_api(api_key, staff) -> APIClient:
    return client_for(api_key, staff.username)


@pytest.fixture
def tv_token(agent) -> TeamViewerToken:
    """The agent's token, valid for a day; the mocks match its bearer, ``tv-access-agent.smith``."""
    return TeamViewerTokenFactory(
        agent=agent,
        access_token=f"tv-access-{agent.username}",
        refresh_token=f"tv-refresh-{agent.username}",
        expires_at=timezone.now() + timedelta(days=1),
    )


@pytest.fixture
def open_session(agent) -> Session:
    return SessionFactory(agent=agent)


@pytest.fixture
def smtp_down(settings):
    """Django's SMTP backend pointed at a loopback port nobody listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""
    settings.EMAIL_TIMEOUT = 2
    return settings


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def page(agent) -> PageClient:
    return PageClient(agent)


@pytest.fixture
def other_page(other_agent) -> PageClient:
    return PageClient(other_agent)
