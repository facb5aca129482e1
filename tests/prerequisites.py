"""What the suite needs from the machine, and what happens when it is missing.

On a developer's machine a missing PostgreSQL, Redis, ``redis-server`` or Chromium skips the tests
that need it, each with its reason (``-rs`` prints them). With ``CI`` set the same absence fails:
a CI run must not pass green while skipping the tests behind the strongest claims. The run stops
at once with one clear line (``ci_prerequisites_missing``), and a test that still meets a missing
prerequisite fails with the reason (``missing``).

The skips that remain under CI, each printed with its reason and agreed in the README: Docker
(no engine on the machine) and pip-audit's vulnerability source (not reachable from a closed
network).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import psycopg
import pytest
import redis
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def missing(reason: str) -> NoReturn:
    """Skip for ``reason``, or fail under CI."""
    if on_ci():
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_found() -> bool:
    return bool(shutil.which(CHROMIUM)) or Path(CHROMIUM).exists()


def ci_prerequisites_missing() -> list[str]:
    """What a CI run lacks, one line each (empty: all there)."""
    problems = []
    if connection.vendor != "postgresql":
        problems.append("the tests run on SQLite: set DATABASE_URL=postgres://… (PostgreSQL must be running)")
    elif not _postgres_answers():
        problems.append(f"PostgreSQL does not answer at {_postgres_address()} (DATABASE_URL)")
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        problems.append("TEST_REDIS_URL is not set (Redis must be running)")
    elif not _redis_answers(redis_url):
        problems.append(f"Redis does not answer at {redis_url} (TEST_REDIS_URL)")
    if not shutil.which("redis-server"):
        problems.append("the redis-server program is not on PATH (Debian's redis-server)")
    if not chromium_found():
        problems.append(f"Chromium is not at {CHROMIUM} (Debian's chromium, or set CHROMIUM)")
    return problems


def _postgres_address() -> str:
    db = connection.settings_dict
    return f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"


def _postgres_answers() -> bool:
    db = connection.settings_dict
    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error:
        return False
    return True


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False
