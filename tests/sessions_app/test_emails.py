"""Invitation emails without a worker: wording, sending, back-off, claims, re-drive."""
from __future__ import annotations

import ast
import logging
import smtplib
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.celery import app as celery_app
from sessions_app import tasks
from sessions_app.models import InvitationEmail, InvitationTemplate, Session
from sessions_app.services import emails
from sessions_app.services.email_render import invitation_render
from sessions_app.services.emails import (
    invitation_backoff,
    invitation_queue,
    invitation_retry,
    invitation_send,
    invitations_redrive,
)
from tests.net import free_port
from tests.threads import run_in_threads

LINK = "https://get.teamviewer.test/s12345678"
SUPPORTER_LINK = "https://supporter.teamviewer.test/secret-supporter-link"
SMTP_PASSWORD = "hunter2-smtp-password"


def make_session(agent, **overrides) -> Session:
    values = {
        "incident_id": "INC-1001",
        "code": "s12-345-678",
        "state": Session.State.OPEN,
        "end_customer_link": LINK,
        "supporter_link": SUPPORTER_LINK,
        "requester_name": "山田 太郎",
        "requester_email": "taro@example.com",
        "valid_until": timezone.now() + timedelta(hours=24),
    }
    values.update(overrides)
    return Session.objects.create(agent=agent, **values)


def queue(session: Session, **kwargs) -> InvitationEmail:
    with transaction.atomic():
        return invitation_queue(session=session, requested_by=session.agent, **kwargs)


@pytest.fixture
def named_agent(agent):
    agent.first_name, agent.last_name = "Agent", "Smith"
    agent.save()
    return agent


@pytest.fixture
def smtp_down(settings):
    """Django's SMTP backend pointed at a loopback port nobody listens on."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "", ""
    settings.EMAIL_TIMEOUT = 2
    return settings


class RefusingBackend(LocmemBackend):
    """An SMTP server whose refusal quotes the credentials back (some do)."""

    def send_messages(self, messages):
        raise smtplib.SMTPAuthenticationError(535, f"5.7.8 bad credentials svc-mailer/{SMTP_PASSWORD}".encode())


class SlowBackend(LocmemBackend):
    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


# --- wording ----------------------------------------------------------------------------------


def test_japanese_invitation_names_link_agent_incident_and_validity(named_agent, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    session = make_session(named_agent, valid_until=datetime(2030, 1, 2, 6, 4, tzinfo=UTC))

    rendered = invitation_render(session=session, language="ja")

    assert rendered.subject == "リモートサポートのご案内（インシデント番号：INC-1001）"
    assert "山田 太郎 様" in rendered.text
    assert "担当の Agent Smith より" in rendered.text
    assert LINK in rendered.text
    assert "セッションコード：s12-345-678" in rendered.text
    assert "有効期限：2030年1月2日 15:04（JST）" in rendered.text
    assert f'href="{LINK}"' in rendered.html
    assert 'lang="ja"' in rendered.html
    assert "2030年1月2日 15:04（JST）" in rendered.html


def test_english_invitation_names_link_agent_incident_and_validity(agent):
    session = make_session(
        agent, requester_name="Pat Doe", valid_until=datetime(2030, 1, 2, 6, 4, tzinfo=UTC)
    )

    rendered = invitation_render(session=session, language="en")

    assert rendered.subject == "Remote support for your incident INC-1001"
    assert rendered.text.startswith("Dear Pat Doe,")
    assert "agent.smith from the service desk has invited you" in rendered.text
    assert LINK in rendered.text
    assert "Valid until: 2 January 2030, 06:04 (UTC)" in rendered.text
    assert f'href="{LINK}"' in rendered.html
    assert 'lang="en"' in rendered.html


def test_invitation_without_requester_name_greets_politely_in_both_languages(agent):
    session = make_session(agent, requester_name="")

    assert invitation_render(session=session, language="ja").text.startswith("お客様\n")
    assert invitation_render(session=session, language="en").text.startswith("Hello,\n")


def test_invitation_never_contains_the_supporter_link(agent):
    session = make_session(agent)

    for language in ("ja", "en"):
        rendered = invitation_render(session=session, language=language)
        assert SUPPORTER_LINK not in rendered.subject + rendered.text + rendered.html


def test_requester_name_is_escaped_in_html_and_kept_off_subject_lines(agent):
    session = make_session(agent, requester_name="<script>alert(1)</script>\nBcc: evil@example.com")
    InvitationTemplate.objects.create(
        language="en", subject="Hello {{ requester_name }}", text_body="Hi {{ requester_name }}",
        html_body="<p>Hi {{ requester_name }}</p>",
    )

    builtin = invitation_render(session=session, language="ja")
    override = invitation_render(session=session, language="en")

    for rendered in (builtin, override):
        assert "<script>" not in rendered.html
        assert "&lt;script&gt;" in rendered.html
    assert "\n" not in override.subject
    assert override.subject == "Hello <script>alert(1)</script> Bcc: evil@example.com"


def test_admin_override_replaces_builtin_wording_for_its_language_only(agent):
    session = make_session(agent)
    InvitationTemplate.objects.create(
        language="en",
        subject="Support for {{ incident_id }}",
        text_body="Open {{ link }} (code {{code}}) before {{ valid_until }}. From {{ agent_name }}.",
    )

    english = invitation_render(session=session, language="en")
    japanese = invitation_render(session=session, language="ja")

    assert english.subject == "Support for INC-1001"
    assert english.text.startswith(f"Open {LINK} (code s12-345-678) before ")
    assert "From agent.smith." in english.text
    # No HTML body given: the text goes out as simple HTML with the link clickable.
    assert f'<a href="{LINK}"' in english.html
    assert japanese.subject.startswith("リモートサポートのご案内")


def test_inactive_override_is_ignored(agent):
    session = make_session(agent)
    InvitationTemplate.objects.create(language="en", subject="Custom", text_body="x", is_active=False)

    assert invitation_render(session=session, language="en").subject.startswith("Remote support")


def test_override_with_unknown_placeholder_is_refused(db):
    template = InvitationTemplate(language="en", subject="Hi {{ requester }}", text_body="{{ link }}")

    with pytest.raises(ValidationError) as excinfo:
        template.full_clean()

    assert "{{ requester }}" in str(excinfo.value)
    assert "subject" in excinfo.value.message_dict


# --- sending ----------------------------------------------------------------------------------


def test_send_delivers_html_and_text_and_records_success(agent):
    session = make_session(agent)
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
    email = queue(make_session(agent), language="ja")

    invitation_send(email_id=email.pk)

    assert mail.outbox[0].subject.startswith("リモートサポートのご案内")


def test_smtp_down_keeps_row_queued_with_error_and_backoff(agent, smtp_down):
    smtp_down.INVITATION_RETRY_BASE_SECONDS = 60
    session = make_session(agent)
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
    session = make_session(agent)
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
    session = make_session(agent)
    first = queue(session)
    queue(session, to="other@example.com")

    invitation_send(email_id=first.pk)

    session.refresh_from_db()
    assert session.email_status == "queued"


def test_retries_until_smtp_returns_then_sends(agent, smtp_down):
    smtp_down.INVITATION_RETRY_BASE_SECONDS = 0
    email = queue(make_session(agent))
    assert invitation_send(email_id=email.pk).outcome == "retrying"

    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert invitation_send(email_id=email.pk).outcome == "sent"

    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_last_error_and_log_hold_no_smtp_credentials(agent, settings, caplog):
    settings.EMAIL_BACKEND = "tests.sessions_app.test_emails.RefusingBackend"
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "svc-mailer", SMTP_PASSWORD
    email = queue(make_session(agent))

    with caplog.at_level(logging.DEBUG):
        invitation_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.last_error.startswith("SMTPAuthenticationError: 535 5.7.8 bad credentials")
    assert SMTP_PASSWORD not in email.last_error and "svc-mailer" not in email.last_error
    assert SMTP_PASSWORD not in caplog.text
    assert SMTP_PASSWORD not in AuditEvent.objects.get(action="email").detail
    assert len(email.last_error) <= 300 and "\n" not in email.last_error


def test_row_not_yet_due_is_not_sent(agent):
    email = queue(make_session(agent))
    InvitationEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert invitation_send(email_id=email.pk).outcome == "skipped"
    assert mail.outbox == []


def test_row_claimed_by_another_worker_is_left_alone_until_its_lease_runs_out(agent):
    email = queue(make_session(agent))
    InvitationEmail.objects.filter(pk=email.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))

    assert invitation_send(email_id=email.pk).outcome == "skipped"
    assert mail.outbox == []

    # That worker died: once its lease has run out the row is taken over.
    InvitationEmail.objects.filter(pk=email.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert invitation_send(email_id=email.pk).outcome == "sent"


def test_invitation_for_closed_session_fails_without_sending(agent):
    session = make_session(agent)
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
    settings.EMAIL_BACKEND = "tests.sessions_app.test_emails.SlowBackend"
    email = queue(make_session(agent))
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


# --- the task, enqueueing and the re-drive ------------------------------------------------------


def test_task_retries_at_the_rows_backoff(agent, smtp_down, monkeypatch):
    smtp_down.INVITATION_RETRY_BASE_SECONDS = 42
    email = queue(make_session(agent))
    retried = {}

    class Retry(Exception):
        pass

    def fake_retry(**kwargs):
        retried.update(kwargs)
        return Retry()

    monkeypatch.setattr(tasks.send_invitation, "retry", fake_retry)

    with pytest.raises(Retry):
        tasks.send_invitation.run(email.pk)

    assert retried == {"countdown": 42}


def test_task_sends_without_retry_when_smtp_accepts(agent):
    email = queue(make_session(agent))

    assert tasks.send_invitation.run(email.pk) == "sent"
    assert len(mail.outbox) == 1


@pytest.fixture
def broker_down(monkeypatch):
    """The test process's producer pointed at a closed port; the real broker restored after."""
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)
    original = celery_app.conf.broker_url

    def use(url: str) -> None:
        celery_app.conf.broker_url = url
        celery_app.close()  # drops the connection pool…
        celery_app.amqp._producer_pool = None  # …and the producer pool built on it

    use(f"redis://127.0.0.1:{free_port()}/0")
    yield
    use(original)


def test_enqueue_with_broker_down_logs_and_leaves_row_queued(agent, broker_down, caplog, django_capture_on_commit_callbacks):
    session = make_session(agent)

    with caplog.at_level(logging.WARNING, logger="sessions_app.services.emails"):
        with django_capture_on_commit_callbacks(execute=True):
            email = invitation_queue(session=session, requested_by=agent)

    email.refresh_from_db()
    assert email.status == "queued"
    assert f"invitation {email.pk} stays queued" in caplog.text
    assert emails.invitation_enqueue(email.pk) is False


def test_redrive_hands_over_due_unclaimed_rows_only(agent, monkeypatch):
    session = make_session(agent)
    due, later, claimed, sent = (queue(session) for _ in range(4))
    InvitationEmail.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    InvitationEmail.objects.filter(pk=claimed.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    InvitationEmail.objects.filter(pk=sent.pk).update(status="sent")
    handed: list[int] = []
    monkeypatch.setattr(emails, "invitation_enqueue", lambda email_id: handed.append(email_id) or True)

    assert invitations_redrive() == 1
    assert handed == [due.pk]


def test_redrive_stops_at_the_first_broker_failure(agent, monkeypatch):
    session = make_session(agent)
    for _ in range(3):
        queue(session)
    calls: list[int] = []
    monkeypatch.setattr(emails, "invitation_enqueue", lambda email_id: calls.append(email_id) and False)

    assert invitations_redrive() == 0
    assert len(calls) == 1
    assert InvitationEmail.objects.filter(status="queued").count() == 3


def test_redrive_respects_its_limit(agent, monkeypatch):
    session = make_session(agent)
    for _ in range(5):
        queue(session)
    monkeypatch.setattr(emails, "invitation_enqueue", lambda email_id: True)

    assert invitations_redrive(limit=2) == 2


def test_retry_now_requeues_a_failed_row_with_fresh_attempts(agent, monkeypatch, django_capture_on_commit_callbacks):
    session = make_session(agent)
    email = queue(session)
    InvitationEmail.objects.filter(pk=email.pk).update(
        status="failed", attempts=8, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    Session.objects.filter(pk=session.pk).update(email_status="failed")
    handed: list[int] = []
    monkeypatch.setattr(emails, "invitation_enqueue", lambda email_id: handed.append(email_id) or True)

    with django_capture_on_commit_callbacks(execute=True):
        assert invitation_retry(email=email) is True

    email.refresh_from_db()
    session.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 0)
    assert email.next_attempt_at <= timezone.now()
    assert session.email_status == "queued"
    assert handed == [email.pk]


def test_retry_now_leaves_sent_and_in_flight_rows_alone(agent):
    session = make_session(agent)
    sent, in_flight = queue(session), queue(session)
    InvitationEmail.objects.filter(pk=sent.pk).update(status="sent")
    InvitationEmail.objects.filter(pk=in_flight.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))

    assert invitation_retry(email=sent) is False
    assert invitation_retry(email=in_flight) is False
    assert InvitationEmail.objects.get(pk=sent.pk).status == "sent"


def test_beat_schedule_redrives_the_outbox_at_the_configured_interval(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["redrive-invitation-emails"]

    assert entry["task"] == tasks.redrive_invitations.name
    assert entry["schedule"] == settings.EMAIL_REDRIVE_SECONDS


def test_the_services_never_import_the_task_module():
    # tasks.py imports the services; the outbox enqueues by task name, so the arrow runs one way.
    services = Path(__file__).resolve().parents[2] / "sessions_app" / "services"
    for module in services.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert "tasks" not in (node.module or "").split("."), module.name
                assert "tasks" not in [alias.name for alias in node.names], module.name


def test_the_outbox_names_the_task_that_sends_it():
    assert tasks.send_invitation.name == emails.SEND_INVITATION_TASK
    assert emails.SEND_INVITATION_TASK in celery_app.tasks
