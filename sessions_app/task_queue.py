"""Handing work to a Celery worker by the task's name, so that no service imports a task module.

The tasks import the services (tasks -> services); the services publish here by name. A row in
the database is always the record of the work (an outbox row, a session's due report fetch), so
a message lost with a down broker costs a delay until beat re-drives it, never the work.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# Publishing happens on commit inside a web request: give up on a down broker within a second
# or so (the row stays due for the re-drive) instead of keeping the agent waiting.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
BROKER_ERRORS = (BrokerError, OSError)
# The task that fetches one session's connection reports (tasks.py registers itself under it).
FETCH_CONNECTIONS_TASK = "sessions_app.tasks.fetch_connection_reports"


def task_publish(name: str, *args: object) -> None:
    """Send the task ``name`` with ``args``; raises one of ``BROKER_ERRORS`` when the broker is down."""
    current_app.send_task(name, args=args, retry_policy=PUBLISH_RETRY_POLICY)


def connections_fetch_enqueue(session_id: uuid.UUID | str) -> bool:
    """Hand a session's connection-report fetch to a worker; False when the broker is down
    (the session stays due, and beat's re-drive hands it over later)."""
    try:
        task_publish(FETCH_CONNECTIONS_TASK, str(session_id))
    except BROKER_ERRORS as exc:
        logger.warning(
            "Broker unreachable; the connection reports of session %s wait for the re-drive (%s).",
            session_id,
            type(exc).__name__,
        )
        return False
    return True


def connections_fetch_on_commit(session_ids: Iterable[uuid.UUID]) -> None:
    """Once the transaction that closed or expired these sessions commits, fetch their reports."""
    ids = list(session_ids)

    def publish() -> None:
        for session_id in ids:
            if not connections_fetch_enqueue(session_id):
                return  # the broker is down: the rest would fail alike; the re-drive has them

    transaction.on_commit(publish)
