"""Invitations through a real Celery worker, real Redis and a real SMTP server on loopback.

The worker is a subprocess on the test's PostgreSQL database (so the rows must be committed:
``transaction=True``) and on a Redis queue of its own, so that other workers on the same Redis
never take these tasks. Every wait is bounded; the worker and the SMTP server always stop.
"""
from __future__ import annotations

import email
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from sessions_app.models import InvitationEmail, Session
from sessions_app.services.emails import invitation_queue, invitations_redrive
from tests.factories import SessionFactory
from tests.net import free_port
from tests.workers import celery_env, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LINK = "https://get.teamviewer.test/s98765432"
# The session the invitations are for (SessionFactory fills in the rest).
INVITED = {"incident_id": "INC-2002", "end_customer_link": LINK, "requester_name": "佐藤 花子"}


# --- SMTP, the worker -------------------------------------------------------------------------


@pytest.fixture
def worker(requires_postgres, redis_url, queue_name, celery_processes) -> Callable[..., Any]:
    """``worker(smtp_port=…)`` starts ``celery worker`` on the test database and queue."""

    def start(*, smtp_port: int, **extra_env: str):
        env = celery_env(
            **{
                "CELERY_BROKER_URL": redis_url,
                # Its outbox listener publishes what this process notifies to the test's queue.
                "CELERY_TASK_DEFAULT_QUEUE": queue_name,
                "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
                "EMAIL_TIMEOUT": "5",
                "DEFAULT_FROM_EMAIL": "service-desk@example.test",
                "INVITATION_RETRY_BASE_SECONDS": "1",
                **extra_env,
            }
        )
        return celery_processes.start(
            "worker", "--pool=solo", "-l", "info", "-Q", queue_name, "-n", f"{queue_name}@%h",
            "--without-gossip", "--without-mingle", env=env,
        )

    start.log = celery_processes.log
    return start


# --- the rows ---------------------------------------------------------------------------------


def queue_invitation(session: Session, *, language: str) -> InvitationEmail:
    """Queue as the REST API does: in a transaction, handed to the broker on commit."""
    with transaction.atomic():
        return invitation_queue(session=session, requested_by=session.agent, language=language)


def row(email_id: int) -> InvitationEmail:
    return InvitationEmail.objects.get(pk=email_id)


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


# --- the tests --------------------------------------------------------------------------------


def test_worker_delivers_the_invitation_with_link_in_its_language(agent, producer, smtp, worker):
    port = free_port()
    inbox = smtp(port)
    proc = worker(smtp_port=port)
    session = SessionFactory(agent=agent, **INVITED)

    email_row = queue_invitation(session, language="ja")

    wait_for(lambda: inbox.messages, what="the invitation at the SMTP server", log=worker.log, proc=proc)
    [message] = inbox.messages
    assert inbox.recipients == [["hanako@example.com"]]
    # Python's parser keeps the folding space before a wrapped encoded-word; mail clients do not.
    assert message["Subject"].strip() == "リモートサポートのご案内（インシデント番号：INC-2002）"
    assert message["From"] == "service-desk@example.test"
    text, html = parts(message)
    assert LINK in text and "佐藤 花子 様" in text
    assert f'href="{LINK}"' in html and 'lang="ja"' in html
    sent = wait_for(lambda: row(email_row.pk).status == "sent", what="the row marked sent", log=worker.log)
    assert sent
    session.refresh_from_db()
    assert session.email_status == "sent" and session.email_sent_at is not None


def test_worker_retries_while_smtp_is_down_and_delivers_once_it_is_back(agent, producer, smtp, worker):
    port = free_port()  # nothing listens here yet
    proc = worker(smtp_port=port, INVITATION_RETRY_BASE_SECONDS="2")
    email_row = queue_invitation(SessionFactory(agent=agent, **(INVITED | {"requester_name": "Pat Doe"})), language="en")

    failed = wait_for(
        lambda: (current := row(email_row.pk)).attempts >= 1 and current,
        what="the first failed attempt", log=worker.log, proc=proc,
    )
    assert failed.status == "queued" and "ConnectionRefusedError" in failed.last_error
    inbox = smtp(port)

    wait_for(lambda: inbox.messages, what="the retried invitation", log=worker.log, proc=proc)
    [message] = inbox.messages
    assert message["Subject"].strip() == "Remote support for your incident INC-2002"
    text, html = parts(message)
    assert LINK in text and LINK in html
    delivered = wait_for(
        lambda: (current := row(email_row.pk)).status == "sent" and current, what="the row marked sent",
        log=worker.log,
    )
    assert delivered.attempts >= 2 and delivered.last_error == ""


def test_invitation_queued_while_broker_is_down_arrives_after_it_returns(
    agent, producer, redis_url, smtp, worker, caplog, settings
):
    settings.OUTBOX_NOTIFY = False  # this process publishes itself, to a broker that is down
    port = free_port()
    inbox = smtp(port)
    proc = worker(smtp_port=port)
    producer(f"redis://127.0.0.1:{free_port()}/0")  # the broker is down for this process

    with caplog.at_level(logging.WARNING, logger="sessions_app.services.emails"):
        email_row = queue_invitation(SessionFactory(agent=agent, **INVITED), language="en")

    assert "stays queued" in caplog.text
    assert row(email_row.pk).status == "queued"
    assert Session.objects.get(pk=email_row.session_id).email_status == "queued"

    producer(redis_url)  # the broker is back
    assert invitations_redrive() == 1

    wait_for(lambda: inbox.messages, what="the re-driven invitation", log=worker.log, proc=proc)
    assert LINK in parts(inbox.messages[0])[0]
    wait_for(lambda: row(email_row.pk).status == "sent", what="the row marked sent", log=worker.log)
    assert len(inbox.messages) == 1


REDRIVE_BY_BEAT = "Sending due task redrive-invitation-emails"


def test_beat_re_drives_an_invitation_the_broker_never_took(
    agent, producer, redis_url, queue_name, smtp, worker, celery_processes, settings
):
    """A real ``celery beat`` on a one-second schedule, and nothing else to hand the row over
    (no NOTIFY, no outbox listener whose start would re-drive it)."""
    settings.OUTBOX_NOTIFY = False
    port = free_port()
    inbox = smtp(port)
    producer(f"redis://127.0.0.1:{free_port()}/0")  # the broker is down when the row is written
    email_row = queue_invitation(SessionFactory(agent=agent, **INVITED), language="ja")
    assert row(email_row.pk).status == "queued"
    on_the_queue = {"CELERY_TASK_DEFAULT_QUEUE": queue_name, "EMAIL_REDRIVE_SECONDS": "1", "OUTBOX_NOTIFY": "0"}

    proc = worker(smtp_port=port, **on_the_queue)
    schedule = celery_processes.log.parent / "celerybeat-schedule"
    beat = celery_processes.start(
        "beat", "-l", "info", "--schedule", str(schedule), env=celery_env(CELERY_BROKER_URL=redis_url, **on_the_queue)
    )

    wait_for(lambda: inbox.messages, what="the invitation re-driven by beat", log=worker.log, proc=proc)
    wait_for(lambda: row(email_row.pk).status == "sent", what="the row marked sent", log=worker.log)
    # Beat goes on re-driving after the send: the row, sent, is never sent again.
    sent_at = worker.log.read_text().count(REDRIVE_BY_BEAT)
    wait_for(
        lambda: worker.log.read_text().count(REDRIVE_BY_BEAT) >= sent_at + 2, what="two more re-drives",
        log=worker.log, proc=beat,
    )
    assert len(inbox.messages) == 1 and LINK in parts(inbox.messages[0])[0]
