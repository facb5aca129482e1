"""Background work for sessions: invitations, connection reports, the cleanup, the state sync and
reconciliation.

Each task takes ids, calls one service and owns its retry policy; the services never import
this module (the outbox enqueues by task name). The periodic tasks retry by their schedule: a
run that TeamViewer or the database cut short leaves its rows for the next one.

The outbox row, not the broker message, is the record of an invitation: a message lost with a
broker or a worker costs a delay (the re-drive finds the row), never the email.
"""
from __future__ import annotations

from celery import shared_task
from django.conf import settings

from csm_teamviewer.outbox import SEND_TASK_OPTIONS, outbox_task_outcome

from .services.cleanup import sessions_cleanup
from .services.connection_fetch import REDRIVE_BATCH as CONNECTION_REDRIVE_BATCH
from .services.connection_fetch import connection_reports_fetch, connection_reports_redrive
from .services.emails import REDRIVE_BATCH, SEND_INVITATION_TASK, invitation_send, invitations_redrive
from .services.reconcile import RECONCILE_BATCH, sessions_reconcile_all
from .services.sync import sessions_sync_batch
from .task_queue import FETCH_CONNECTIONS_TASK


# The row counts SMTP attempts and stops at INVITATION_MAX_ATTEMPTS (see SEND_TASK_OPTIONS).
@shared_task(name=SEND_INVITATION_TASK, **SEND_TASK_OPTIONS)
def send_invitation(self, email_id: int) -> str:
    """Send one outbox row; on an SMTP failure, retry when the row's back-off says it is due."""
    return outbox_task_outcome(self, invitation_send(email_id=email_id))


@shared_task(acks_late=True)
def redrive_invitations(limit: int = REDRIVE_BATCH) -> int:
    return invitations_redrive(limit=limit)


# The session row counts the fetches and ends them (CONNECTION_REPORT_MAX_ATTEMPTS).
@shared_task(name=FETCH_CONNECTIONS_TASK, **SEND_TASK_OPTIONS)
def fetch_connection_reports(self, session_id: str) -> str:
    """Fetch one session's connection reports; again when the session row says it is due."""
    return outbox_task_outcome(self, connection_reports_fetch(session_id=session_id))


@shared_task(acks_late=True)
def redrive_connection_reports(limit: int = CONNECTION_REDRIVE_BATCH) -> int:
    return connection_reports_redrive(limit=limit)


@shared_task(acks_late=True)
def reconcile_sessions() -> int:
    """Record or close TeamViewer sessions whose create never finished here; how many were settled."""
    result = sessions_reconcile_all(limit=RECONCILE_BATCH)
    return result.recorded + result.closed


@shared_task(acks_late=True)
def teamviewer_cleanup() -> dict:
    """The scheduled cleanup; safe when two runs overlap (see services/cleanup.py)."""
    return sessions_cleanup().as_dict()


@shared_task(acks_late=True)
def sync_session_states() -> int:
    """Ask TeamViewer about a batch of open sessions; how many changed state."""
    return sessions_sync_batch(limit=settings.SESSION_SYNC_BATCH_SIZE)
