"""What every outbox shares: handing a row to a worker by task name, the send task's policy,
backing off between tries, and re-driving rows the broker lost.

An outbox row (an invitation, a journal note) is the record of work to do; the broker message
only wakes a worker. A row is handed over by the task's name, so a service never imports the
task module that imports it; a down broker leaves the row for the app's re-drive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery import current_app
from django.db import InterfaceError, OperationalError, transaction
from kombu.exceptions import OperationalError as BrokerError

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


def outbox_hand_over(task_name: str, row_id: object, *, what: str) -> bool:
    """Hand row ``row_id`` to the task ``task_name``; False (the row stays) when the broker is down.

    ``what`` names the row in the log line (``"invitation 12"``).
    """
    return _publish(task_name, row_id, what=what)


def _publish(task_name: str, argument: Any, *, what: str) -> bool:
    try:
        current_app.send_task(task_name, args=(argument,), retry_policy=PUBLISH_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning("Broker unreachable; %s stays queued for the re-drive (%s).", what, type(exc).__name__)
        return False
    return True


@dataclass(frozen=True)
class HandOver:
    """A row to hand to its task: ``what`` names it in a log line (``"invitation 12"``)."""

    task_name: str
    row_id: Any
    what: str


# The project's one task of its own (csm_teamviewer/celery.py): it hands each row of a batch on
# to its task, so a request that writes several rows publishes one message instead of several
# (a publish costs the web worker about half a millisecond of CPU; the worker's is spare).
HAND_ON_TASK = "csm_teamviewer.hand_on"


def outbox_hand_over_on_commit(*hand_overs: HandOver | None) -> None:
    """Once the transaction commits, hand these rows over in one message (see ``HAND_ON_TASK``)."""
    batch = [hand_over for hand_over in hand_overs if hand_over is not None]
    if batch:
        transaction.on_commit(lambda: outbox_hand_over_all(batch))


def outbox_hand_over_all(batch: Sequence[HandOver]) -> bool:
    """Hand the rows over, in one message; False (every row stays) when the broker is down."""
    if len(batch) == 1:
        return outbox_hand_over(batch[0].task_name, batch[0].row_id, what=batch[0].what)
    pairs = [[hand_over.task_name, hand_over.row_id] for hand_over in batch]
    what = ", ".join(hand_over.what for hand_over in batch)
    return _publish(HAND_ON_TASK, pairs, what=what)


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

    Stops at the first refusal: with the broker down the rest would fail the same way, and the
    next run tries again. A row handed over twice is still sent once: the worker's claim decides.
    """
    handed = 0
    for row_id in row_ids:
        if not hand_over(row_id):
            break
        handed += 1
    if row_ids:
        logger.info("Re-drove %s of %s %s.", handed, len(row_ids), what)
    return handed
