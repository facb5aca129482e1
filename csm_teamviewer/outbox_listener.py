"""The worker's half of ``OUTBOX_NOTIFY``: a thread hears the rows the web hands over by NOTIFY
(``outbox.py``) and publishes them to the broker.

One listener listens per database: each worker's thread asks for a session-level advisory lock
every few seconds, and the one holding it LISTENs. When that worker dies, its connection and so
the lock go with it, and another worker's thread takes over. A row notified while nobody listened
is not lost: the listener runs the outbox re-drives as soon as it listens, and beat's re-drives,
which publish directly, stay the safety net.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import psycopg
from celery import bootsteps, current_app
from django.conf import settings
from django.db import connections
from kombu.exceptions import OperationalError as BrokerError

from .observability.request_ids import bind_request_id, request_id_carried, unbind_request_id
from .outbox import NOTIFY_CHANNEL, PUBLISH_RETRY_POLICY, outbox_hand_on

logger = logging.getLogger(__name__)

# The advisory lock whose holder listens: a fixed number of our own ("csm_tv_o" in ASCII).
LISTEN_LOCK_KEY = 0x63736D5F74765F6F
# How often a worker that does not hold the lock asks again (how soon another takes over).
LOCK_RETRY_SECONDS = 5.0
# How long one wait for notifies lasts: the thread notices its worker stopping within this.
POLL_SECONDS = 1.0
# After a lost connection, wait this long before connecting again, doubling up to the cap.
RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 30.0
# Beat's schedule entries named so re-drive an outbox (settings/background.py).
REDRIVE_PREFIX = "redrive-"
# How many rows of each outbox the re-drive at the start hands over: beat's runs take a batch a
# minute, too slow for what a worker restart leaves behind (every row made while none listened).
CATCH_UP_LIMIT = 10_000
# How much of a malformed payload a log line shows.
SHOWN_PAYLOAD = 100


class OutboxListener:
    """The listening thread. ``listening`` is set while it holds the lock and LISTENs."""

    def __init__(self, *, lock_retry_seconds: float = LOCK_RETRY_SECONDS, poll_seconds: float = POLL_SECONDS):
        self.listening = threading.Event()
        self._lock_retry_seconds = lock_retry_seconds
        self._poll_seconds = poll_seconds
        self._reconnect_in = RECONNECT_FIRST_SECONDS
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-listener", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop within about one poll: the connection closes, and with it the lock."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self._poll_seconds + 10)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with listener_connection() as conn:
                    self._serve(conn)
            except Exception as exc:  # noqa: BLE001 - the thread outlives any failure and connects again
                logger.warning(
                    "Outbox listener: %s; connecting again in %.0f s.", _described(exc), self._reconnect_in
                )
                self._stopping.wait(self._reconnect_in)
                self._reconnect_in = min(self._reconnect_in * 2, RECONNECT_MAX_SECONDS)

    def _serve(self, conn: psycopg.Connection) -> None:
        while not _lock_taken(conn):
            if self._stopping.wait(self._lock_retry_seconds):
                return
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        self.listening.set()
        self._reconnect_in = RECONNECT_FIRST_SECONDS
        logger.info("Outbox listener: listening on %s.", NOTIFY_CHANNEL)
        try:
            outbox_redrive_now()
            while not self._stopping.is_set():
                for notify in conn.notifies(timeout=self._poll_seconds):
                    outbox_pass_on(notify.payload)
        finally:
            self.listening.clear()


def listener_connection() -> psycopg.Connection:
    """A connection of the listener's own to the default database, never Django's."""
    params = connections["default"].get_connection_params()
    for django_only in ("cursor_factory", "context"):
        params.pop(django_only, None)
    params.setdefault("application_name", "csm_teamviewer outbox listener")
    params.setdefault("connect_timeout", 10)
    # An idle listener sends nothing: keepalives find a connection the network dropped.
    params.setdefault("keepalives_idle", 30)
    params.setdefault("keepalives_interval", 10)
    params.setdefault("keepalives_count", 3)
    return psycopg.connect(**params, autocommit=True)


def _lock_taken(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", [LISTEN_LOCK_KEY]).fetchone()
    return bool(row and row[0])


def outbox_pass_on(payload: str) -> int:
    """Publish the rows one notify names to their tasks, with the request's id; how many. A broker
    error is logged: the rows stay for the re-drive."""
    request_id, pairs = outbox_notified_rows(payload)
    token = bind_request_id(request_id)
    try:
        outbox_hand_on(pairs)
    except (BrokerError, OSError) as exc:
        logger.warning("Broker unreachable; %s row(s) stay queued for the re-drive (%s).", len(pairs), type(exc).__name__)
        return 0
    finally:
        unbind_request_id(token)
    return len(pairs)


def outbox_notified_rows(payload: str) -> tuple[str, list[list[Any]]]:
    """A payload's request id and ``[task name, row id]`` pairs (``outbox.outbox_notify_payloads``);
    whatever is not a row of a task this worker knows is logged and dropped."""
    decoded = _decoded(payload)
    rows = decoded.get("rows")
    pairs = [pair for pair in rows if _is_pair(pair)] if isinstance(rows, list) else []
    if not isinstance(rows, list) or len(pairs) < len(rows):
        logger.warning("Outbox listener: dropped a malformed notify: %.*r", SHOWN_PAYLOAD, payload)
    return request_id_carried(decoded.get("request_id")), pairs


def _decoded(payload: str) -> dict[str, Any]:
    try:
        decoded = json.loads(payload)
    except ValueError:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _is_pair(pair: Any) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and isinstance(pair[0], str)
        and pair[0] in current_app.tasks
        and isinstance(pair[1], int | str)
        and not isinstance(pair[1], bool)
    )


def outbox_redrive_now() -> None:
    """Queue beat's outbox re-drives at once, for up to ``CATCH_UP_LIMIT`` rows each: they hand over
    the rows notified while nobody listened."""
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if not name.startswith(REDRIVE_PREFIX):
            continue
        try:
            current_app.send_task(entry["task"], kwargs={"limit": CATCH_UP_LIMIT}, retry_policy=PUBLISH_RETRY_POLICY)
        except (BrokerError, OSError) as exc:
            logger.warning("Broker unreachable; beat runs %s later (%s).", name, type(exc).__name__)
            return


def _described(exc: Exception) -> str:
    """One line on a failure, with the database password blanked out."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    password = connections["default"].settings_dict.get("PASSWORD")
    return (text.replace(password, "***") if password else text)[:300]


class OutboxListenerStep(bootsteps.StartStopStep):
    """Runs the listener in the worker's main process while ``OUTBOX_NOTIFY`` is on; after the
    pool, so that no pool process is forked with the listener's connection."""

    requires = ("celery.worker.components:Pool",)

    def include_if(self, parent: Any) -> bool:
        return bool(settings.OUTBOX_NOTIFY)

    def create(self, parent: Any) -> OutboxListener:
        return OutboxListener()
