"""The session admin's actions: close at TeamViewer and resend the invitation, through the services."""

from __future__ import annotations

import json

from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.admin_actions import admin_action_post, admin_messages
from tests.conftest import TV_API
from tests.factories import AgentFactory, SessionFactory, TeamViewerTokenFactory
from tokens_app.models import LoginFlow


def test_close_action_closes_at_teamviewer_with_the_agents_token(agent, admin_client, tv):
    session = SessionFactory(agent=agent)
    token = TeamViewerTokenFactory(agent=agent)
    tv.put(f"{TV_API}/sessions/{session.code}", status=204)

    response = admin_action_post(admin_client, Session, "close_sessions", [session])

    [call] = tv.calls
    assert call.request.headers["Authorization"] == f"Bearer {token.access_token}"
    assert json.loads(call.request.body) == {"state": "closed"}
    session.refresh_from_db()
    assert session.state == "closed" and session.closed_at is not None
    assert any("Closed" in message for message in admin_messages(response))
    event = AuditEvent.objects.get(action="close")
    assert (event.via, event.outcome, event.actor.username) == ("admin", "ok", "admin")


def test_close_action_without_the_agents_token_says_login_required(agent, admin_client, tv):
    session = SessionFactory(agent=agent)

    response = admin_action_post(admin_client, Session, "close_sessions", [session])

    assert len(tv.calls) == 0
    [message] = admin_messages(response)
    assert message.startswith(f"{session}: login required:") and "agent.smith" in message
    assert Session.objects.get(pk=session.pk).state == "open"


def test_close_action_on_own_session_without_token_shows_the_login_link(admin_user, admin_client, tv):
    session = SessionFactory(agent=admin_user)

    response = admin_action_post(admin_client, Session, "close_sessions", [session])

    [message] = admin_messages(response)
    flow = LoginFlow.objects.get(agent=admin_user, action="close")
    assert message == f"{session}: login required: {flow.authorize_url}"


def test_close_action_reports_teamviewer_errors_per_session(agent, admin_client, tv):
    session = SessionFactory(agent=agent)
    TeamViewerTokenFactory(agent=agent)
    tv.put(f"{TV_API}/sessions/{session.code}", status=503)

    response = admin_action_post(admin_client, Session, "close_sessions", [session])

    [message] = admin_messages(response)
    assert "teamviewer_unavailable" in message
    assert Session.objects.get(pk=session.pk).state == "open"


def test_resend_action_queues_an_invitation_through_the_service(agent, admin_client, django_capture_on_commit_callbacks):
    session = SessionFactory(agent=agent)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_action_post(admin_client, Session, "resend_invitations", [session])

    email = InvitationEmail.objects.get(session=session)
    assert (email.status, email.to) == ("queued", "hanako@example.com")
    assert email.requested_by.username == "admin"
    assert len(callbacks) == 1  # handed to a worker once the transaction commits
    assert Session.objects.get(pk=session.pk).email_status == "queued"
    assert any("invitation queued to hanako@example.com" in message for message in admin_messages(response))
    assert AuditEvent.objects.filter(action="email", via="admin", outcome="ok").exists()


def test_resend_action_on_closed_session_reports_the_error(agent, admin_client):
    session = SessionFactory(agent=agent, state=Session.State.CLOSED)

    response = admin_action_post(admin_client, Session, "resend_invitations", [session])

    assert not InvitationEmail.objects.exists()
    [message] = admin_messages(response)
    assert "session_closed" in message


def test_session_actions_need_the_change_permission(agent, db):
    session = SessionFactory(agent=agent)
    viewer = AgentFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_session"))
    client = Client()
    client.force_login(viewer)

    page = client.get(reverse("admin:sessions_app_session_changelist"))
    admin_action_post(client, Session, "resend_invitations", [session])

    assert page.status_code == 200
    assert "resend_invitations" not in page.content.decode()
    assert not InvitationEmail.objects.exists()
