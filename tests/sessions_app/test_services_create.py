"""The create directly: its reservation, waiting on another request, and what each failure leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.errors import TeamViewerUnavailable
from sessions_app.models import Session
from sessions_app.services import create
from sessions_app.services.create import SessionRequest, session_create
from tests.factories import SessionFactory
from tokens_app.teamviewer import RemoteSession

from .conftest import API, TV_SESSIONS, tv_session_body


@pytest.fixture
def no_sleep(monkeypatch):
    """Replace the wait between looks with a hook the test controls."""
    hooks = []

    def fake_sleep(seconds):
        if hooks:
            hooks.pop(0)()

    monkeypatch.setattr(create.time, "sleep", fake_sleep)
    return hooks


def _reservation(agent, **fields) -> Session:
    return SessionFactory(agent=agent, state=Session.State.CREATING, code="", incident_id="INC-9", **fields)


def test_a_create_meeting_a_reservation_waits_for_it_and_returns_that_session(agent, tv, tv_token, no_sleep):
    reservation = _reservation(agent)
    no_sleep.append(
        lambda: Session.objects.filter(pk=reservation.pk).update(state="open", code="s77-777-777")
    )
    session, created = session_create(agent=agent, session_request=SessionRequest("INC-9", send_email=False))
    assert (session.pk, created, session.code) == (reservation.pk, False, "s77-777-777")
    assert not tv.calls


def test_when_the_awaited_reservation_vanishes_the_create_tries_once_more(agent, tv, tv_token, no_sleep):
    reservation = _reservation(agent)
    no_sleep.append(lambda: Session.objects.filter(pk=reservation.pk).delete())
    tv.post(TV_SESSIONS, json=tv_session_body())
    session, created = session_create(agent=agent, session_request=SessionRequest("INC-9", send_email=False))
    assert created is True
    assert session.code == "s12-345-678"
    assert Session.objects.get().pk == session.pk


def test_a_live_session_past_its_lifetime_is_expired_and_a_new_one_made(agent, tv, tv_token):
    old = SessionFactory(agent=agent, incident_id="INC-9", valid_until=timezone.now() - timedelta(minutes=1))
    tv.post(TV_SESSIONS, json=tv_session_body())
    session, created = session_create(agent=agent, session_request=SessionRequest("INC-9", send_email=False))
    assert created is True
    old.refresh_from_db()
    assert (old.state, session.state) == ("expired", "open")
    assert AuditEvent.objects.filter(action="expire", session_id=old.pk).exists()


def test_a_reservation_that_vanishes_twice_is_a_clear_503(agent, tv, tv_token, monkeypatch):
    monkeypatch.setattr(create, "_reserve", lambda **kwargs: None)
    monkeypatch.setattr(create, "_await", lambda **kwargs: None)
    with pytest.raises(TeamViewerUnavailable) as caught:
        session_create(agent=agent, session_request=SessionRequest("INC-9"))
    assert caught.value.status_code == 503
    assert AuditEvent.objects.get(action="create").outcome == "teamviewer_unavailable"


def test_waiting_on_a_reservation_is_bounded(agent, tv, tv_token, no_sleep, monkeypatch):
    monkeypatch.setattr(create, "wait_seconds", lambda: -1.0)  # the deadline is already past
    _reservation(agent)
    with pytest.raises(TeamViewerUnavailable) as caught:
        session_create(agent=agent, session_request=SessionRequest("INC-9"))
    assert caught.value.status_code == 504
    assert Session.objects.get().state == "creating"  # not ours to delete


def test_a_stale_reservation_from_a_dead_process_is_reclaimed(agent, tv, tv_token):
    _reservation(agent, created_at=timezone.now() - timedelta(hours=1))
    tv.get(TV_SESSIONS, json={"sessions": []})  # reconciliation first: TeamViewer never made it
    tv.post(TV_SESSIONS, json=tv_session_body())
    session, created = session_create(agent=agent, session_request=SessionRequest("INC-9", send_email=False))
    assert created is True
    assert Session.objects.get().pk == session.pk


def test_a_reservation_lost_while_teamviewer_worked_is_an_error_not_a_ghost(agent, tv, tv_token, monkeypatch):
    monkeypatch.setattr(
        create,
        "_create_remote",
        lambda agent, session: (
            Session.objects.filter(pk=session.pk).delete(),
            RemoteSession.from_json(tv_session_body()),
        )[1],
    )
    closed = tv.put(f"{TV_SESSIONS}/s12-345-678", status=204)
    with pytest.raises(TeamViewerUnavailable):
        session_create(agent=agent, session_request=SessionRequest("INC-9", send_email=False))
    assert not Session.objects.exists()
    assert closed.call_count == 1  # the session TeamViewer made is closed there at once


def test_an_unexpected_error_during_create_leaves_no_reservation(agent, tv, tv_token, monkeypatch):
    def boom(agent, session):
        raise RuntimeError("bug")

    monkeypatch.setattr(create, "_create_remote", boom)
    with pytest.raises(RuntimeError):
        session_create(agent=agent, session_request=SessionRequest("INC-9"))
    assert not Session.objects.exists()


def test_a_create_meeting_a_dead_reservation_marks_it_uncertain_and_makes_its_own(agent, tv, tv_token, monkeypatch):
    dead = _reservation(agent, created_at=timezone.now() - timedelta(hours=1))
    # As if the reservation died after this create settled the pair's unsettled rows.
    monkeypatch.setattr(create, "sessions_reconcile", lambda **kwargs: None)
    tv.post(TV_SESSIONS, json=tv_session_body())

    session, created = session_create(agent=agent, session_request=SessionRequest("INC-9", send_email=False))

    assert created is True and session.pk != dead.pk
    assert Session.objects.get(pk=dead.pk).state == "uncertain"  # for reconciliation to settle


@pytest.mark.parametrize("failure", [requests.ConnectTimeout(), requests.ConnectionError()])
def test_a_create_teamviewer_did_not_answer_keeps_a_hidden_uncertain_row(agent, tv, tv_token, api, failure):
    tv.post(TV_SESSIONS, body=failure)

    with pytest.raises(TeamViewerUnavailable):
        session_create(agent=agent, session_request=SessionRequest("INC-1001"))

    row = Session.objects.get()
    assert row.state == "uncertain"
    assert AuditEvent.objects.get(action="create").outcome == "teamviewer_unavailable"
    assert api.get(f"{API}/sessions/", {"incident_id": "INC-1001"}).json()["results"] == []
    assert api.get(f"{API}/sessions/{row.pk}/").status_code == 404
    assert api.get(f"{API}/sessions/", {"state": "uncertain"}).status_code == 400


def test_a_create_request_keeps_the_json_keys_stored_with_logins():
    stored = {
        "incident_id": "INC-3",
        "requester_name": "Hanako",
        "requester_email": "hanako@example.com",
        "description": "printer",
        "send_email": False,
        "language": "ja",
    }

    request = SessionRequest.from_json(stored)

    assert request == SessionRequest("INC-3", "Hanako", "hanako@example.com", "printer", False, "ja")
    assert request.as_json() == stored
