"""Keeping live sessions' state in step with TeamViewer, for the incident page.

TeamViewer does not tell us when the customer opens their link, so the page asks (through
``sessions_sync``) while it shows live sessions. Each session is asked about at most once per
``SESSION_SYNC_SECONDS`` per process however many agents watch it, to stay far below
TeamViewer's rate limits. A failure to ask changes nothing: the page shows what it last knew.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from csm_teamviewer.errors import ServiceError, TeamViewerNotFound
from csm_teamviewer.observability.metrics import sessions_closed
from tokens_app.teamviewer import RemoteSession, teamviewer_for

from ..cache_fallback import cache_or
from ..lifecycle import session_mark_active, session_mark_closed
from ..models import Session
from .journal import journal_closed, journal_customer_waiting
from .pacing import RateLimiter

logger = logging.getLogger(__name__)

# The audit's "via" for state changes the periodic sync (beat) found.
VIA_PERIODIC = "sync"
# The close the sync found (ended at TeamViewer), counted as closed by "sync" whoever asked.
CLOSED_BY_SYNC = "sync"


def sessions_sync(*, sessions: Iterable[Session], via: str = "page") -> list[Session]:
    """Ask TeamViewer about each open or active session (when due); returns those that changed.

    ``via`` is what asked (the incident page, the periodic sync), for the audit. While the cache
    is down nothing is asked: without it the pollers could not share out the questions.
    """
    changed = []
    for session in sessions:
        due = _due(session)
        if due is None:
            break
        if due and _sync(session, via=via):
            changed.append(session)
    return changed


def _due(session: Session) -> bool | None:
    """Whether this caller asks about ``session`` now; None when the cache is down."""
    if not session.is_live or not session.code or session.is_past_lifetime:
        return False
    # cache.add is atomic: of the pollers that meet a due session, one asks TeamViewer.
    key = f"sessions_app:sync:{session.pk}"
    return cache_or(
        lambda: cache.add(key, True, timeout=settings.SESSION_SYNC_SECONDS),
        fallback=None,
        skipped="Session state sync skipped",
    )


def _sync(session: Session, *, via: str) -> bool:
    try:
        remote = teamviewer_for(session.agent).get_session(session.code)
    except TeamViewerNotFound:
        # Like close: a session TeamViewer no longer knows is over.
        return _move(
            session, Session.State.CLOSED, detail="TeamViewer no longer knows this session.", via=via
        )
    except ServiceError as exc:
        logger.info("Could not ask TeamViewer about session %s: %s", session.pk, exc.code)
        return False
    return _move(session, _state_of(remote, session), detail="", via=via)


def _state_of(remote: RemoteSession, session: Session) -> str:
    if remote.is_closed:
        return Session.State.CLOSED
    # "active": TeamViewer reported the customer online (waiting for the agent, or connected); it
    # stays so when they drop off again.
    if remote.online or session.state == Session.State.ACTIVE:
        return Session.State.ACTIVE
    return Session.State.OPEN


def _customer_online(session: Session) -> bool:
    # A session becomes active once: so the customer's first sighting is recorded, and told, once.
    since = timezone.now()
    if not session_mark_active(session, customer_waiting_since=since):
        return False
    journal_customer_waiting(session, since=since)
    return True


def _closed_at_teamviewer(session: Session) -> bool:
    if not session_mark_closed(session):
        return False
    journal_closed(session, by=None)
    return True


_MOVES: dict[str, Callable[[Session], bool]] = {
    Session.State.ACTIVE: _customer_online,
    Session.State.CLOSED: _closed_at_teamviewer,
}


def _move(session: Session, state: str, *, detail: str, via: str) -> bool:
    if state == session.state:
        return False
    previous = session.state
    with transaction.atomic():
        # Conditional: a close that landed meanwhile wins.
        if not _MOVES[state](session):
            return False
        audit_record(
            action=AuditEvent.Action.SYNC,
            actor=None,
            session=session,
            outcome=state,
            detail=detail or f"{previous} -> {state}",
            via=via,
        )
    if state == Session.State.CLOSED:
        sessions_closed.labels(CLOSED_BY_SYNC).inc()
    return True


def sessions_sync_batch(*, limit: int, rate_limit: float | None = None) -> int:
    """The periodic sync: ask about up to ``limit`` open sessions, least recently taken first.

    Paced by ``TEAMVIEWER_RATE_LIMIT``; a session asked about within ``SESSION_SYNC_SECONDS``
    (by the incident page, or another run) is skipped. Returns how many changed state.
    """
    now = timezone.now()
    batch = list(
        Session.objects.due_for_sync(now)
        .select_related("agent")
        .order_by(F("synced_at").asc(nulls_first=True), "created_at")[:limit]
    )
    # Taken now, asked or not: the next run starts with the sessions after these.
    Session.objects.filter(pk__in=[session.pk for session in batch]).update(synced_at=now)
    limiter = RateLimiter(settings.TEAMVIEWER_RATE_LIMIT if rate_limit is None else rate_limit)
    changed = 0
    for session in batch:
        limiter.acquire()
        changed += len(sessions_sync(sessions=[session], via=VIA_PERIODIC))
    return changed
