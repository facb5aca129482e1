"""What every outbox shares: handing a row to a worker by task name, and backing off between tries.

An outbox row (an invitation, a journal note) is the record of work to do; the broker message
only wakes a worker. A row is handed over by the task's name, so a service never imports the
task module that imports it; a down broker leaves the row for the app's re-drive.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# Publishing happens on commit, often inside a web request: give up on a down broker within a
# second or so (the row stays for the re-drive) instead of keeping the caller waiting.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def outbox_hand_over(task_name: str, row_id: object, *, what: str) -> bool:
    """Hand row ``row_id`` to the task ``task_name``; False (the row stays) when the broker is down.

    ``what`` names the row in the log line (``"invitation 12"``).
    """
    try:
        current_app.send_task(task_name, args=(row_id,), retry_policy=PUBLISH_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning("Broker unreachable; %s stays queued for the re-drive (%s).", what, type(exc).__name__)
        return False
    return True


def outbox_backoff(*, attempts: int, base: float, cap: float) -> timedelta:
    """The wait after the ``attempts``-th failure: ``base`` × 2^(attempts-1), at most ``cap`` seconds."""
    exponent = min(max(attempts, 1) - 1, 30)
    return timedelta(seconds=min(base * 2**exponent, cap))
