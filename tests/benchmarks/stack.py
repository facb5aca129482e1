"""The stack under test: its environment, database, and the processes (stand-in, gunicorn, Celery).

Production-like: ``DEBUG=0`` with generated secrets, gunicorn's gthread workers as in the
Dockerfile, PostgreSQL and Redis when they answer on loopback (SQLite and the filesystem broker
otherwise). Every process is started here and stopped here, each wait bounded.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "artifacts" / "benchmarks"
START_SECONDS = 60
STOP_SECONDS = 15


def answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Options:
    latency_ms: float
    workers: int
    threads: int
    database_url: str
    redis_url: str
    port: int = field(default_factory=free_port)
    standin_port: int = field(default_factory=free_port)


def choose_backends(*, database_url: str | None, redis_url: str | None) -> tuple[str, str]:
    """PostgreSQL and Redis where they answer on loopback; otherwise SQLite and the filesystem broker."""
    var = OUT / "var"
    database = database_url or (
        "postgres://postgres@127.0.0.1:5432/csm_tv_benchmark"
        if answers(5432)
        else f"sqlite:///{var / 'bench.sqlite3'}"
    )
    broker = redis_url or ("redis://127.0.0.1:6379/12" if answers(6379) else "filesystem://")
    return database, broker


def environment(options: Options) -> dict[str, str]:
    """The server's environment: production settings with generated secrets, on loopback."""
    fernet_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENCRYPTION_KEYS": fernet_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no proxy in front to terminate TLS.
        "SECURE_SSL_REDIRECT": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{options.port}",
        "VAR_DIR": str(OUT / "var"),
        "DATABASE_URL": options.database_url,
        "CELERY_BROKER_URL": options.redis_url,
        # Shared by the web processes, as in production with more than one (throttles, sync pacing).
        "CACHE_URL": options.redis_url if options.redis_url.startswith("redis") else "locmemcache://",
        # The budgets still run (their cost is measured) but never refuse the benchmark's load.
        "API_THROTTLE_PER_KEY": "100000000/min",
        "API_THROTTLE_PER_AGENT": "100000000/min",
        "TEAMVIEWER_CLIENT_ID": "bench-client",
        "TEAMVIEWER_CLIENT_SECRET": "bench-secret",
        "TEAMVIEWER_API_URL": f"http://127.0.0.1:{options.standin_port}/api/v1",
        "TEAMVIEWER_AUTHORIZE_URL": f"http://127.0.0.1:{options.standin_port}/oauth2/authorize",
        "EMAIL_URL": "consolemail://",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TEST_REDIS_URL", None)
    return env


def fresh_database(database_url: str) -> None:
    """An empty database of that name: dropped and created again (PostgreSQL) or deleted (SQLite)."""
    if database_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        return
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1].split("?")[0]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare(env: dict[str, str], log: Path) -> None:
    """Migrate, and collect the static files the manifest storage links."""
    with log.open("a") as out:

        def manage(*command: str) -> None:
            subprocess.run(
                [sys.executable, "manage.py", *command, "--noinput", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=out,
                stderr=out,
                timeout=300,
            )

        manage("migrate")
        # Every run: a manifest from an earlier checkout would not name files added since.
        manage("collectstatic")


class Processes:
    """The processes this run started, stopped in reverse order however the run ends."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("w")
        # A process group of its own, so that stopping it reaches its workers too.
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, proc))
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(STOP_SECONDS)

    def stop_all(self) -> None:
        for _name, proc in reversed(self.started):
            self.stop(proc)
        self.started.clear()


def wait_until(check: Callable[[], bool], *, what: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not start.\n--- {log.name} (tail) ---\n{tail}")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=5) as response:  # noqa: S310 - loopback
            return response.status == 200
    except OSError:
        return False


def start_standin(processes: Processes, options: Options, env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.benchmarks.standin", "--port", str(options.standin_port)]
    proc = processes.start("standin", [*command, "--latency-ms", str(options.latency_ms)], env)
    wait_until(
        lambda: answers(options.standin_port),
        what="The TeamViewer stand-in",
        proc=proc,
        log=processes.logs / "standin.log",
    )
    return proc


def start_web(processes: Processes, options: Options, env: dict[str, str]) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "csm_teamviewer.wsgi",
        "--bind",
        f"127.0.0.1:{options.port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(options.workers),
        "--threads",
        str(options.threads),
        "--access-logfile",
        "-",
        "--access-logformat",
        "%(m)s %(U)s %(s)s %(L)s",
    ]
    proc = processes.start("gunicorn", command, env)
    wait_until(
        lambda: _healthy(options.port), what="gunicorn", proc=proc, log=processes.logs / "gunicorn.log"
    )
    return proc


def start_worker(processes: Processes, env: dict[str, str]) -> subprocess.Popen:
    celery = str(Path(sys.executable).parent / "celery")
    command = [celery, "-A", "csm_teamviewer", "worker", "--loglevel=WARNING", "--concurrency=2"]
    proc = processes.start("celery", command, env)
    log = processes.logs / "celery.log"
    wait_until(
        lambda: "ready" in log.read_text(errors="replace") or _worker_children(proc) >= 2,
        what="The Celery worker",
        proc=proc,
        log=log,
    )
    return proc


def _worker_children(proc: subprocess.Popen) -> int:
    import psutil

    try:
        return len(psutil.Process(proc.pid).children())
    except psutil.Error:
        return 0


def clear_var() -> None:
    """Start from an empty broker folder (the filesystem transport keeps old messages)."""
    shutil.rmtree(OUT / "var" / "celery", ignore_errors=True)
