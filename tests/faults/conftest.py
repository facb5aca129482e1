"""Faults injected on loopback: this server's TeamViewer client against the sandbox on a live server.

The live server runs in a thread of this process, so the ``settings`` overrides reach it. The
API is called through the test client; every TeamViewer call goes over real HTTP to the sandbox,
whose faults (``csm_teamviewer.sandbox.faults``) live in the database both sides share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from csm_teamviewer.sandbox import faults
from sessions_app.services.api_keys import api_key_create
from tests.handed_over import catch_invitations
from tokens_app.teamviewer import teamviewer_app

from .sandbox import agent_with_token, sandbox_settings

API = "/api/v1"
WAIT_SECONDS = 15


def wait_until(check: Callable[[], Any], *, what: str, seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"Gave up waiting for {what}.")


@pytest.fixture
def live_tv(live_server, settings, transactional_db, monkeypatch) -> list[int]:
    """TeamViewer is the sandbox on the live server; returns the outbox ids handed to "Celery"."""
    for name, value in sandbox_settings(live_server.url).items():
        setattr(settings, name, value)
    # Short, so that "slower than the timeout" takes a second or two.
    settings.TEAMVIEWER_TIMEOUT = (2.0, 1.0)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.API_THROTTLE_PER_KEY = settings.API_THROTTLE_PER_AGENT = ""
    queued = catch_invitations(monkeypatch)
    cache.clear()
    faults.clear()
    yield queued
    faults.clear()
    # A kept-alive connection to the live server holds one of its threads, and that thread's
    # database connection, open past the test.
    teamviewer_app().http.close()


@pytest.fixture
def tv_agent(live_tv):
    return agent_with_token("agent.sato")


@pytest.fixture
def api_key(transactional_db) -> str:
    return api_key_create(name="CSM faults")[1]


def client_as(key: str, username: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_X_CSM_USER=username)
    return client


@pytest.fixture
def api(api_key, tv_agent) -> APIClient:
    return client_as(api_key, tv_agent.username)
