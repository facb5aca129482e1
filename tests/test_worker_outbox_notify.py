"""Invitations handed over by NOTIFY, through a real Celery worker whose outbox listener publishes
them to Redis, to a real SMTP server on loopback; no beat. This process's own broker is down
throughout, so only the NOTIFY (or the listener's re-drive at its start) can reach the worker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from sessions_app.models import InvitationEmail
from sessions_app.services.emails import invitation_queue
from tests.factories import SessionFactory
from tests.net import free_port
from tests.workers import celery_env, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LINK = "https://get.teamviewer.test/s55544433"
INVITED = {"incident_id": "INC-4004", "end_customer_link": LINK}
LISTENING = "Outbox listener: listening on"
# The worker's log line of a finished invitation re-drive, with how many it handed over.
REDRIVEN = re.compile(r"sessions_app\.tasks\.redrive_invitations\[[^]]+\] succeeded in \S+ (\d+)")


@pytest.fixture
def worker(requires_postgres, redis_url, queue_name, celery_processes, producer) -> Callable[..., Any]:
    """``worker(smtp_port=…)`` starts ``celery worker`` on the test database and queue, with NOTIFY
    on; this process's producer is pointed at a closed port."""
    producer(f"redis://127.0.0.1:{free_port()}/0")

    def start(*, smtp_port: int):
        env = celery_env(
            CELERY_BROKER_URL=redis_url,
            CELERY_TASK_DEFAULT_QUEUE=queue_name,  # where the listener publishes
            OUTBOX_NOTIFY="1",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            EMAIL_TIMEOUT="5",
        )
        return celery_processes.start(
            "worker", "--pool=solo", "-l", "info", "-Q", queue_name, "-n", f"{queue_name}@%h",
            "--without-gossip", "--without-mingle", env=env,
        )  # fmt: skip

    start.log = celery_processes.log
    return start


def queue_invitation(agent) -> InvitationEmail:
    """Queue as the REST API does: in a transaction, handed over (notified) on commit."""
    with transaction.atomic():
        session = SessionFactory(agent=agent, **INVITED)
        return invitation_queue(session=session, requested_by=agent, language="en")


def redriven(log) -> list[int]:
    return [int(count) for count in REDRIVEN.findall(log.read_text())]


def test_an_invitation_notified_on_commit_is_sent_by_the_listening_worker(agent, smtp, worker):
    port = free_port()
    inbox = smtp(port)
    proc = worker(smtp_port=port)
    wait_for(lambda: LISTENING in worker.log.read_text(), what="the listener", log=worker.log, proc=proc)
    wait_for(lambda: redriven(worker.log), what="the re-drive at the start", log=worker.log, proc=proc)

    email_row = queue_invitation(agent)

    wait_for(lambda: inbox.messages, what="the invitation at the SMTP server", log=worker.log, proc=proc)
    wait_for(
        lambda: InvitationEmail.objects.get(pk=email_row.pk).status == "sent", what="the row marked sent",
        log=worker.log,
    )
    assert LINK in inbox.messages[0].get_body(("plain",)).get_content()
    assert redriven(worker.log) == [0]  # the notify brought it, not a re-drive


def test_an_invitation_queued_while_nobody_listened_is_sent_once_the_listener_starts(agent, smtp, worker):
    email_row = queue_invitation(agent)  # notified with no listener: the notify is lost
    port = free_port()
    inbox = smtp(port)

    proc = worker(smtp_port=port)

    wait_for(lambda: inbox.messages, what="the invitation at the SMTP server", log=worker.log, proc=proc)
    wait_for(
        lambda: InvitationEmail.objects.get(pk=email_row.pk).status == "sent", what="the row marked sent",
        log=worker.log,
    )
    assert redriven(worker.log) == [1] and len(inbox.messages) == 1
