"""The outbox's NOTIFY channel heard from a test: a LISTEN connection of the test's own on the
test database (``transaction=True`` tests: a notify is delivered only once its transaction commits).

tests/conftest.py makes the ``heard`` fixture available to every test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from csm_teamviewer.outbox import NOTIFY_CHANNEL
from csm_teamviewer.outbox_listener import listener_connection


class Heard:
    """What the channel carried: ``payloads(seconds)`` waits that long, or until ``count`` came."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def payloads(self, seconds: float = 1.0, *, count: int | None = None) -> list[str]:
        return [notify.payload for notify in self.conn.notifies(timeout=seconds, stop_after=count)]

    def pairs(self, seconds: float = 1.0, *, count: int | None = None) -> list[list]:
        return [pair for payload in self.payloads(seconds, count=count) for pair in json.loads(payload)["rows"]]


@pytest.fixture
def heard(requires_postgres, transactional_db) -> Iterator[Heard]:
    with listener_connection() as conn:
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        yield Heard(conn)
