"""The periodic state sync: a batch of open sessions asked about in turn, paced."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from sessions_app import tasks
from sessions_app.models import Session
from sessions_app.services.sync import sessions_sync_batch
from tests.factories import SessionFactory, TeamViewerTokenFactory

from .conftest import TV_SESSIONS, tv_session_body


def test_sync_batch_moves_open_sessions_to_what_teamviewer_says(agent, tv):
    TeamViewerTokenFactory(agent=agent)
    waiting = SessionFactory(agent=agent, code="s11-000-001", incident_id="INC-1")
    joined = SessionFactory(agent=agent, code="s11-000-002", incident_id="INC-2")
    ended = SessionFactory(agent=agent, code="s11-000-003", incident_id="INC-3")
    tv.get(f"{TV_SESSIONS}/{waiting.code}", json=tv_session_body(waiting.code))
    tv.get(f"{TV_SESSIONS}/{joined.code}", json=tv_session_body(joined.code, online=True))
    tv.get(f"{TV_SESSIONS}/{ended.code}", json=tv_session_body(ended.code, state="Closed"))

    assert sessions_sync_batch(limit=10, rate_limit=0) == 2

    states = dict(Session.objects.values_list("code", "state"))
    assert states == {waiting.code: "open", joined.code: "active", ended.code: "closed"}


def test_sync_batch_leaves_expired_and_finished_sessions_alone(agent, tv):
    TeamViewerTokenFactory(agent=agent)
    SessionFactory(
        agent=agent, code="s12-000-001", incident_id="INC-1", valid_until=timezone.now() - timedelta(minutes=1)
    )
    SessionFactory(agent=agent, code="s12-000-002", incident_id="INC-2", state="closed")

    assert sessions_sync_batch(limit=10, rate_limit=0) == 0
    assert len(tv.calls) == 0


def test_each_run_takes_the_sessions_least_recently_taken(agent, tv, settings):
    settings.SESSION_SYNC_SECONDS = 0  # let every run ask again
    TeamViewerTokenFactory(agent=agent)
    sessions = [SessionFactory(agent=agent, code=f"s13-000-00{n}", incident_id=f"INC-{n}") for n in range(3)]
    for session in sessions:
        tv.get(f"{TV_SESSIONS}/{session.code}", json=tv_session_body(session.code))

    asked = []
    for _run in range(3):
        before = len(tv.calls)
        sessions_sync_batch(limit=2, rate_limit=0)
        asked.append({call.request.url.rsplit("/", 1)[1] for call in list(tv.calls)[before:]})

    codes = [session.code for session in sessions]
    assert asked[0] | asked[1] == set(codes)  # nobody waits more than one extra run
    assert all(len(run) == 2 for run in asked)


def test_sync_task_takes_a_batch_of_the_configured_size(agent, tv, settings):
    settings.SESSION_SYNC_BATCH_SIZE = 1
    TeamViewerTokenFactory(agent=agent)
    for n in range(2):
        session = SessionFactory(agent=agent, code=f"s14-000-00{n}", incident_id=f"INC-{n}")
        tv.get(f"{TV_SESSIONS}/{session.code}", json=tv_session_body(session.code, online=True))

    assert tasks.sync_session_states.run() == 1
    assert Session.objects.filter(state="active").count() == 1
