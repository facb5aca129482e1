"""The session services after the create directly: close, join, email, audit, resumable actions."""

from __future__ import annotations

import pytest

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.errors import NotFound, PermissionDenied
from sessions_app.models import Session
from sessions_app.services.sessions import (
    SessionBeingCreated,
    session_close,
    session_email,
    session_join,
)
from tests.factories import SessionFactory
from tokens_app import pending_actions

from .conftest import TV_SESSIONS, tv_session_body


def test_a_reservation_cannot_be_closed_or_joined(agent):
    reservation = SessionFactory(agent=agent, state=Session.State.CREATING, code="")
    with pytest.raises(SessionBeingCreated):
        session_close(session=reservation, actor=agent, via="admin")
    with pytest.raises(SessionBeingCreated):
        session_join(session=reservation, actor=agent, via="admin")
    assert [e.outcome for e in AuditEvent.objects.all()] == ["session_creating"] * 2


def test_join_by_another_agent_is_refused(agent, other_agent):
    with pytest.raises(PermissionDenied):
        session_join(session=SessionFactory(agent=agent), actor=other_agent, via="api")


def test_email_records_who_asked_and_to_whom(agent, other_agent):
    session = SessionFactory(agent=agent)
    email = session_email(session=session, actor=other_agent, to=" boss@example.com ", via="admin")
    assert (email.to, email.requested_by) == ("boss@example.com", other_agent)
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.via, event.detail) == (
        "email",
        other_agent,
        "admin",
        "to boss@example.com",
    )


def test_create_and_close_are_registered_as_resumable_actions():
    assert pending_actions.is_registered("create")
    assert pending_actions.is_registered("close")


def test_a_resumed_close_of_a_session_that_is_gone_is_not_found(agent):
    with pytest.raises(NotFound):
        pending_actions.run("close", agent=agent, args={"session_id": "00000000-0000-0000-0000-000000000000"})


def test_a_resumed_create_reports_the_session_for_its_agent(agent, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    result = pending_actions.run(
        "create",
        agent=agent,
        args={
            "incident_id": "INC-3",
            "requester_name": "",
            "requester_email": "",
            "description": "",
            "send_email": True,
            "language": None,
        },
    )
    assert result["created"] is True
    assert result["session"]["incident_id"] == "INC-3"
    assert result["session"]["supporter_link"]
    assert AuditEvent.objects.get().via == "login"
