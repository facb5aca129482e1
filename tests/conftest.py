"""Fixtures shared by every test: agents, and TeamViewer's cloud mocked at the HTTP boundary."""
from __future__ import annotations

import pytest
import responses
from django.contrib.auth import get_user_model
from django.db import connection

TV_API = "https://webapi.teamviewer.test/api/v1"
TV_AUTHORIZE = "https://login.teamviewer.test/oauth2/authorize"
TV_CLIENT_ID = "123456-TestClientId"
TV_CLIENT_SECRET = "test-client-secret-value"


@pytest.fixture
def agent(db):
    return get_user_model().objects.create_user(username="agent.smith", email="agent@example.com")


@pytest.fixture
def other_agent(db):
    return get_user_model().objects.create_user(username="agent.jones", email="jones@example.com")


@pytest.fixture
def tv(settings):
    """TeamViewer's API, mocked with ``responses``; any call not registered fails the test."""
    settings.TEAMVIEWER_API_URL = TV_API
    settings.TEAMVIEWER_AUTHORIZE_URL = TV_AUTHORIZE
    settings.TEAMVIEWER_CLIENT_ID = TV_CLIENT_ID
    settings.TEAMVIEWER_CLIENT_SECRET = TV_CLIENT_SECRET
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def requires_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://... (the test command does)")
