"""Under CI the suite cannot pass hollow: a missing PostgreSQL, Redis, redis-server or Chromium
fails the run with one clear line, and a test meeting a missing prerequisite fails instead of
skipping. Elsewhere the same absence is a skip, printed with its reason (``-rs``).

Each case runs pytest in a subprocess with the service pointed at a closed port (the machine's own
PostgreSQL and Redis are shared and stay up).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.net import free_port
from tests.workers import database_url

ROOT = Path(settings.BASE_DIR)
A_QUICK_TEST = "tests/test_env_example.py"


def run_pytest(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-c",
            str(ROOT / "pyproject.toml"),
            *args,
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.fixture
def services_up(requires_postgres, redis_url) -> dict[str, str]:
    """The environment of a run that has everything: this run's PostgreSQL (another database on
    it, so the subprocess never touches this run's test database) and Redis."""
    return {"DATABASE_URL": database_url().rsplit("/", 1)[0] + "/csm_ci_check", "TEST_REDIS_URL": redis_url}


def test_under_ci_a_stopped_postgresql_fails_the_run_with_one_clear_line(services_up):
    port = free_port()
    env = {**services_up, "CI": "true", "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/csm"}

    result = run_pytest(A_QUICK_TEST, **env)

    assert result.returncode == 1
    assert f"CI: refusing to run with tests skipped: PostgreSQL does not answer at 127.0.0.1:{port}" in (
        result.stdout + result.stderr
    )
    assert " passed" not in result.stdout


def test_under_ci_sqlite_redis_redis_server_and_chromium_missing_are_each_named(services_up, tmp_path):
    port = free_port()
    env = {
        "CI": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TEST_REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "PATH": str(tmp_path),  # no redis-server here
        "CHROMIUM": str(tmp_path / "no-chromium"),
    }

    result = run_pytest(A_QUICK_TEST, **env)
    output = result.stdout + result.stderr

    assert "the tests run on SQLite" in output
    assert f"Redis does not answer at redis://127.0.0.1:{port}/0 (TEST_REDIS_URL)" in output
    assert "the redis-server program is not on PATH" in output
    assert f"Chromium is not at {tmp_path / 'no-chromium'}" in output


def test_with_everything_there_a_ci_run_starts(services_up):
    result = run_pytest(A_QUICK_TEST, CI="true", **services_up)

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


MISSING_REDIS = """
from tests.workers import redis_url  # noqa: F401


def test_needs_redis(redis_url):
    pass
"""


@pytest.mark.parametrize(("ci", "outcome"), [("", "1 skipped"), ("true", "1 error")])
def test_a_test_meeting_a_missing_prerequisite_skips_with_its_reason_or_fails_under_ci(tmp_path, ci, outcome):
    test_file = tmp_path / "test_needs_redis.py"
    test_file.write_text(MISSING_REDIS)
    # Outside tests/, so the session check of tests/conftest.py does not run: the test meets the absence.
    redis_down = f"redis://127.0.0.1:{free_port()}/0"

    result = run_pytest(str(test_file), CI=ci, TEST_REDIS_URL=redis_down)

    assert outcome in result.stdout, result.stdout[-2000:]
    assert f"needs Redis at {redis_down}" in result.stdout
    assert ("CI: needs Redis" in result.stdout) == bool(ci)
