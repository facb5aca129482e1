"""The state sync without its cache (Redis down) and the origin its audit events name."""

from __future__ import annotations

import logging

import pytest

from csm_teamviewer.audit.models import AuditEvent
from sessions_app import tasks
from sessions_app.models import Session
from sessions_app.services.sync import sessions_sync, sessions_sync_batch
from tests.factories import SessionFactory, TeamViewerTokenFactory

from .conftest import TV_SESSIONS, tv_session_body

# A Redis cache nobody listens on: every call raises (connection refused), as when Redis is down.
DOWN_REDIS = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
}


@pytest.fixture
def cache_down(settings):
    settings.CACHES = DOWN_REDIS


def test_the_session_list_still_answers_when_the_cache_is_down(client, agent, tv, cache_down, caplog):
    TeamViewerTokenFactory(agent=agent)
    session = SessionFactory(agent=agent)
    client.force_login(agent)

    with caplog.at_level(logging.WARNING, logger="sessions_app.cache_fallback"):
        response = client.get(f"/incidents/{session.incident_id}/sessions/")

    assert response.status_code == 200
    assert session.code in response.content.decode()
    assert len(tv.calls) == 0  # nothing asked: without the cache the pollers cannot share out
    assert "Session state sync skipped, the cache is unavailable: ConnectionError" in caplog.text
    assert caplog.text.count("Session state sync skipped") == 1  # once per request, not per session


def test_the_periodic_sync_skips_its_run_when_the_cache_is_down(agent, tv, cache_down):
    TeamViewerTokenFactory(agent=agent)
    SessionFactory(agent=agent)

    assert sessions_sync_batch(limit=10, rate_limit=0) == 0
    assert len(tv.calls) == 0
    assert Session.objects.get().state == Session.State.OPEN


def sync_event() -> AuditEvent:
    return AuditEvent.objects.get(action=AuditEvent.Action.SYNC)


def test_changes_found_by_the_periodic_sync_are_audited_as_the_sync(agent, tv):
    TeamViewerTokenFactory(agent=agent)
    session = SessionFactory(agent=agent)
    tv.get(f"{TV_SESSIONS}/{session.code}", json=tv_session_body(session.code, online=True))

    assert tasks.sync_session_states.run() == 1

    assert (sync_event().outcome, sync_event().via) == ("active", "sync")


def test_changes_found_for_the_incident_page_are_audited_as_the_page(agent, tv):
    TeamViewerTokenFactory(agent=agent)
    session = SessionFactory(agent=agent)
    tv.get(f"{TV_SESSIONS}/{session.code}", json=tv_session_body(session.code, state="Closed"))

    assert sessions_sync(sessions=[session]) == [session]

    assert (sync_event().outcome, sync_event().via) == ("closed", "page")
