"""The scheduled cleanup through real Celery processes, against the TeamViewer sandbox over HTTP.

Beat (a one-second interval) and a worker run as subprocesses on the test's PostgreSQL database;
the sandbox is served by this process's live server, so the worker closes sessions over real
HTTP exactly as it would at TeamViewer. Once on Redis with a separate beat process (the
production layout), once on the embedded filesystem broker with ``worker --beat`` (what
``scripts/run`` starts). Every wait is bounded; every process is stopped.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.sandbox import faults
from csm_teamviewer.sandbox import sessions as sandbox_sessions
from csm_teamviewer.sandbox.models import Session as SandboxSession
from csm_teamviewer.sandbox.models import Token as SandboxToken
from csm_teamviewer.sandbox.oauth import hash_secret
from sessions_app.models import Session
from tests.factories import SessionFactory, TeamViewerTokenFactory
from tests.workers import celery_env, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WAIT_SECONDS = 60


class Stand:
    """The sessions of one test: at the sandbox and here."""

    def __init__(self, agent) -> None:
        access = secrets.token_urlsafe(24)
        self.sandbox_token = SandboxToken.objects.create(
            access_hash=hash_secret(access),
            refresh_hash=hash_secret(secrets.token_urlsafe(24)),
            client_id="sandbox-client-id",
            email=agent.email,
            access_expires_at=timezone.now() + timedelta(days=1),
        )
        TeamViewerTokenFactory(agent=agent, access_token=access, expires_at=timezone.now() + timedelta(days=1))
        self.agent = agent

    def session(self, incident_id: str, *, valid_for: timedelta, **fields) -> Session:
        remote = sandbox_sessions.session_create(token=self.sandbox_token, data={"groupname": "CSM"})
        return SessionFactory(
            agent=self.agent,
            incident_id=incident_id,
            code=remote.code,
            end_customer_link=f"https://get.teamviewer.test/{remote.compact_code}",
            valid_until=timezone.now() + valid_for,
            **fields,
        )


def remote_state(session: Session) -> str:
    return SandboxSession.objects.get(code=session.code).state


@pytest.fixture
def stand(agent, live_server, settings) -> Stand:
    settings.SANDBOX_LATENCY_SECONDS = 0
    faults.clear()
    return Stand(agent)


def cleanup_env(live_server, **extra: str) -> dict[str, str]:
    return celery_env(
        TEAMVIEWER_API_URL=f"{live_server.url}/sandbox/teamviewer/api/v1",
        CLEANUP_INTERVAL_SECONDS="1",
        SESSION_SYNC_INTERVAL_SECONDS="1",
        EMAIL_REDRIVE_SECONDS="3600",
        SESSION_RETENTION_DAYS="30",
        **extra,
    )


def scenario(stand: Stand) -> tuple[list[Session], Session, Session]:
    """Two sessions past their lifetime, one live, one closed long ago."""
    expired = [stand.session(f"INC-{n}", valid_for=-timedelta(minutes=n + 1)) for n in range(2)]
    live = stand.session("INC-LIVE", valid_for=timedelta(hours=5))
    old = stand.session("INC-OLD", valid_for=-timedelta(days=40), state=Session.State.CLOSED)
    Session.objects.filter(pk=old.pk).update(closed_at=timezone.now() - timedelta(days=40))
    return expired, live, old


def assert_cleaned_up(expired: list[Session], live: Session, old: Session, *, log, proc) -> None:
    def done() -> bool:
        states = set(Session.objects.filter(pk__in=[s.pk for s in expired]).values_list("state", flat=True))
        return states == {"expired"} and not Session.objects.filter(pk=old.pk).exists()

    wait_for(
        done,
        what="the expired sessions closed and the old one deleted",
        log=log,
        proc=proc,
        seconds=WAIT_SECONDS,
    )
    assert [remote_state(session) for session in expired] == ["closed", "closed"]
    assert remote_state(live) == "open"
    assert Session.objects.get(pk=live.pk).state == "open"
    # Beat ran the cleanup again and again: each session was expired (and audited) once.
    audits = AuditEvent.objects.filter(action=AuditEvent.Action.EXPIRE)
    assert sorted(audits.values_list("session_code", "outcome")) == sorted((s.code, "ok") for s in expired)


def test_beat_and_a_worker_on_redis_close_expired_sessions_at_teamviewer_and_delete_old_ones(
    requires_postgres, stand, live_server, redis_url, queue_name, celery_processes
):
    expired, live, old = scenario(stand)
    env = cleanup_env(live_server, CELERY_BROKER_URL=redis_url, CELERY_TASK_DEFAULT_QUEUE=queue_name)

    worker = celery_processes.start(
        "worker", "--pool=solo", "-l", "info", "-Q", queue_name, "-n", f"{queue_name}@%h",
        "--without-gossip", "--without-mingle", env=env,
    )  # fmt: skip
    schedule = celery_processes.log.parent / "celerybeat-schedule"
    beat = celery_processes.start("beat", "-l", "info", "--schedule", str(schedule), env=env)

    assert_cleaned_up(expired, live, old, log=celery_processes.log, proc=worker)
    assert beat.poll() is None


def test_the_embedded_broker_runs_the_scheduled_cleanup_with_nothing_else_installed(
    requires_postgres, stand, live_server, celery_processes, tmp_path
):
    expired, live, old = scenario(stand)
    env = cleanup_env(live_server, VAR_DIR=str(tmp_path / "var"))
    for name in ("CELERY_BROKER_URL", "CELERY_TASK_DEFAULT_QUEUE"):
        env.pop(name, None)  # the embedded default: the filesystem broker under VAR_DIR

    # What scripts/run starts beside the web server: one worker with beat inside it.
    worker = celery_processes.start(
        "worker", "--beat", "--pool=solo", "-l", "info",
        "--schedule", str(tmp_path / "celerybeat-schedule"), env=env,
    )  # fmt: skip

    assert_cleaned_up(expired, live, old, log=celery_processes.log, proc=worker)
    assert (tmp_path / "var" / "celery" / "queue").is_dir()
