"""The worker's outbox listener, run in a thread of the test: it publishes what it hears, drops
what is not a row of a known task, re-drives when it starts listening, holds the one lock (another
takes over when it stops), and outlives a lost connection. A real worker: test_worker_outbox_notify.py."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections

import journal_app.tasks
import sessions_app.tasks
from csm_teamviewer import outbox, outbox_listener
from csm_teamviewer.observability.request_ids import current_request_id
from csm_teamviewer.outbox import NOTIFY_CHANNEL
from csm_teamviewer.outbox_listener import (
    CATCH_UP_LIMIT,
    LISTEN_LOCK_KEY,
    OutboxListener,
    OutboxListenerStep,
    listener_connection,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("requires_postgres")]

# The tasks a worker knows, imported as the worker does at its start (the listener checks the names).
SEND = sessions_app.tasks.send_invitation.name
NOTE = journal_app.tasks.send_journal_note.name
REDRIVES = {
    "sessions_app.tasks.redrive_invitations",
    "journal_app.tasks.redrive_journal_notes",
    "sessions_app.tasks.redrive_connection_reports",
}
WAIT_SECONDS = 10


def wait_until(check: Callable[[], Any], *, what: str, seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    pytest.fail(f"Gave up waiting for {what}.")


@pytest.fixture
def published(monkeypatch) -> list[tuple[str, tuple]]:
    """What the listener publishes (the test's in-memory broker otherwise)."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(outbox.current_app, "send_task", lambda name, args=(), **options: sent.append((name, args)))
    return sent


@pytest.fixture
def listeners() -> Iterator[Callable[[], OutboxListener]]:
    """``listeners()`` starts one more listener, quick to retry; every one stops at the end."""
    started: list[OutboxListener] = []

    def start() -> OutboxListener:
        listener = OutboxListener(lock_retry_seconds=0.1, poll_seconds=0.1)
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()


@pytest.fixture
def notify() -> Iterator[Callable[[str], None]]:
    """``notify(payload)`` on the channel, as a committed request does."""
    with listener_connection() as conn:
        yield lambda payload: conn.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, payload])


def rows(*pairs: list, request_id: str = "-") -> str:
    """A payload as ``outbox.outbox_notify_payloads`` writes it."""
    return json.dumps({"request_id": request_id, "rows": list(pairs)})


def _rows(published: list[tuple[str, tuple]]) -> list[tuple[str, tuple]]:
    return [(name, args) for name, args in published if name not in REDRIVES]


def test_a_notified_batch_is_published_to_its_tasks(listeners, published, notify):
    wait_until(listeners().listening.is_set, what="the listener to listen")
    notify(rows([SEND, 7], [NOTE, 8]))

    wait_until(lambda: _rows(published), what="the rows published")
    assert _rows(published) == [(SEND, (7,)), (NOTE, (8,))]


def test_starting_to_listen_queues_the_outbox_redrives_for_the_whole_backlog(listeners, monkeypatch):
    queued: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        outbox.current_app, "send_task", lambda name, args=(), kwargs=None, **options: queued.append((name, kwargs))
    )
    wait_until(listeners().listening.is_set, what="the listener to listen")
    wait_until(lambda: len(queued) >= len(REDRIVES), what="the re-drives queued")
    assert {name for name, _kwargs in queued} == REDRIVES
    # Far more than beat's batch: a restart's backlog goes out now, not a batch a minute.
    assert {kwargs["limit"] for _name, kwargs in queued} == {CATCH_UP_LIMIT}


@pytest.mark.parametrize(
    "garbage",
    [
        "not json", "", "[[", f'[["{SEND}", 1]]', '{"rows": 1}', '{"rows": [[1, 2]]}', rows(["no.such.task", 1]),
        rows([SEND]), rows([SEND, [1]]), rows([SEND, True]), rows([SEND, 1, 2]),
    ],
)  # fmt: skip
def test_a_malformed_notify_is_logged_and_dropped_and_the_listener_goes_on(listeners, published, notify, caplog, garbage):
    wait_until(listeners().listening.is_set, what="the listener to listen")
    with caplog.at_level(logging.WARNING, logger="csm_teamviewer.outbox_listener"):
        notify(garbage)
        notify(rows([SEND, 9]))
        wait_until(lambda: _rows(published), what="the good row published")
    assert _rows(published) == [(SEND, (9,))]
    assert "dropped a malformed notify" in caplog.text


def test_the_rows_are_published_with_the_request_id_they_carry(listeners, monkeypatch, notify):
    ids: list[tuple[str, str]] = []
    monkeypatch.setattr(
        outbox.current_app, "send_task", lambda name, args=(), **options: ids.append((name, current_request_id()))
    )
    wait_until(listeners().listening.is_set, what="the listener to listen")
    notify(rows([SEND, 7], request_id="req-42"))
    notify(rows([SEND, 8], request_id="not sane\n"))
    wait_until(lambda: [name for name, _ in ids if name == SEND] == [SEND, SEND], what="both rows published")
    assert [request_id for name, request_id in ids if name == SEND] == ["req-42", "-"]


def test_a_known_row_beside_an_unknown_task_is_still_published(listeners, published, notify):
    wait_until(listeners().listening.is_set, what="the listener to listen")
    notify(rows(["no.such.task", 1], [SEND, 2]))
    wait_until(lambda: _rows(published), what="the known row published")
    assert _rows(published) == [(SEND, (2,))]


def test_a_broker_error_is_logged_and_the_listener_goes_on(listeners, monkeypatch, notify, caplog):
    refused: list[str] = []

    def broker_down(name, args=(), **options):
        refused.append(name)
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(outbox.current_app, "send_task", broker_down)
    listener = listeners()
    wait_until(listener.listening.is_set, what="the listener to listen")
    with caplog.at_level(logging.WARNING, logger="csm_teamviewer.outbox_listener"):
        notify(rows([SEND, 7]))
        notify(rows([SEND, 8]))
        wait_until(lambda: refused.count(SEND) == 2, what="both rows tried")
    assert "stay queued for the re-drive" in caplog.text and listener.listening.is_set()


def test_only_one_listener_holds_the_lock_and_another_takes_over_when_it_stops(listeners, published, notify):
    first = listeners()
    wait_until(first.listening.is_set, what="the first listener to listen")
    second = listeners()
    time.sleep(0.5)  # several of its lock retries
    assert not second.listening.is_set()

    first.stop()
    wait_until(second.listening.is_set, what="the second listener to take over")
    notify(rows([SEND, 7]))
    wait_until(lambda: _rows(published), what="the row published by the second")
    assert _rows(published) == [(SEND, (7,))]


# A bigint advisory lock shows in pg_locks as its high and low 32 bits.
_TERMINATE_THE_LOCK_HOLDER = """
    SELECT pg_terminate_backend(pid) FROM pg_locks
    WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


def test_a_lost_connection_is_opened_again_and_listening_goes_on(listeners, published, notify, caplog):
    listener = listeners()
    wait_until(listener.listening.is_set, what="the listener to listen")
    with caplog.at_level(logging.WARNING, logger="csm_teamviewer.outbox_listener"), listener_connection() as admin:
        admin.execute(_TERMINATE_THE_LOCK_HOLDER, [LISTEN_LOCK_KEY >> 32, LISTEN_LOCK_KEY & 0xFFFFFFFF])
        wait_until(lambda: "connecting again" in caplog.text, what="the lost connection noticed")
    assert not listener.listening.is_set()
    wait_until(listener.listening.is_set, what="listening again")
    notify(rows([SEND, 7]))
    wait_until(lambda: _rows(published), what="the row published after the reconnect")
    assert _rows(published) == [(SEND, (7,))]


def test_a_failure_is_logged_without_the_database_password(monkeypatch):
    monkeypatch.setitem(connections["default"].settings_dict, "PASSWORD", "s3cret-pw")
    failure = psycopg.OperationalError('connection failed: password "s3cret-pw" refused')
    assert outbox_listener._described(failure) == 'OperationalError: connection failed: password "***" refused'


@pytest.mark.parametrize("on", [True, False])
def test_the_worker_runs_the_listener_only_with_notify_on(settings, on):
    settings.OUTBOX_NOTIFY = on
    assert OutboxListenerStep.include_if(OutboxListenerStep.__new__(OutboxListenerStep), parent=None) is on
