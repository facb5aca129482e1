"""Redis restarted mid-run and a worker killed mid-send: every invitation arrives, once.

A real Celery worker on the test's PostgreSQL database, a private ``redis-server`` of this test's
own (killed and restarted without touching the shared one) and a real SMTP server on loopback.
The outbox row is the record of each invitation; broker messages lost with Redis or with a
worker are made good by the re-drive (what beat runs every ``EMAIL_REDRIVE_SECONDS``), and the
row's claim keeps a re-driven invitation from going out twice.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import transaction
from django.utils import timezone

from sessions_app.models import InvitationEmail, Session
from sessions_app.services.emails import invitation_queue, invitations_redrive
from tests.factories import AgentFactory, SessionFactory
from tests.net import free_port
from tests.prerequisites import missing
from tests.workers import celery_env, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HANG_SECONDS = 20


class PrivateRedis:
    """A ``redis-server`` without persistence on a free port: a restart empties it, as a crash does."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.folder)]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, what="the private redis-server", proc=self.proc)

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def private_redis(requires_postgres, tmp_path) -> Iterator[PrivateRedis]:
    if not shutil.which("redis-server"):
        missing("needs the redis-server program (Debian's redis-server)")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def redis_url(private_redis) -> str:
    """Every fixture of ``tests.workers`` runs on the private server."""
    return private_redis.url


class Inbox:
    """A loopback SMTP server's mailbox; ``hang_on_rcpt`` holds a client in the middle of a send."""

    def __init__(self, *, hang_on_rcpt: bool = False) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.hang_on_rcpt = hang_on_rcpt
        self.in_send = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if self.hang_on_rcpt and not self.in_send.is_set():
            self.in_send.set()
            deadline = time.monotonic() + HANG_SECONDS
            while not self.release.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self) -> list[str]:
        return sorted(str(message["To"]) for message in self.messages)


@pytest.fixture
def smtp() -> Iterator[Callable[..., tuple[Inbox, int]]]:
    controllers: list[Controller] = []
    mail_log = logging.getLogger("mail.log")
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)

    def start(**options: bool) -> tuple[Inbox, int]:
        inbox, port = Inbox(**options), free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return inbox, port

    yield start
    for controller in controllers:
        controller.stop()
    mail_log.setLevel(level)


@pytest.fixture
def worker(redis_url, queue_name, celery_processes, producer) -> Callable[[int], subprocess.Popen]:
    def start(smtp_port: int) -> subprocess.Popen:
        env = celery_env(
            CELERY_BROKER_URL=redis_url,
            CELERY_TASK_DEFAULT_QUEUE=queue_name,  # where its outbox listener publishes
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            EMAIL_TIMEOUT="5",
            DEFAULT_FROM_EMAIL="service-desk@example.test",
            INVITATION_RETRY_BASE_SECONDS="1",
        )
        command = ["worker", "--pool=solo", "-l", "info", "-Q", queue_name, "-n", f"{queue_name}@%h"]
        return celery_processes.start(*command, "--without-gossip", "--without-mingle", env=env)

    return start


def _session(agent_name: str, number: int) -> Session:
    code = f"s73-000-{number:03d}"
    return SessionFactory(
        agent=AgentFactory(username=agent_name),
        incident_id=f"INC-73{number:02d}",
        code=code,
        end_customer_link=f"https://get.teamviewer.test/{code.replace('-', '')}",
        supporter_link="https://start.teamviewer.test/secret",
        requester_email=f"customer{number}@example.com",
        valid_until=timezone.now() + timedelta(hours=1),
    )


def _queue(number: int) -> InvitationEmail:
    with transaction.atomic():
        session = _session("agent.kato", number)
        return invitation_queue(session=session, requested_by=session.agent, language="en")


def _all_sent(ids: list[int]) -> bool:
    return InvitationEmail.objects.filter(pk__in=ids, status="sent").count() == len(ids)


def _redrive_until_sent(ids: list[int], *, log: Path, proc) -> None:
    """What beat does, every second instead of every minute, until every row is sent."""

    def drained() -> bool:
        invitations_redrive()
        return _all_sent(ids)

    wait_for(drained, what="every invitation sent", log=log, proc=proc)


def test_redis_restarted_mid_run_loses_no_invitation_and_sends_none_twice(
    private_redis, smtp, worker, celery_processes
):
    inbox, port = smtp()
    proc = worker(port)
    before = _queue(1)
    wait_for(lambda: _all_sent([before.pk]), what="the first invitation", log=celery_processes.log, proc=proc)

    private_redis.kill()
    during = _queue(2)  # the broker is gone: the row stays queued
    assert InvitationEmail.objects.get(pk=during.pk).status == "queued"
    private_redis.start()  # empty: whatever it held is lost
    after = _queue(3)

    ids = [before.pk, during.pk, after.pk]
    _redrive_until_sent(ids, log=celery_processes.log, proc=proc)

    assert proc.poll() is None  # the worker rode out the restart
    assert inbox.to() == ["customer1@example.com", "customer2@example.com", "customer3@example.com"]
    assert Session.objects.filter(state="open", email_status="sent").count() == 3
    assert invitations_redrive() == 0


def test_a_worker_killed_in_the_middle_of_a_send_is_replaced_and_the_invitation_goes_out_once(
    smtp, worker, celery_processes
):
    inbox, port = smtp(hang_on_rcpt=True)
    first = worker(port)
    row = _queue(4)
    wait_for(
        inbox.in_send.is_set, what="the worker inside the SMTP exchange", log=celery_processes.log, proc=first
    )

    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    inbox.release.set()

    held = InvitationEmail.objects.get(pk=row.pk)
    assert held.status == "queued" and held.sent_at is None
    assert held.claimed_until > timezone.now()  # the dead worker's claim: nobody may send it yet
    assert invitations_redrive() == 0
    # The claim's lease (ten SMTP timeouts and some) runs out: as if that time had passed.
    InvitationEmail.objects.filter(pk=row.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    second = worker(port)

    _redrive_until_sent([row.pk], log=celery_processes.log, proc=second)

    assert inbox.to() == ["customer4@example.com"]
    sent = InvitationEmail.objects.get(pk=row.pk)
    assert sent.attempts == 1 and sent.last_error == ""
    assert Session.objects.get(pk=row.session_id).state == "open"
    assert invitations_redrive() == 0
