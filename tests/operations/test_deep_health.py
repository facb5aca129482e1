"""``/healthz/?deep=1`` against the TeamViewer sandbox on a live server: ok, degraded when the sandbox
is slow, down when nothing answers; the outbox's and the cleanup's ages graded by their settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from csm_teamviewer.sandbox import faults
from sessions_app.models import InvitationEmail
from tests.factories import SessionFactory
from tests.faults.sandbox import sandbox_settings
from tests.net import free_port

TOKEN = "deep-health-token"  # noqa: S105 - a test value
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def deep(live_server, settings, transactional_db, client):
    for name, value in sandbox_settings(live_server.url).items():
        setattr(settings, name, value)
    settings.METRICS_TOKEN = TOKEN
    settings.HEALTH_TEAMVIEWER_TIMEOUT_SECONDS = 5.0
    settings.HEALTH_TEAMVIEWER_SLOW_SECONDS = 0.5
    cache.clear()
    faults.clear()

    def ask() -> tuple[int, dict]:
        response = client.get("/healthz/?deep=1", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        return response.status_code, response.json()

    yield ask
    faults.clear()


def test_all_ok_when_teamviewer_answers_and_nothing_waits(deep):
    status, body = deep()
    assert status == 200
    assert body["status"] == "ok"
    assert (body["database"], body["broker"]) == ("ok", "ok")
    assert body["teamviewer"]["status"] == "ok"
    assert body["invitation_outbox"] == {"status": "ok", "depth": 0, "oldest_age_seconds": 0.0}
    assert body["cleanup"] == {"status": "ok", "lag_seconds": 0.0}


def test_a_slow_teamviewer_is_degraded_and_the_answer_is_kept_a_minute(deep):
    faults.inject(path_prefix="ping", status=None, delay=1.0, times=None)
    status, body = deep()
    assert (status, body["status"], body["teamviewer"]["status"]) == (200, "degraded", "degraded")
    assert body["teamviewer"]["seconds"] >= 1.0
    faults.clear()
    # Kept: TeamViewer is not asked again within HEALTH_TEAMVIEWER_CACHE_SECONDS.
    assert deep()[1]["teamviewer"] == body["teamviewer"]


def test_teamviewer_off_is_down_and_the_answer_503(deep, settings):
    settings.TEAMVIEWER_API_URL = f"http://127.0.0.1:{free_port()}/api/v1"
    status, body = deep()
    assert status == 503
    assert body["status"] == "down"
    assert body["teamviewer"]["status"] == "down"
    assert body["teamviewer"]["error"] == "teamviewer_unavailable"


def test_teamviewer_answering_an_error_page_is_down(deep):
    faults.inject(path_prefix="ping", status=502, body="<html>bad gateway</html>", times=None)
    assert deep()[1]["teamviewer"]["status"] == "down"


def test_the_outbox_and_the_cleanup_are_graded_by_their_ages(deep, settings, agent):
    settings.HEALTH_OUTBOX_DEGRADED_SECONDS, settings.HEALTH_OUTBOX_DOWN_SECONDS = 60, 600
    settings.HEALTH_CLEANUP_DEGRADED_SECONDS, settings.HEALTH_CLEANUP_DOWN_SECONDS = 60, 600
    now = timezone.now()
    session = SessionFactory(agent=agent, state="open", valid_until=now - timedelta(seconds=120))
    email = InvitationEmail.objects.create(
        session=session, to="c@example.test", language="en", requested_by=agent
    )
    InvitationEmail.objects.filter(pk=email.pk).update(created_at=now - timedelta(seconds=90))

    status, body = deep()
    assert (status, body["status"]) == (200, "degraded")
    assert body["invitation_outbox"]["status"] == "degraded"
    assert body["invitation_outbox"]["depth"] == 1
    assert body["cleanup"]["status"] == "degraded"
    assert 120 <= body["cleanup"]["lag_seconds"] < 300

    InvitationEmail.objects.filter(pk=email.pk).update(created_at=now - timedelta(seconds=700))
    status, body = deep()
    assert (status, body["status"], body["invitation_outbox"]["status"]) == (503, "down", "down")
