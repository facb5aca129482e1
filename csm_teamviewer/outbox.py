"""What every outbox shares: handing a row to a worker by task name, the send task's policy,
backing off between tries, and re-driving rows the broker lost.

An outbox row (an invitation, a journal note) is the record of work to do; the broker message
only wakes a worker. A row is handed over by the task's name, so a service never imports the
task module that imports it; a down broker leaves the row for the app's re-drive.

On PostgreSQL (``OUTBOX_NOTIFY``) a hand-over is a ``NOTIFY`` on the request's own database
connection instead, about a tenth of a broker publish's CPU; the worker's listener
(``outbox_listener.py``) passes the rows on to the broker. The re-drives always publish directly,
so the safety net never depends on the listener.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import Error as DatabaseError
from django.db import InterfaceError, OperationalError, connection, transaction
from kombu.exceptions import OperationalError as BrokerError

from .observability.request_ids import NO_ID, current_request_id

logger = logging.getLogger(__name__)

# Publishing happens on commit, often inside a web request: give up on a down broker within a
# second or so (the row stays for the re-drive) instead of keeping the caller waiting.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}

# The Celery options of a task that sends one row (with ``name=``).
SEND_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    # The row counts its own attempts and stops at its app's maximum; Celery's count would
    # disagree with it after a re-drive, so the task sets no limit of its own.
    "max_retries": None,
    # The database out of reach: nothing was recorded (a lease taken lapses); try again shortly.
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_kwargs": {"max_retries": 10},
}


@dataclass(frozen=True)
class SendResult:
    """What one send did: its ``outcome`` and, when the row is to be tried again by the task,
    in how many seconds (``retry_in``)."""

    outcome: str
    retry_in: float | None = None


SKIPPED = SendResult("skipped")


@dataclass(frozen=True)
class HandOver:
    """A row to hand to its task: ``what`` names it in a log line (``"invitation 12"``)."""

    task_name: str
    row_id: Any
    what: str


# The project's one task of its own (csm_teamviewer/celery.py): it hands each row of a batch on
# to its task, so a request that writes several rows publishes one message instead of several
# (a publish costs the web worker about a millisecond of CPU; the worker's is spare).
HAND_ON_TASK = "csm_teamviewer.hand_on"

# The NOTIFY channel the worker's listener hears. NOTIFY stays inside one database, so
# deployments in separate databases never hear each other's rows.
NOTIFY_CHANNEL = "csm_teamviewer_outbox"
# PostgreSQL refuses a payload of 8000 bytes or more: a larger batch goes in several notifies.
NOTIFY_PAYLOAD_LIMIT = 8000

# Set while a re-drive runs: it publishes to the broker itself, never through the listener.
_publishing_directly: ContextVar[bool] = ContextVar("outbox_publishing_directly", default=False)


def outbox_hand_over(task_name: str, row_id: object, *, what: str) -> bool:
    """Hand row ``row_id`` to the task ``task_name``; False (the row stays) when it could not be.

    ``what`` names the row in the log line (``"invitation 12"``).
    """
    return outbox_hand_over_all([HandOver(task_name, row_id, what=what)])


def outbox_hand_over_on_commit(*hand_overs: HandOver | None) -> None:
    """Once the transaction commits, hand these rows over together (one notify, or one broker
    message: see ``HAND_ON_TASK``)."""
    batch = [hand_over for hand_over in hand_overs if hand_over is not None]
    if batch:
        transaction.on_commit(lambda: outbox_hand_over_all(batch))


def outbox_hand_over_all(batch: Sequence[HandOver]) -> bool:
    """Hand the rows over: every hand-over comes here, and here its way is chosen. By NOTIFY
    when ``OUTBOX_NOTIFY`` is on (the broker if that fails), else in one broker message; False
    (every row stays for the re-drive) when neither took them."""
    if outbox_notify_on() and _notified(batch):
        return True
    return _published(batch)


def outbox_notify_on() -> bool:
    """Whether hand-overs go by NOTIFY here. A statement that writes outbox rows may then carry
    the NOTIFY itself (``outbox_notify_sql``): it goes out when that statement's transaction
    commits, as ``on_commit`` would send it, without a round trip of its own."""
    return settings.OUTBOX_NOTIFY and not _publishing_directly.get() and connection.vendor == "postgresql"


def outbox_notify_sql(rows: Sequence[tuple[str, str]]) -> tuple[str, list[Any]]:
    """``pg_notify(...)`` for a SELECT list, and its parameters: the payload of
    ``outbox_notify_payloads`` for ``rows`` (task name, the SQL of the row's id in that statement,
    as ``row1.id``). For the few rows of one request: far under the payload limit."""
    pairs = ", ".join(f"json_build_array(%s::text, {id_sql})" for _task_name, id_sql in rows)
    sql = f"pg_notify(%s, json_build_object('request_id', %s::text, 'rows', json_build_array({pairs}))::text)"
    return sql, [NOTIFY_CHANNEL, current_request_id(), *(task_name for task_name, _id_sql in rows)]


def _notified(batch: Sequence[HandOver]) -> bool:
    pairs = [[hand_over.task_name, hand_over.row_id] for hand_over in batch]
    try:
        with connection.cursor() as cursor:
            for payload in outbox_notify_payloads(pairs, request_id=current_request_id()):
                cursor.execute("SELECT pg_notify(%s, %s)", [NOTIFY_CHANNEL, payload])
    except DatabaseError as exc:
        logger.warning("NOTIFY failed (%s); %s: to the broker instead.", type(exc).__name__, _names(batch))
        return False
    return True


def outbox_notify_payloads(pairs: Sequence[Sequence[Any]], *, request_id: str = NO_ID) -> Iterator[str]:
    """The JSON payloads ``{"request_id": …, "rows": [[task name, row id], …]}`` that carry
    ``pairs``, each under the limit (ASCII JSON: a character is a byte). The request's id goes
    along so that the tasks' log lines carry it, as a broker message's header would."""
    head = f'{{"request_id":{json.dumps(request_id)},"rows":['
    chunk: list[str] = []
    size = len(head) + 1  # a payload's length: the head, "]}", and the commas: len(head) + 1 + Σ(item + 1)
    for pair in pairs:
        item = json.dumps(pair, separators=(",", ":"))
        if chunk and size + len(item) + 1 >= NOTIFY_PAYLOAD_LIMIT:
            yield f"{head}{','.join(chunk)}]}}"
            chunk, size = [], len(head) + 1
        chunk.append(item)
        size += len(item) + 1
    if chunk:
        yield f"{head}{','.join(chunk)}]}}"


def _published(batch: Sequence[HandOver]) -> bool:
    if len(batch) == 1:
        task_name, argument = batch[0].task_name, batch[0].row_id
    else:
        task_name, argument = HAND_ON_TASK, [[hand_over.task_name, hand_over.row_id] for hand_over in batch]
    try:
        current_app.send_task(task_name, args=(argument,), retry_policy=PUBLISH_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning("Broker unreachable; %s stays queued for the re-drive (%s).", _names(batch), type(exc).__name__)
        return False
    return True


def _names(batch: Sequence[HandOver]) -> str:
    return ", ".join(hand_over.what for hand_over in batch)


def outbox_hand_on(pairs: Sequence[Sequence[Any]]) -> None:
    """In the worker: hand each (task name, row id) of a batch on to its task. A broker error
    propagates (the hand-on task retries it; a row handed on twice is still sent once)."""
    for task_name, row_id in pairs:
        current_app.send_task(task_name, args=(row_id,), retry_policy=PUBLISH_RETRY_POLICY)


def outbox_task_outcome(task: Any, result: SendResult) -> str:
    """The send task's end: its outcome, or a retry when the row's back-off says it is due."""
    if result.retry_in is not None:
        raise task.retry(countdown=result.retry_in)
    return result.outcome


def outbox_backoff(*, attempts: int, base: float, cap: float) -> timedelta:
    """The wait after the ``attempts``-th failure: ``base`` × 2^(attempts-1), at most ``cap`` seconds."""
    exponent = min(max(attempts, 1) - 1, 30)
    return timedelta(seconds=min(base * 2**exponent, cap))


def outbox_redrive(row_ids: Sequence[object], *, hand_over: Callable[[Any], bool], what: str) -> int:
    """Hand each due row to a worker again (``hand_over``); how many were handed over.

    Publishes to the broker itself, never by NOTIFY: the safety net must not depend on the
    listener. Stops at the first refusal: with the broker down the rest would fail the same way,
    and the next run tries again. A row handed over twice is still sent once: the worker's claim
    decides.
    """
    handed = 0
    directly = _publishing_directly.set(True)
    try:
        for row_id in row_ids:
            if not hand_over(row_id):
                break
            handed += 1
    finally:
        _publishing_directly.reset(directly)
    if row_ids:
        logger.info("Re-drove %s of %s %s.", handed, len(row_ids), what)
    return handed
