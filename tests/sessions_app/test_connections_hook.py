"""Every way a session ends makes its connection reports due and hands their fetch to a worker
once the move commits (lifecycle.py); beat re-drives the fetches a broker lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app import task_queue, tasks
from sessions_app.models import Session
from sessions_app.services import connection_fetch
from sessions_app.services.cleanup import sessions_cleanup
from sessions_app.services.connection_fetch import connection_reports_redrive
from sessions_app.services.sync import sessions_sync_batch
from tests.factories import SessionFactory

from .conftest import API, TV_SESSIONS, tv_session_body
from .expiring import answer_closes, expired_session


@pytest.fixture
def handed(monkeypatch) -> list:
    """The session ids whose fetch was handed to "Celery"."""
    ids: list = []
    enqueue = lambda session_id: ids.append(session_id) or True  # noqa: E731
    monkeypatch.setattr(task_queue, "connections_fetch_enqueue", enqueue)
    monkeypatch.setattr(connection_fetch, "connections_fetch_enqueue", enqueue)
    return ids


def test_closing_through_the_api_makes_the_reports_due_and_hands_the_fetch_over_after_commit(
    api, open_session, tv, tv_token, handed, django_capture_on_commit_callbacks
):
    tv.put(f"{TV_SESSIONS}/{open_session.code}", status=204)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api.post(f"{API}/sessions/{open_session.pk}/close/", format="json")
    assert response.status_code == 200 and handed == []  # nothing before the commit
    for callback in callbacks:
        callback()

    open_session.refresh_from_db()
    assert handed == [open_session.pk]
    assert open_session.connections_due_at == open_session.closed_at
    assert response.json()["connections_status"] == "pending"


def test_closing_a_closed_session_again_hands_nothing_over(api, agent, handed, django_capture_on_commit_callbacks):
    session = SessionFactory(agent=agent, state="closed", closed_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"{API}/sessions/{session.pk}/close/", format="json")

    assert handed == []


def test_a_session_the_state_sync_finds_closed_is_handed_over(agent, tv, tv_token, handed, django_capture_on_commit_callbacks):
    ended = SessionFactory(agent=agent, code="s11-000-003")
    tv.get(f"{TV_SESSIONS}/{ended.code}", json=tv_session_body(ended.code, state="closed"))

    with django_capture_on_commit_callbacks(execute=True):
        sessions_sync_batch(limit=10, rate_limit=0)

    assert handed == [ended.pk]


def test_fifty_sessions_the_cleanup_expires_at_once_hand_over_fifty_fetches(
    agent, tv, tv_token, handed, django_capture_on_commit_callbacks
):
    sessions = [expired_session(agent, f"s70-000-{n:03d}", incident_id=f"INC-{n}") for n in range(50)]
    answer_closes(tv)

    with django_capture_on_commit_callbacks(execute=True):
        assert sessions_cleanup(rate_limit=0).expired == 50

    assert sorted(handed) == sorted(session.pk for session in sessions)
    assert Session.objects.filter(state="expired", connections_due_at__isnull=False).count() == 50


def test_a_live_session_is_never_due(agent, tv, tv_token, handed, django_capture_on_commit_callbacks):
    joined = SessionFactory(agent=agent, code="s11-000-002")
    tv.get(f"{TV_SESSIONS}/{joined.code}", json=tv_session_body(joined.code, online=True))

    with django_capture_on_commit_callbacks(execute=True):
        sessions_sync_batch(limit=10, rate_limit=0)

    joined.refresh_from_db()
    assert joined.state == "active" and joined.connections_due_at is None and handed == []


def test_beat_redrives_due_unclaimed_fetches_in_one_query(agent, handed, django_assert_num_queries):
    now = timezone.now()
    overdue = [
        SessionFactory(agent=agent, state="closed", connections_due_at=now - timedelta(minutes=m), incident_id=f"I{m}")
        for m in (5, 1)
    ]
    SessionFactory(agent=agent, state="closed", connections_due_at=now + timedelta(minutes=2), incident_id="later")
    SessionFactory(agent=agent, state="closed", connections_final=True, incident_id="final")

    with django_assert_num_queries(1):
        assert connection_reports_redrive(limit=10) == 2

    assert handed == [session.pk for session in overdue]  # the longest overdue first


def test_the_redrive_stops_at_the_first_broker_failure_and_respects_its_limit(agent, monkeypatch):
    for n in range(3):
        SessionFactory(agent=agent, state="closed", connections_due_at=timezone.now(), incident_id=f"I{n}")
    calls: list = []
    monkeypatch.setattr(
        connection_fetch, "connections_fetch_enqueue", lambda session_id: calls.append(session_id) and False
    )

    assert connection_reports_redrive(limit=2) == 0
    assert len(calls) == 1


def test_beat_schedule_redrives_report_fetches_at_the_configured_interval(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["redrive-connection-report-fetches"]
    assert entry["task"] == tasks.redrive_connection_reports.name
    assert entry["schedule"] == settings.CONNECTION_REPORT_REDRIVE_SECONDS


def test_the_fetch_task_is_registered_under_the_name_the_hook_publishes():
    assert tasks.fetch_connection_reports.name == task_queue.FETCH_CONNECTIONS_TASK
