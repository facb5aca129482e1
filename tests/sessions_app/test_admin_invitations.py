"""The invitations in the admin: the outbox (its list, retry now) and the wording's templates."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from sessions_app.models import InvitationEmail, InvitationTemplate, Session
from tests.admin_actions import admin_action_post, admin_messages
from tests.factories import InvitationEmailFactory, SessionFactory


def test_retry_now_requeues_a_failed_invitation(agent, admin_client, django_capture_on_commit_callbacks):
    session = SessionFactory(agent=agent, email_status=Session.EmailStatus.FAILED)
    email = InvitationEmailFactory(
        session=session, status="failed", attempts=8,
        last_error="ConnectionRefusedError: Connection refused", next_attempt_at=timezone.now() + timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_action_post(admin_client, InvitationEmail, "retry_now", [email])

    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 0)
    assert email.next_attempt_at <= timezone.now()
    assert Session.objects.get(pk=session.pk).email_status == "queued"
    assert len(callbacks) == 1
    assert "1 invitation(s) queued again." in admin_messages(response)


def test_outbox_list_shows_status_attempts_error_and_next_attempt(agent, admin_client):
    email = InvitationEmailFactory(
        session=SessionFactory(agent=agent, incident_id="INC-3003"), language="ja", attempts=3,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )

    html = admin_client.get(reverse("admin:sessions_app_invitationemail_changelist")).content.decode()

    assert "SMTPServerDisconnected: Connection unexpectedly closed" in html
    assert "INC-3003" in html and email.to in html
    assert "Next attempt" in html


def test_invitation_template_with_unknown_placeholder_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:sessions_app_invitationtemplate_add"),
        {"language": "ja", "is_active": "on", "subject": "ご案内 {{ incident }}", "text_body": "{{ link }}", "html_body": ""},
    )

    assert response.status_code == 200
    assert "Unknown placeholder" in response.content.decode()
    assert not InvitationTemplate.objects.exists()


def test_invitation_template_can_be_saved_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:sessions_app_invitationtemplate_add"),
        {"language": "ja", "is_active": "on", "subject": "ご案内 {{ incident_id }}", "text_body": "{{ link }}", "html_body": ""},
    )

    assert response.status_code == 302
    assert InvitationTemplate.objects.get(language="ja").subject == "ご案内 {{ incident_id }}"
