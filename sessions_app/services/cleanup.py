"""The scheduled cleanup (the mApp's "Automated TeamViewer cleanup"), one run at a time.

``sessions_cleanup`` is what beat runs every ``CLEANUP_INTERVAL_SECONDS`` and what
``manage.py teamviewer_cleanup`` runs by hand:

1. Sessions still open or active past ``valid_until`` are closed at TeamViewer and marked
   ``expired`` (``expiry.py``: paced, on threads, safe when two runs overlap).
2. Closed and expired sessions older than ``SESSION_RETENTION_DAYS`` are deleted (their outbox
   rows with them; audit events stay, unlinked), and uncertain creates as old as that.
3. Used or expired login flows, tokens that can no longer be refreshed and spent or expired
   launch links are purged, and invitations stuck in the outbox are re-driven.
4. Tokens still held for deactivated agents (a revoke that failed, a bulk deactivation) are
   revoked at TeamViewer and forgotten.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from csm_teamviewer.observability.metrics import cleanup_duration, cleanup_runs
from tokens_app.services import login_flows_purge, tokens_purge_dead, tokens_revoke_inactive

from ..models import Session
from .emails import REDRIVE_BATCH, invitations_redrive
from .expiry import ExpiryResult, sessions_expire
from .launch import launch_links_purge

logger = logging.getLogger(__name__)

# Rows deleted per query.
DELETE_CHUNK = 500


@dataclass(frozen=True)
class CleanupResult(ExpiryResult):
    deleted: int = 0  # finished sessions past SESSION_RETENTION_DAYS
    login_flows: int = 0
    tokens: int = 0
    revoked_tokens: int = 0  # deactivated agents' tokens revoked at TeamViewer and forgotten
    launch_links: int = 0
    invitations: int = 0  # outbox rows handed to a worker again

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)


def sessions_cleanup(
    *, limit: int | None = None, concurrency: int | None = None, rate_limit: float | None = None
) -> CleanupResult:
    """One cleanup run; ``limit`` bounds both sessions expired and sessions deleted."""
    with cleanup_duration.time():
        try:
            result = _cleanup(limit=limit, concurrency=concurrency, rate_limit=rate_limit)
        except Exception:
            cleanup_runs.labels("error").inc()
            raise
    cleanup_runs.labels("rate_limited" if result.rate_limited else "ok").inc()
    return result


def _cleanup(*, limit: int | None, concurrency: int | None, rate_limit: float | None) -> CleanupResult:
    limit = settings.CLEANUP_BATCH_SIZE if limit is None else limit
    now = timezone.now()
    expiry = sessions_expire(limit=limit, concurrency=concurrency, rate_limit=rate_limit)
    result = CleanupResult(
        **asdict(expiry),
        deleted=sessions_delete_old(limit=limit, now=now),
        login_flows=login_flows_purge(now=now),
        # Before the purge: a deactivated agent's token is revoked while it still can be.
        revoked_tokens=tokens_revoke_inactive(),
        tokens=tokens_purge_dead(now=now),
        launch_links=launch_links_purge(now=now),
        invitations=invitations_redrive(limit=REDRIVE_BATCH),
    )
    logger.info("TeamViewer cleanup: %s", " ".join(f"{k}={v}" for k, v in result.as_dict().items()))
    return result


# --- deleting old sessions --------------------------------------------------------------------


def sessions_delete_old(*, limit: int, now: datetime | None = None) -> int:
    """Delete up to ``limit`` closed or expired sessions (and uncertain creates) older than
    SESSION_RETENTION_DAYS."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SESSION_RETENTION_DAYS)
    old = Session.objects.finished_before(cutoff)
    deleted = 0
    while deleted < limit:
        ids = list(old.order_by().values_list("pk", flat=True)[: min(DELETE_CHUNK, limit - deleted)])
        if not ids:
            break
        # Filtered again at delete time: a row changed meanwhile is judged as it is now.
        _total, per_model = old.filter(pk__in=ids).delete()
        removed = per_model.get(Session._meta.label, 0)
        if not removed:
            break
        deleted += removed
    return deleted
