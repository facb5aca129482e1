"""Reconciliation: a TeamViewer session made upstream but never recorded here is found and settled.

The local write after TeamViewer's answer fails (the database), or the answer never comes back (a
timeout), or the process dies: TeamViewer holds a session carrying our marker in ``custom_api``.
It is closed there at once when possible, else recorded (its reservation still here) or closed by
the reconciliation that runs before the pair's next create and from the periodic task.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from csm_teamviewer.sandbox import faults
from csm_teamviewer.sandbox.models import Session as SandboxSession
from sessions_app import tasks
from sessions_app.lifecycle import stale_age
from sessions_app.models import Session
from sessions_app.services import create, reconcile
from tests.asserts import assert_error
from tokens_app.models import TeamViewerToken
from tokens_app.teamviewer import teamviewer_app

from .conftest import API, wait_until
from .sandbox import open_at_sandbox

INCIDENT = "INC-7101"
CREATE = {"incident_id": INCIDENT, "requester_email": "hanako@example.com"}


def _create(api):
    return api.post(f"{API}/sessions/", CREATE, format="json")


def _database_fails(monkeypatch, name: str) -> None:
    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(create, name, fail)


def _age(session: Session) -> None:
    # As if the process that made the reservation died longer ago than any create can take.
    old = timezone.now() - stale_age() - timedelta(seconds=1)
    Session.objects.filter(pk=session.pk).update(created_at=old)


def test_a_database_failure_after_teamviewer_made_the_session_closes_it_there_and_leaves_nothing(
    api, tv_agent, live_tv, monkeypatch
):
    _database_fails(monkeypatch, "session_record_open")

    failed = _create(api)

    assert_error(failed, status=503, code="service_unavailable")
    [made] = SandboxSession.objects.filter(owner_email=tv_agent.email)
    assert made.state == "closed"  # undone at TeamViewer at once
    assert not Session.objects.exists() and live_tv == []  # no half row, no invitation

    monkeypatch.undo()
    created = _create(api)

    assert created.status_code == 201, created.content
    assert [remote.code for remote in open_at_sandbox(tv_agent, INCIDENT)] == [created.json()["code"]]


def test_a_session_that_could_be_neither_recorded_nor_undone_is_recorded_by_the_periodic_task(
    api, tv_agent, monkeypatch
):
    # The database is gone after TeamViewer's answer: no write of the create lands.
    for name in ("session_record_open", "session_mark_uncertain", "reservation_release"):
        _database_fails(monkeypatch, name)
    faults.inject(method="PUT", path_prefix="sessions", status=503, times=None)  # the undo fails too

    assert _create(api).status_code == 503
    [orphan] = open_at_sandbox(tv_agent, INCIDENT)
    reservation = Session.objects.get(incident_id=INCIDENT)
    assert reservation.state == "creating"
    monkeypatch.undo()
    faults.clear()
    assert tasks.reconcile_sessions() == 0  # a create may still be in flight: left alone
    _age(reservation)

    assert tasks.reconcile_sessions() == 1

    reservation.refresh_from_db()
    assert (reservation.state, reservation.code) == ("open", orphan.code)
    assert reservation.end_customer_link and reservation.supporter_link
    assert tasks.reconcile_sessions() == 0  # nothing left to look at
    again = _create(api)
    assert again.status_code == 200 and again.json()["id"] == str(reservation.pk)
    assert len(open_at_sandbox(tv_agent, INCIDENT)) == 1


def test_a_late_session_after_a_timeout_is_closed_by_the_periodic_task(api, tv_agent):
    faults.inject(method="POST", path_prefix="sessions", status=None, delay=2.0)
    assert _create(api).status_code == 504
    wait_until(lambda: open_at_sandbox(tv_agent, INCIDENT), what="the late session at the sandbox")

    assert tasks.reconcile_sessions() == 1

    assert open_at_sandbox(tv_agent) == []
    assert not Session.objects.exists()
    assert reconcile.agents_to_reconcile() == []  # the evidence is spent


def test_a_dead_reservation_teamviewer_never_heard_of_is_dropped_before_the_next_create(api, tv_agent):
    # The process died before its call reached TeamViewer: only the reservation is left.
    reservation = Session.objects.create(
        agent=tv_agent, incident_id=INCIDENT, valid_until=timezone.now() + timedelta(hours=1)
    )
    _age(reservation)

    created = _create(api)

    assert created.status_code == 201, created.content
    assert not Session.objects.filter(pk=reservation.pk).exists()
    assert len(open_at_sandbox(tv_agent, INCIDENT)) == 1


def _sandbox_session(agent, *, custom_api: str) -> str:
    token = TeamViewerToken.objects.get(agent=agent).access_token
    return teamviewer_app().api(token).create_session(description="by hand", custom_api=custom_api).code


def test_reconciliation_leaves_a_create_in_flight_and_sessions_not_made_here_alone(tv_agent):
    in_flight = Session.objects.create(
        agent=tv_agent, incident_id=INCIDENT, valid_until=timezone.now() + timedelta(hours=1)
    )
    marker = json.dumps({"csm_session_id": str(in_flight.pk), "incident_id": INCIDENT})
    _sandbox_session(tv_agent, custom_api=marker)
    _sandbox_session(tv_agent, custom_api="")  # an agent's own session, made in TeamViewer itself
    _sandbox_session(tv_agent, custom_api='{"ticket": 12}')

    result = reconcile.sessions_reconcile(agent=tv_agent)

    assert (result.recorded, result.closed, result.dropped) == (0, 0, 0)
    assert len(open_at_sandbox(tv_agent)) == 3
    assert Session.objects.get(pk=in_flight.pk).state == "creating"


def test_a_marked_session_whose_row_is_closed_here_is_closed_at_teamviewer(api, tv_agent):
    live = _create(api).json()
    Session.objects.filter(pk=live["id"]).update(
        state="closed", closed_at=timezone.now()
    )  # its close half done

    result = reconcile.sessions_reconcile(agent=tv_agent, incident_id=INCIDENT)

    assert result.closed == 1
    assert SandboxSession.objects.get(code=live["code"]).state == "closed"


def test_the_periodic_task_skips_an_agent_without_a_token_and_keeps_the_evidence(api, tv_agent):
    faults.inject(method="POST", path_prefix="sessions", status=503)
    assert _create(api).status_code == 502
    TeamViewerToken.objects.filter(agent=tv_agent).delete()

    assert tasks.reconcile_sessions() == 0

    assert reconcile.agents_to_reconcile() == [tv_agent]


@pytest.mark.parametrize(
    ("status", "our_status", "code"),
    [(503, 502, "teamviewer_unavailable"), (429, 429, "teamviewer_rate_limited")],
)
def test_a_reconciliation_teamviewer_refuses_fails_the_create_clearly_and_the_next_one_works(
    api, tv_agent, status, our_status, code
):
    faults.inject(method="POST", path_prefix="sessions", status=503)
    assert _create(api).status_code == 502
    faults.inject(method="GET", path_prefix="sessions", status=status, times=3)  # the listing too

    failed = _create(api)

    assert (failed.status_code, failed.json()["code"]) == (our_status, code)
    assert [row.state for row in Session.objects.all()] == ["uncertain"]  # the first create's, unsettled
    assert SandboxSession.objects.count() == 0  # no create went out before the listing worked
    faults.clear()
    assert _create(api).status_code == 201


def test_beat_runs_the_reconciliation_at_its_configured_interval(settings):
    from csm_teamviewer.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["reconcile-teamviewer-sessions"]

    assert entry["task"] == tasks.reconcile_sessions.name
    assert entry["schedule"] == settings.RECONCILE_INTERVAL_SECONDS > 0
    assert tasks.reconcile_sessions.name in app.tasks
