"""Sending one invitation without a worker (services/emails.py): delivery, back-off, claims, failures."""
from __future__ import annotations

import logging
import smtplib
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from sessions_app.services.emails import invitation_backoff, invitation_send
from tests.factories import SessionFactory
from tests.threads import run_in_threads

from .invitations import INVITED, LINK, queue

SMTP_PASSWORD = "hunter2-smtp-password"


class RefusingBackend(LocmemBackend):
    """An SMTP server whose refusal quotes the credentials back (some do)."""

    def send_messages(self, messages):
        raise smtplib.SMTPAuthenticationError(535, f"5.7.8 bad credentials svc-mailer/{SMTP_PASSWORD}".encode())


class SlowBackend(LocmemBackend):
    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


def test_send_delivers_html_and_text_and_records_success(agent):
    session = SessionFactory(agent=agent, **INVITED)
    email = queue(session, language="en")

    result = invitation_send(email_id=email.pk)

    assert result.outcome == "sent"
    [message] = mail.outbox
    assert message.to == ["taro@example.com"]
    assert message.subject == "Remote support for your incident INC-1001"
    assert LINK in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and LINK in html
    email.refresh_from_db()
    session.refresh_from_db()
    assert (email.status, email.attempts, email.claimed_until) == ("sent", 1, None)
    assert email.sent_at is not None
    assert session.email_status == "sent" and session.email_sent_at == email.sent_at
    event = AuditEvent.objects.get(action="email")
    assert (event.outcome, event.session_id, event.actor_id) == ("sent", session.pk, agent.pk)


def test_send_uses_the_language_of_the_outbox_row(agent, settings):
    settings.INVITATION_DEFAULT_LANGUAGE = "en"
    email = queue(SessionFactory(agent=agent, **INVITED), language="ja")

    invitation_send(email_id=email.pk)

    assert mail.outbox[0].subject.startswith("リモートサポートのご案内")


def test_smtp_down_keeps_row_queued_with_error_and_backoff(agent, smtp_down):
    smtp_down.INVITATION_RETRY_BASE_SECONDS = 60
    session = SessionFactory(agent=agent, **INVITED)
    email = queue(session)
    before = timezone.now()

    result = invitation_send(email_id=email.pk)

    assert result.outcome == "retrying" and result.retry_in == 60
    email.refresh_from_db()
    assert email.status == "queued" and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert before + timedelta(seconds=59) < email.next_attempt_at < timezone.now() + timedelta(seconds=61)
    assert email.claimed_until is None
    session.refresh_from_db()
    assert session.email_status == "queued"
    assert AuditEvent.objects.get(action="email").outcome == "retrying"


def test_backoff_doubles_from_the_base_and_is_capped(settings):
    settings.INVITATION_RETRY_BASE_SECONDS = 60
    settings.INVITATION_RETRY_MAX_SECONDS = 3600

    waits = [invitation_backoff(attempts=n).total_seconds() for n in range(1, 10)]

    assert waits == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert invitation_backoff(attempts=10_000).total_seconds() == 3600


def test_last_attempt_failing_marks_row_and_session_failed(agent, smtp_down):
    smtp_down.INVITATION_MAX_ATTEMPTS = 3
    session = SessionFactory(agent=agent, **INVITED)
    email = queue(session)
    InvitationEmail.objects.filter(pk=email.pk).update(attempts=2)

    result = invitation_send(email_id=email.pk)

    assert result.outcome == "failed" and result.retry_in is None
    email.refresh_from_db()
    session.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 3)
    assert session.email_status == "failed"
    assert AuditEvent.objects.get(action="email").outcome == "failed"
    assert invitation_send(email_id=email.pk).outcome == "skipped"


def test_final_failure_leaves_session_queued_while_a_resend_is_pending(agent, smtp_down):
    smtp_down.INVITATION_MAX_ATTEMPTS = 1
    session = SessionFactory(agent=agent, **INVITED)
    first = queue(session)
    queue(session, to="other@example.com")

    invitation_send(email_id=first.pk)

    session.refresh_from_db()
    assert session.email_status == "queued"


def test_retries_until_smtp_returns_then_sends(agent, smtp_down):
    smtp_down.INVITATION_RETRY_BASE_SECONDS = 0
    email = queue(SessionFactory(agent=agent, **INVITED))
    assert invitation_send(email_id=email.pk).outcome == "retrying"

    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert invitation_send(email_id=email.pk).outcome == "sent"

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_last_error_and_log_hold_no_smtp_credentials(agent, settings, caplog):
    settings.EMAIL_BACKEND = "tests.sessions_app.test_emails_send.RefusingBackend"
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "svc-mailer", SMTP_PASSWORD
    email = queue(SessionFactory(agent=agent, **INVITED))

    with caplog.at_level(logging.DEBUG):
        invitation_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.last_error.startswith("SMTPAuthenticationError: 535 5.7.8 bad credentials")
    assert SMTP_PASSWORD not in email.last_error and "svc-mailer" not in email.last_error
    assert SMTP_PASSWORD not in caplog.text
    assert SMTP_PASSWORD not in AuditEvent.objects.get(action="email").detail
    assert len(email.last_error) <= 300 and "\n" not in email.last_error


def test_row_not_yet_due_is_not_sent(agent):
    email = queue(SessionFactory(agent=agent, **INVITED))
    InvitationEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert invitation_send(email_id=email.pk).outcome == "skipped"
    assert mail.outbox == []


def test_row_claimed_by_another_worker_is_left_alone_until_its_lease_runs_out(agent):
    email = queue(SessionFactory(agent=agent, **INVITED))
    InvitationEmail.objects.filter(pk=email.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))

    assert invitation_send(email_id=email.pk).outcome == "skipped"
    assert mail.outbox == []

    # That worker died: once its lease has run out the row is taken over.
    InvitationEmail.objects.filter(pk=email.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert invitation_send(email_id=email.pk).outcome == "sent"


def test_invitation_for_closed_session_fails_without_sending(agent):
    session = SessionFactory(agent=agent, **INVITED)
    email = queue(session)
    Session.objects.filter(pk=session.pk).update(state=Session.State.CLOSED)

    assert invitation_send(email_id=email.pk).outcome == "failed"

    email.refresh_from_db()
    assert email.status == "failed" and "no longer open" in email.last_error
    assert mail.outbox == []


def test_unknown_email_id_is_skipped(db):
    assert invitation_send(email_id=987654).outcome == "skipped"


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_send_one_email(agent, settings, requires_postgres):
    settings.EMAIL_BACKEND = "tests.sessions_app.test_emails_send.SlowBackend"
    email = queue(SessionFactory(agent=agent, **INVITED))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def worker():
        try:
            barrier.wait(timeout=5)
            outcomes.append(invitation_send(email_id=email.pk).outcome)
        finally:
            connection.close()

    run_in_threads(worker, 2, timeout=15)

    assert sorted(outcomes) == ["sent", "skipped"]
    assert len(mail.outbox) == 1
