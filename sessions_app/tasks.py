"""Background work for sessions: sending invitations and re-driving the outbox.

The outbox row, not the broker message, is the record of an invitation: a message lost with a
broker or a worker costs a delay (the re-drive finds the row), never the email.
"""
from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from .services.cleanup import sessions_cleanup
from .services.emails import REDRIVE_BATCH, invitation_send, invitations_redrive
from .services.reconcile import RECONCILE_BATCH, sessions_reconcile_all
from .services.sync import sessions_sync_batch

logger = logging.getLogger(__name__)

# Publishing happens on commit inside a web request: give up on a down broker within a second
# or so (the row stays queued for the re-drive) instead of keeping the agent waiting.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


@shared_task(
    bind=True,
    acks_late=True,
    # The outbox row counts SMTP attempts and stops at INVITATION_MAX_ATTEMPTS; Celery's own
    # count would disagree with it after a re-drive, so it sets no limit of its own.
    max_retries=None,
    # The database out of reach: nothing was claimed or sent; try again shortly.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 10},
)
def send_invitation(self, email_id: int) -> str:
    """Send one outbox row; on an SMTP failure, retry when the row's back-off says it is due."""
    result = invitation_send(email_id=email_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@shared_task(acks_late=True)
def redrive_invitations() -> int:
    return invitations_redrive(limit=REDRIVE_BATCH)


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


def enqueue_invitation(email_id: int) -> bool:
    """Hand an outbox row to a worker; False (and the row stays queued) when the broker is down."""
    try:
        send_invitation.apply_async((email_id,), retry_policy=PUBLISH_RETRY_POLICY)
    except (BrokerError, OSError) as exc:
        logger.warning(
            "Broker unreachable; invitation %s stays queued for the re-drive (%s).", email_id, type(exc).__name__
        )
        return False
    return True
