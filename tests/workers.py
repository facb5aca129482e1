"""Real Celery processes for tests: workers and beat on the test's own broker and database.

The processes run on the test's PostgreSQL database (so the rows a test writes must be
committed: ``transaction=True``) and on a broker of the test's own: a Redis queue with a unique
name, or a filesystem broker in a temporary folder. Every wait is bounded; every process a test
starts is stopped at its end (SIGTERM for a warm shutdown, then SIGKILL).

Test modules import the fixtures they use from here (``from tests.workers import redis_url``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from csm_teamviewer.celery import app as celery_app
from csm_teamviewer.outbox_listener import LISTEN_LOCK_KEY
from tests.prerequisites import missing

WAIT_SECONDS = 30


def wait_for(
    check: Callable[[], Any],
    *,
    what: str,
    log: Path | None = None,
    proc: subprocess.Popen | None = None,
    seconds: float = WAIT_SECONDS,
) -> Any:
    """``check()``'s first truthy value within ``seconds``; fails with the log's tail otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    pytest.fail(f"Gave up waiting for {what}.\n--- worker log (tail) ---\n{tail}")


def database_url() -> str:
    """The test database (not the configured one) as a ``DATABASE_URL`` for a subprocess."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def outbox_listening() -> bool:
    """Whether a worker's outbox listener holds its lock, and so hears what this process notifies
    (it LISTENs one round trip after taking the lock). A bigint advisory lock shows in pg_locks as
    its high and low 32 bits."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            [LISTEN_LOCK_KEY >> 32, LISTEN_LOCK_KEY & 0xFFFFFFFF],
        )
        return cursor.fetchone()[0]


def use_broker(url: str) -> None:
    """Point this process's producer at ``url``."""
    # The producer caches its connection pool, and a producer pool built on it; drop both so
    # the next publish connects to ``url``.
    celery_app.conf.broker_url = url
    celery_app.close()
    celery_app.amqp._producer_pool = None


def celery_env(**extra: str) -> dict[str, str]:
    """The environment of a Celery subprocess on the test database, with ``extra`` on top."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "csm_teamviewer.settings",
        "DATABASE_URL": database_url(),
        # Same keys as this process, so encrypted columns written here read there.
        "SECRET_KEY": settings.SECRET_KEY,
        "ENCRYPTION_KEYS": ",".join(settings.ENCRYPTION_KEYS),
        **extra,
    }
    env.pop("CELERY_BROKER_WRITE_URL", None)
    return env


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class CeleryProcesses:
    """Starts ``celery -A csm_teamviewer …`` subprocesses, all logging to one file."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._started: list[tuple[subprocess.Popen, Any]] = []

    def start(self, *args: str, env: dict[str, str], module: str = "celery") -> subprocess.Popen:
        """``module`` (run with ``-m``): Celery itself, or a test's wrapper around it."""
        log = self.log.open("ab")
        command = [sys.executable, "-m", module, "-A", "csm_teamviewer", *args]
        proc = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self._started.append((proc, log))
        return proc

    def stop_all(self) -> None:
        for proc, log in self._started:
            stop(proc)
            log.close()
        self._started.clear()


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        answers = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
    except redis.RedisError:
        answers = False
    if not answers:
        missing(f"needs Redis at {url} (set TEST_REDIS_URL)")
    return url


@pytest.fixture
def queue_name(redis_url) -> Iterator[str]:
    """A Redis queue of this test's own: other workers on the same Redis never take its tasks."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{name}*"):
        client.delete(key)


@pytest.fixture
def producer(redis_url, queue_name, monkeypatch) -> Iterator[Callable[[str], None]]:
    """This process publishes to the test's queue on Redis; ``producer(url)`` switches broker."""
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)  # the environment would win over app.conf
    original_url, original_queue = celery_app.conf.broker_url, celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue_name
    use_broker(redis_url)
    yield use_broker
    celery_app.conf.task_default_queue = original_queue
    use_broker(original_url)


@pytest.fixture
def celery_processes(tmp_path) -> Iterator[CeleryProcesses]:
    processes = CeleryProcesses(tmp_path / "celery.log")
    yield processes
    processes.stop_all()
