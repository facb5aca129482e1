"""Fetching a session's connection reports from TeamViewer once it is over, until they are final.

TeamViewer may write a connection's report some time after the connection ended, so a session's
reports are fetched when it is closed or expired and again at growing intervals
(``CONNECTION_REPORT_RETRY_BASE_SECONDS`` doubling), until ``CONNECTION_REPORT_WINDOW_SECONDS``
after the close: that fetch is final, and an empty one means the customer never came. Reports
already found, every one ended, and found again unchanged by the next fetch are final sooner.

The session row is the record of the work: the move that ended it set ``connections_due_at``;
a worker claims the fetch with one conditional UPDATE (the due time becomes its lease's end),
and beat re-drives fetches that are due and unclaimed (a message the broker lost, a worker that
died). TeamViewer down or limiting the rate: tried again later, as often as
``CONNECTION_REPORT_MAX_ATTEMPTS`` allows. The agent's sign-in gone, or TeamViewer refusing the
call: given up, with the reason on the session.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from csm_teamviewer.errors import (
    ServiceError,
    TeamViewerLoginRequired,
    TeamViewerRateLimited,
    TeamViewerRejected,
)
from csm_teamviewer.outbox import SKIPPED, SendResult, outbox_redrive
from tokens_app.teamviewer import ConnectionReport, teamviewer_for

from ..models import Session
from ..task_queue import connections_fetch_enqueue
from .connections import connections_give_up, store_connection_reports

logger = logging.getLogger(__name__)

# Per re-drive run: more than a busy desk closes in a minute, and bounded work.
REDRIVE_BATCH = 500
# The reasons a fetch is given up for (English, for the admin; the page shows its own words).
NO_SIGN_IN = "The agent's TeamViewer sign-in is no longer valid (revoked or expired)."
REFUSED = "TeamViewer refused the connection report: %s"
UNREACHABLE = "TeamViewer could not be asked after %s attempts: %s"


# What one fetch did (a SendResult, as the outboxes' sends): ``stored`` (fetched again in
# ``retry_in`` seconds), ``final``, ``retrying`` (TeamViewer failed; in ``retry_in`` seconds),
# ``given_up``, or ``skipped`` (not due, already final, or another worker holds it).
FetchResult = SendResult


def connection_reports_fetch(*, session_id: uuid.UUID | str) -> FetchResult:
    """Fetch one session's connection reports if they are due and no other worker holds them."""
    claimed = _claim(session_id)
    if claimed is None:
        return SKIPPED
    session, lease = claimed
    attempt = session.connections_attempts + 1
    try:
        reports = teamviewer_for(session.agent).connection_reports(session.code) if session.code else []
    except TeamViewerLoginRequired:
        return _give_up(session, NO_SIGN_IN)
    except TeamViewerRejected as exc:
        return _give_up(session, REFUSED % exc.detail)
    except ServiceError as exc:
        return _failed(session, lease=lease, attempt=attempt, exc=exc)
    return _store(session, reports, lease=lease, attempt=attempt)


def _lease() -> timedelta:
    # Longer than the slowest fetch (a few pages, each at full timeout with the client's
    # retries), so that a lease only runs out when its worker died.
    return timedelta(seconds=4 * sum(settings.TEAMVIEWER_TIMEOUT) + 60)


def _claim(session_id: uuid.UUID | str) -> tuple[Session, datetime] | None:
    now = timezone.now()
    lease = now + _lease()
    if Session.objects.filter(pk=session_id, connections_due_at__lte=now).update(connections_due_at=lease) != 1:
        return None
    return Session.objects.select_related("agent").get(pk=session_id), lease


def connections_backoff(*, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th fetch: base × 2^(attempts-1), at most the window."""
    seconds = settings.CONNECTION_REPORT_RETRY_BASE_SECONDS * 2 ** min(max(attempts, 1) - 1, 30)
    return timedelta(seconds=min(seconds, settings.CONNECTION_REPORT_WINDOW_SECONDS))


def _next_fetch(session: Session, *, now: datetime, attempt: int) -> datetime | None:
    """When to fetch again after a fetch that found nothing final; None when this one is final."""
    window_end = (session.closed_at or session.updated_at) + timedelta(
        seconds=settings.CONNECTION_REPORT_WINDOW_SECONDS
    )
    if now >= window_end or attempt >= settings.CONNECTION_REPORT_MAX_ATTEMPTS:
        return None
    return min(now + connections_backoff(attempts=attempt), window_end)


def _settled(session: Session, reports: list[ConnectionReport]) -> bool:
    """Reports found, every connection ended, and the last fetch stored the same ones ended; or no code
    (TeamViewer never made the session: nobody could connect)."""
    if not session.code:
        return True
    if not reports or any(report.end_date is None for report in reports):
        return False
    known = set(session.connections.filter(end__isnull=False).values_list("report_id", flat=True))
    return {report.id for report in reports} == known


def _store(session: Session, reports: list[ConnectionReport], *, lease: datetime, attempt: int) -> FetchResult:
    now = timezone.now()
    next_fetch = None if _settled(session, reports) else _next_fetch(session, now=now, attempt=attempt)
    with transaction.atomic():
        store_connection_reports(session, reports, final=next_fetch is None)
        if next_fetch is not None:
            _reschedule(session, lease=lease, attempt=attempt, at=next_fetch)
    if next_fetch is None:
        return FetchResult("final")
    return FetchResult("stored", retry_in=(next_fetch - now).total_seconds())


def _failed(session: Session, *, lease: datetime, attempt: int, exc: ServiceError) -> FetchResult:
    logger.info("Connection reports of session %s not fetched (attempt %s): %s", session.pk, attempt, exc.code)
    if attempt >= settings.CONNECTION_REPORT_MAX_ATTEMPTS:
        return _give_up(session, UNREACHABLE % (attempt, exc.code))
    wait = connections_backoff(attempts=attempt)
    if isinstance(exc, TeamViewerRateLimited) and exc.retry_after:
        wait = max(wait, timedelta(seconds=exc.retry_after))
    _reschedule(session, lease=lease, attempt=attempt, at=timezone.now() + wait)
    return FetchResult("retrying", retry_in=wait.total_seconds())


def _reschedule(session: Session, *, lease: datetime, attempt: int, at: datetime) -> None:
    # Conditional on the lease: a worker whose lease ran out leaves the row to the one that took it.
    Session.objects.filter(pk=session.pk, connections_due_at=lease).update(
        connections_due_at=at, connections_attempts=attempt
    )


def _give_up(session: Session, reason: str) -> FetchResult:
    logger.warning("Connection reports of session %s given up: %s", session.pk, reason)
    connections_give_up(session, reason=reason)
    return FetchResult("given_up")


def connection_reports_redrive(*, limit: int = REDRIVE_BATCH) -> int:
    """Hand due, unclaimed report fetches to a worker again; the number handed over (one query)."""
    due = Session.objects.filter(connections_due_at__lte=timezone.now()).order_by("connections_due_at")
    ids = list(due.values_list("pk", flat=True)[:limit])
    return outbox_redrive(ids, hand_over=connections_fetch_enqueue, what="due connection report fetch(es)")
