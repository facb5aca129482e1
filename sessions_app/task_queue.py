"""Handing a session's connection-report fetch to a worker, by the task's name (through the
outboxes' ``outbox_hand_over``), so that neither the lifecycle nor a service imports tasks.py.

The session row (its fetch is due) is the record of the work, so a message lost with a down
broker costs a delay until beat re-drives it, never the fetch.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction

from csm_teamviewer.outbox import outbox_hand_over

# The task that fetches one session's connection reports (tasks.py registers itself under it).
FETCH_CONNECTIONS_TASK = "sessions_app.tasks.fetch_connection_reports"


def connections_fetch_enqueue(session_id: uuid.UUID | str) -> bool:
    """Hand a session's connection-report fetch to a worker; False when the broker is down
    (the session stays due, and beat's re-drive hands it over later)."""
    return outbox_hand_over(
        FETCH_CONNECTIONS_TASK, str(session_id), what=f"the connection-report fetch of session {session_id}"
    )


def connections_fetch_on_commit(session_ids: Iterable[uuid.UUID]) -> None:
    """Once the transaction that closed or expired these sessions commits, fetch their reports."""
    ids = list(session_ids)

    def publish() -> None:
        for session_id in ids:
            if not connections_fetch_enqueue(session_id):
                return  # the broker is down: the rest would fail alike; the re-drive has them

    transaction.on_commit(publish)
