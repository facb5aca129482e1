"""The README's run command works on embedded defaults: SQLite, filesystem broker, sandbox."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.net import free_port

ROOT = Path(__file__).resolve().parent.parent


def _bare_environment(var_dir: Path) -> dict[str, str]:
    """This process's environment without any of the server's configuration variables."""
    ours = ("DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "DEBUG")
    env = {k: v for k, v in os.environ.items() if k not in ours and not k.startswith(("TEAMVIEWER_", "DJANGO_"))}
    env["VAR_DIR"] = str(var_dir)
    return env


def _get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_server_starts_on_embedded_defaults_and_reports_healthy(tmp_path):
    env = _bare_environment(tmp_path)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=180)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline, status, body = time.monotonic() + 60, None, {}
        while time.monotonic() < deadline:
            try:
                status, body = _get_json(f"http://127.0.0.1:{port}/healthz/")
                break
            except OSError:
                time.sleep(0.3)
        assert (status, body) == (200, {"database": "ok", "broker": "ok"})
        assert (tmp_path / "db.sqlite3").exists()
        assert (tmp_path / "celery" / "queue").is_dir()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:  # noqa: S310
            assert "Sandbox mode" in response.read().decode()
    finally:
        server.terminate()
        server.wait(timeout=20)
