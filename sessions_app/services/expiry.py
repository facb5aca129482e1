"""Expiring: the cleanup's first step, closing at TeamViewer the sessions past their lifetime.

Sessions still open or active past ``valid_until`` are closed at TeamViewer with their agent's
token and marked ``expired``. One whose agent has no usable token, or that TeamViewer no longer
knows, is expired here all the same, and the audit says so. Closes run on
``CLEANUP_CONCURRENCY`` threads paced by one limiter (``TEAMVIEWER_RATE_LIMIT``); a rate limit
from TeamViewer pauses every thread for its ``Retry-After``, or ends the run when that is longer
than ``CLEANUP_MAX_WAIT_SECONDS``. What a run does not finish stays open for the next.

Two runs at once (two beats by mistake) are safe: a run claims the sessions it will close with
one conditional UPDATE (its own claim id, and a lease that lapses only if the run died), so no
session is closed twice. The threads only speak HTTP; the database is used from the calling
thread, a chunk of rows per query.
"""

from __future__ import annotations

import logging
import math
import uuid
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.errors import (
    ServiceError,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRateLimited,
    TeamViewerRejected,
)
from csm_teamviewer.observability.metrics import sessions_expired
from tokens_app.teamviewer import AuthorizedApi, teamviewer_for

from ..lifecycle import State
from ..models import Session
from .journal import journal_expired
from .pacing import RateLimiter

logger = logging.getLogger(__name__)

# Rows claimed and marked per query: few queries, and a chunk's closes fill the threads.
CHUNK = 100
# Rate-limit answers one session may meet in a run before it is left to the next run.
MAX_RATE_LIMITED_TRIES = 3

# What became of one session (the audit's outcome for those expired).
CLOSED = "ok"
NOT_FOUND = "teamviewer_not_found"
REJECTED = "teamviewer_rejected"
NO_TOKEN = "teamviewer_login_required"  # noqa: S105 - an outcome code, not a secret
NO_CODE = "no_code"
LEFT = "left"  # not done: the next run tries again
REFUSED = "refused"  # TeamViewer refused the token: refresh, then try once more

DETAILS = {
    CLOSED: "Closed at TeamViewer past its lifetime.",
    NOT_FOUND: "TeamViewer no longer knew this session; expired here.",
    REJECTED: "TeamViewer refused to close it; expired here (TeamViewer ends the code at its valid_until).",
    NO_TOKEN: "The agent has no usable TeamViewer token: expired here only "
    "(TeamViewer ends the code at its valid_until).",
    NO_CODE: "The session had no TeamViewer code; expired here.",
}

@dataclass(frozen=True)
class ExpiryResult:
    expired: int = 0  # marked expired, whichever way
    without_token: int = 0  # of those: the agent had no usable token, expired here only
    not_found: int = 0  # of those: TeamViewer no longer knew the session
    left: int = 0  # past their lifetime but not closed this run (rate limit, TeamViewer down)
    rate_limited: bool = False  # TeamViewer asked to slow down during the run


def sessions_expire(
    *, limit: int, concurrency: int | None = None, rate_limit: float | None = None
) -> ExpiryResult:
    """Close at TeamViewer and mark expired up to ``limit`` sessions past their lifetime."""
    run = uuid.uuid4()
    limiter = RateLimiter(
        settings.TEAMVIEWER_RATE_LIMIT if rate_limit is None else rate_limit,
        max_wait=settings.CLEANUP_MAX_WAIT_SECONDS,
    )
    tally = {"claimed": 0, "expired": 0, NO_TOKEN: 0, NOT_FOUND: 0, LEFT: 0}
    workers = max(1, concurrency or settings.CLEANUP_CONCURRENCY)
    lease = _lease(workers=workers, rate=rate_limit)
    in_flight: _Closing | None = None
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teamviewer-cleanup") as pool:
            while True:
                batch = []
                if tally["claimed"] < limit and not limiter.stopped:
                    batch = _claim(run, size=min(CHUNK, limit - tally["claimed"]), lease=lease)
                    tally["claimed"] += len(batch)
                # The next chunk's closes start before this one's are recorded: the threads never idle.
                started = _start_closes(batch, pool=pool, limiter=limiter) if batch else None
                if in_flight is not None:
                    _record(run, _finish_closes(in_flight, limiter=limiter), tally)
                if started is None:
                    break
                in_flight = started
    finally:
        _release(run)
    return ExpiryResult(
        expired=tally["expired"],
        without_token=tally[NO_TOKEN],
        not_found=tally[NOT_FOUND],
        left=tally[LEFT],
        rate_limited=limiter.was_limited,
    )


def _lease(*, workers: int, rate: float | None) -> timedelta:
    """Longer than two chunks (one closing, the next starting) can take at their slowest.

    That is every close timing out (with the client's retries) on each thread in turn, at the
    rate limit, with a wait on a rate limit: so a claim lapses only when its run died.
    """
    per_call = sum(settings.TEAMVIEWER_TIMEOUT) * 3
    rate = settings.TEAMVIEWER_RATE_LIMIT if rate is None else rate
    paced = 2 * CHUNK / rate if rate else 0
    waits = settings.CLEANUP_MAX_WAIT_SECONDS * MAX_RATE_LIMITED_TRIES
    return timedelta(seconds=math.ceil(2 * CHUNK / workers) * per_call + paced + waits)


def _claim(run: uuid.UUID, *, size: int, lease: timedelta) -> list[Session]:
    """Take up to ``size`` sessions for this run alone: rows another run holds are not taken."""
    now = timezone.now()
    candidates = Session.objects.due_for_cleanup(now).order_by("valid_until")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # Two runs at once take different rows instead of queuing behind each other.
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:size])
        # Conditional: a row another run claimed since (without row locks, on SQLite) stays its.
        Session.objects.filter(pk__in=ids).due_for_cleanup(now).update(
            cleanup_claim=run, cleanup_lease_until=now + lease
        )
    return list(
        Session.objects.filter(pk__in=ids, cleanup_claim=run).select_related("agent").order_by("valid_until")
    )


def _release(run: uuid.UUID) -> None:
    """Hand back what this run claimed and did not finish: the next run takes it."""
    Session.objects.filter(cleanup_claim=run).update(cleanup_claim=None, cleanup_lease_until=None)


# --- closing at TeamViewer --------------------------------------------------------------------


@dataclass
class _Closing:
    """A chunk whose closes are under way: an outcome, or the pool's future of one, per session."""

    pending: dict[Session, str | Future]
    tokens: dict[int, AuthorizedApi | str]


def _start_closes(batch: list[Session], *, pool: Executor, limiter: RateLimiter) -> _Closing:
    tokens = _tokens_for({session.agent_id: session.agent for session in batch}, limiter=limiter)
    pending: dict[Session, str | Future] = {}
    for session in batch:
        token = tokens[session.agent_id]
        if not session.code:
            pending[session] = NO_CODE
        elif isinstance(token, str):
            pending[session] = token
        else:
            pending[session] = pool.submit(_close_remote, code=session.code, api=token, limiter=limiter)
    return _Closing(pending=pending, tokens=tokens)


def _finish_closes(closing: _Closing, *, limiter: RateLimiter) -> dict[Session, str]:
    outcomes = {
        session: outcome.result() if isinstance(outcome, Future) else outcome
        for session, outcome in closing.pending.items()
    }
    for session in [session for session, outcome in outcomes.items() if outcome == REFUSED]:
        stale = cast(AuthorizedApi, closing.tokens[session.agent_id])  # refused: it had a token
        outcomes[session] = _close_with_fresh_token(session, stale=stale, limiter=limiter)
    return outcomes


def _tokens_for(
    agents: dict[int, User], *, limiter: RateLimiter
) -> dict[int, AuthorizedApi | str]:
    """Each agent's API with its access token (refreshed if due), or NO_TOKEN / LEFT."""
    tokens: dict[int, AuthorizedApi | str] = {}
    for agent_id, agent in agents.items():
        try:
            tokens[agent_id] = teamviewer_for(agent).authorized()
        except TeamViewerLoginRequired:
            tokens[agent_id] = NO_TOKEN
        except ServiceError as exc:
            logger.warning("Cleanup: no token for agent %s this run (%s).", agent_id, exc.code)
            if isinstance(exc, TeamViewerRateLimited):
                limiter.back_off(exc.retry_after)
            tokens[agent_id] = LEFT
    return tokens


def _close_remote(*, code: str, api: AuthorizedApi, limiter: RateLimiter) -> str:
    """Close one code at TeamViewer (on a pool thread: HTTP only, no database)."""
    for _attempt in range(MAX_RATE_LIMITED_TRIES):
        if not limiter.acquire():
            return LEFT
        try:
            api.close_session(code)
        except TeamViewerRateLimited as exc:
            limiter.back_off(exc.retry_after)
            continue
        except TeamViewerNotFound:
            return NOT_FOUND
        except TeamViewerRejected:
            return REJECTED
        except TeamViewerLoginRequired:
            return REFUSED
        except ServiceError as exc:
            logger.info("Cleanup: could not close %s at TeamViewer this run (%s).", code, exc.code)
            return LEFT
        return CLOSED
    return LEFT


def _close_with_fresh_token(session: Session, *, stale: AuthorizedApi, limiter: RateLimiter) -> str:
    """TeamViewer refused the token: refresh it (once per agent) and try again, or give up on it."""
    teamviewer = teamviewer_for(session.agent)
    try:
        fresh = teamviewer.reauthorized(stale)
    except TeamViewerLoginRequired:
        return NO_TOKEN
    except ServiceError:
        return LEFT
    outcome = _close_remote(code=session.code, api=fresh, limiter=limiter)
    if outcome != REFUSED:
        return outcome
    teamviewer.forget_refused()
    return NO_TOKEN


def _record(run: uuid.UUID, outcomes: dict[Session, str], tally: dict[str, int]) -> None:
    """Mark the finished ones expired and audit each, in one transaction for the chunk."""
    done = {session.pk: (session, outcome) for session, outcome in outcomes.items() if outcome != LEFT}
    tally[LEFT] += len(outcomes) - len(done)
    now = timezone.now()
    with transaction.atomic():
        # Still ours and still live: a close by its agent meanwhile wins, and is not audited here.
        mine = Session.objects.filter(pk__in=done, cleanup_claim=run).live()
        marked = set(mine.select_for_update().values_list("pk", flat=True))
        Session.objects.filter(pk__in=marked).move(
            State.EXPIRED, closed_at=now, updated_at=now, cleanup_claim=None, cleanup_lease_until=None
        )
        AuditEvent.objects.bulk_create([_audit(*done[pk], at=now) for pk in marked])
        journal_expired(done[pk][0] for pk in marked)
    sessions_expired.labels("cleanup").inc(len(marked))
    for _session, outcome in (done[pk] for pk in marked):
        tally["expired"] += 1
        if outcome in (NO_TOKEN, NOT_FOUND):
            tally[outcome] += 1


def _audit(session: Session, outcome: str, *, at: datetime) -> AuditEvent:
    return AuditEvent(
        at=at,
        action=AuditEvent.Action.EXPIRE,
        incident_id=session.incident_id,
        session_id=session.pk,
        session_code=session.code,
        outcome=outcome,
        detail=DETAILS[outcome],
        via="cleanup",
    )
