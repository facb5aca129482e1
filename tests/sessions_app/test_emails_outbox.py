"""The invitation outbox and its task (services/emails.py, tasks.py): enqueueing, re-drive, retry now."""
from __future__ import annotations

import ast
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from csm_teamviewer.celery import app as celery_app
from sessions_app import tasks
from sessions_app.models import InvitationEmail, Session
from sessions_app.services import emails
from sessions_app.services.emails import invitation_queue, invitation_retry, invitations_redrive
from tests.factories import SessionFactory
from tests.net import free_port
from tests.task_retries import retry_asked

from .invitations import INVITED, queue


def test_task_retries_at_the_rows_backoff(agent, smtp_down, monkeypatch):
    smtp_down.INVITATION_RETRY_BASE_SECONDS = 42
    email = queue(SessionFactory(agent=agent, **INVITED))

    assert retry_asked(monkeypatch, tasks.send_invitation, email.pk) == {"countdown": 42}


def test_task_sends_without_retry_when_smtp_accepts(agent):
    email = queue(SessionFactory(agent=agent, **INVITED))

    assert tasks.send_invitation.run(email.pk) == "sent"
    assert len(mail.outbox) == 1


@pytest.fixture
def broker_down(monkeypatch, settings):
    """The test process's producer pointed at a closed port, and requests publish to it
    themselves (no NOTIFY); the real broker restored after."""
    settings.OUTBOX_NOTIFY = False
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
    session = SessionFactory(agent=agent, **INVITED)

    with caplog.at_level(logging.WARNING, logger="sessions_app.services.emails"):
        with django_capture_on_commit_callbacks(execute=True):
            email = invitation_queue(session=session, requested_by=agent)

    email.refresh_from_db()
    assert email.status == "queued"
    assert f"invitation {email.pk} stays queued" in caplog.text
    assert emails.invitation_enqueue(email.pk) is False


def test_redrive_hands_over_due_unclaimed_rows_only(agent, monkeypatch):
    session = SessionFactory(agent=agent, **INVITED)
    due, later, claimed, sent = (queue(session) for _ in range(4))
    InvitationEmail.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    InvitationEmail.objects.filter(pk=claimed.pk).update(claimed_until=timezone.now() + timedelta(minutes=1))
    InvitationEmail.objects.filter(pk=sent.pk).update(status="sent")
    handed: list[int] = []
    monkeypatch.setattr(emails, "invitation_enqueue", lambda email_id: handed.append(email_id) or True)

    assert invitations_redrive() == 1
    assert handed == [due.pk]


def test_redrive_stops_at_the_first_broker_failure(agent, monkeypatch):
    session = SessionFactory(agent=agent, **INVITED)
    for _ in range(3):
        queue(session)
    calls: list[int] = []
    monkeypatch.setattr(emails, "invitation_enqueue", lambda email_id: calls.append(email_id) and False)

    assert invitations_redrive() == 0
    assert len(calls) == 1
    assert InvitationEmail.objects.filter(status="queued").count() == 3


def test_redrive_respects_its_limit(agent, monkeypatch):
    session = SessionFactory(agent=agent, **INVITED)
    for _ in range(5):
        queue(session)
    monkeypatch.setattr(emails, "invitation_enqueue", lambda email_id: True)

    assert invitations_redrive(limit=2) == 2


def test_retry_now_requeues_a_failed_row_with_fresh_attempts(agent, monkeypatch, django_capture_on_commit_callbacks):
    session = SessionFactory(agent=agent, **INVITED)
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
    session = SessionFactory(agent=agent, **INVITED)
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
