"""The load test's own stack: the sandbox as TeamViewer and the web server as two gunicorn
servers, and a Celery worker, on a fresh database, with production settings on loopback."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def _database_url(folder: Path) -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        return f"sqlite:///{folder / 'load.sqlite3'}"
    import psycopg
    from psycopg import sql

    base, name = configured.rsplit("/", 1)
    name = f"{name.split('?')[0]}_loadtest"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{base}/{name}"


def _broker() -> dict[str, str]:
    """Redis (``TEST_REDIS_URL``) on a queue of this run's own when it answers, else the filesystem.

    The filesystem transport polls once a second: fine for one machine, too slow for this load.
    """
    url = os.environ.get("TEST_REDIS_URL", "")
    if url:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return {"CELERY_BROKER_URL": url, "CELERY_TASK_DEFAULT_QUEUE": f"loadtest-{secrets.token_hex(6)}"}
        except redis.RedisError:
            pass
    return {"CELERY_BROKER_URL": "filesystem://"}


def forget_queue() -> None:
    url, queue = os.environ.get("CELERY_BROKER_URL", ""), os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "")
    if url.startswith("redis") and queue.startswith("loadtest-"):
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{queue}*"):
            client.delete(key)


def stack_environment(folder: Path, *, web_port: int, sandbox_port: int) -> dict[str, str]:
    """Production settings (DEBUG off) on loopback, the sandbox as TeamViewer, mail into files."""
    env = {
        "DJANGO_SETTINGS_MODULE": "csm_teamviewer.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "VAR_DIR": str(folder / "var"),
        "DATABASE_URL": _database_url(folder),
        **_broker(),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "TEAMVIEWER_API_URL": f"http://127.0.0.1:{sandbox_port}/sandbox/teamviewer/api/v1",
        # Four slashes: django-environ drops the first of an absolute path.
        "EMAIL_URL": f"filemail:///{folder / 'mail'}",
        # The budgets guard against floods; this flood is on purpose.
        "API_THROTTLE_PER_KEY": "100000000/min",
        "API_THROTTLE_PER_AGENT": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("TEAMVIEWER_CLIENT_ID", "TEAMVIEWER_CLIENT_SECRET", "CELERY_BROKER_WRITE_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    (folder / "mail").mkdir(parents=True, exist_ok=True)
    return env


class Stack:
    """The two gunicorn servers and the worker, stopped however the run ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT
        )  # noqa: S603
        self.procs.append(proc)
        return proc

    def gunicorn(
        self, name: str, port: int, *, workers: int, threads: int, keep_alive: int = 2
    ) -> subprocess.Popen:
        command = [sys.executable, "-m", "gunicorn", "csm_teamviewer.wsgi", "-b", f"127.0.0.1:{port}"]
        command += ["-k", "gthread", "--workers", str(workers), "--threads", str(threads), "--timeout", "120"]
        command += ["--keep-alive", str(keep_alive)]
        return self.start(name, command)

    def wait_healthy(self, port: int, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise SystemExit(f"the server on port {port} did not start; see {self.folder}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
