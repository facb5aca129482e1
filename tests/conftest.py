"""Fixtures shared by every test: agents, and TeamViewer's cloud mocked at the HTTP boundary."""
from __future__ import annotations

import pytest
import responses
from django.core.cache import cache
from django.db import connection

from tests.factories import AgentFactory
from tests.outbox_notifies import heard  # noqa: F401 - the outbox's NOTIFY channel, heard by a test
from tests.prerequisites import ci_prerequisites_missing, missing, on_ci

# A real SMTP server on loopback, for the tests of delivery.
from tests.smtp import smtp  # noqa: F401

# Fixtures for tests that start real Celery processes.
from tests.workers import celery_processes, producer, queue_name, redis_url  # noqa: F401

TV_API = "https://webapi.teamviewer.test/api/v1"
TV_AUTHORIZE = "https://login.teamviewer.test/oauth2/authorize"
TV_CLIENT_ID = "123456-TestClientId"
TV_CLIENT_SECRET = "test-client-secret-value"


def pytest_sessionstart(session):
    """Under CI, a missing PostgreSQL, Redis, redis-server or Chromium stops the run at once."""
    if on_ci() and (problems := ci_prerequisites_missing()):
        pytest.exit("CI: refusing to run with tests skipped: " + "; ".join(problems), returncode=1)


@pytest.fixture(autouse=True, scope="session")
def _broker_in_memory():
    """Tasks the code under test publishes go to kombu's in-memory transport, not to the
    development queue under var/ (a worker started by ``scripts/run`` would run them). Tests of
    a real worker point the producer at a broker of their own (the ``producer`` fixture)."""
    from csm_teamviewer.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "memory://"
    app.close()  # drop pools built on the configured broker
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url = original
    app.close()
    app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The API's request budgets live in the cache: no test spends another's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def agent(db):
    return AgentFactory(username="agent.smith", email="agent@example.com")


@pytest.fixture
def other_agent(db):
    return AgentFactory(username="agent.jones", email="jones@example.com")


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
        missing("needs PostgreSQL: run with DATABASE_URL=postgres://... (the test command does)")
