"""Reconciliation: no TeamViewer session of ours stays open without a live session here.

A create calls TeamViewer between two local writes: the reservation (the intent, committed
first) and its fill. When TeamViewer made the session but the fill never landed (the database
failed, the answer was lost to a timeout, the process died), the session exists only at
TeamViewer. Every session we create carries our marker in ``custom_api`` (our row's id and the
incident), so reconciliation lists the agent's open sessions at TeamViewer and settles each
marked one:

- its code belongs to a live session here: nothing to do;
- its row is still a reservation older than any live create: the session is recorded in it;
- otherwise (no row, a closed row, a live row with another code): it is closed at TeamViewer.

Reservations older than any live create for which TeamViewer has no session are dropped.
It runs where there is evidence of an uncertain create: before the next create of the same
incident and agent, and from the periodic task for every agent concerned.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from csm_teamviewer.errors import (
    ServiceError,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRateLimited,
)
from tokens_app.teamviewer import RemoteSession, teamviewer_for

from ..models import AuditEvent, Session
from .audit import audit_record
from .reservations import reservation_fill, reservation_open, stale_age

logger = logging.getLogger(__name__)

Action = AuditEvent.Action
VIA = "reconcile"
# Create failures after which TeamViewer may hold a session we never recorded: it was slow, down
# or unreadable (the POST may have landed), our database failed after it, or a process died.
UNCERTAIN_OUTCOMES = ("teamviewer_unavailable", "service_unavailable", "stale_reservation")
# Agents per periodic run: each costs one listing at TeamViewer (a page per 50 open sessions).
RECONCILE_BATCH = 50


@dataclass
class ReconcileResult:
    recorded: int = 0
    closed: int = 0
    dropped: int = 0


@dataclass(frozen=True)
class Marker:
    session_id: uuid.UUID
    incident_id: str


def session_marker(remote: RemoteSession) -> Marker | None:
    """Our marker in the session's ``custom_api``; None for a session this server did not make."""
    try:
        data = json.loads(str(remote.raw.get("custom_api") or ""))
        return Marker(session_id=uuid.UUID(str(data["csm_session_id"])), incident_id=str(data["incident_id"]))
    except (ValueError, TypeError, KeyError):
        return None


# --- one agent ----------------------------------------------------------------------------------


def sessions_reconcile(*, agent: AbstractBaseUser, incident_id: str | None = None) -> ReconcileResult:
    """Settle the agent's sessions at TeamViewer (those of one incident, when given) with ours.

    Raises the client's errors (login required, rate limited, unavailable): nothing is settled
    then, and the evidence stays for the next run.
    """
    remotes = teamviewer_for(agent).iter_sessions(state="open")
    result = ReconcileResult()
    seen: set[uuid.UUID] = set()
    for remote in remotes:
        marker = session_marker(remote)
        if marker is None or (incident_id is not None and marker.incident_id != incident_id):
            continue
        seen.add(marker.session_id)
        _settle(remote, marker=marker, agent=agent, result=result)
    result.dropped = _drop_dead_reservations(agent=agent, incident_id=incident_id, keep=seen)
    audit_record(
        action=Action.SYNC,
        actor=agent,
        incident_id=incident_id or "",
        outcome="reconciled",
        detail=f"recorded {result.recorded}, closed {result.closed}, dropped {result.dropped}",
        via=VIA,
    )
    return result


def _settle(
    remote: RemoteSession, *, marker: Marker, agent: AbstractBaseUser, result: ReconcileResult
) -> None:
    if Session.objects.filter(agent=agent, code=remote.code, state__in=Session.LIVE_STATES).exists():
        return
    row = Session.objects.filter(pk=marker.session_id, agent=agent).first()
    if row is not None and row.state == Session.State.CREATING:
        if not _is_dead(row):
            return  # a create still in flight will fill it itself
        if _record(row, remote=remote, agent=agent):
            result.recorded += 1
            return
    if _close(remote, agent=agent, incident_id=marker.incident_id):
        result.closed += 1


def _is_dead(row: Session) -> bool:
    return row.created_at < timezone.now() - stale_age()


def _record(row: Session, *, remote: RemoteSession, agent: AbstractBaseUser) -> bool:
    if not reservation_fill(session=row, fields=reservation_open(row, remote=remote)):
        return False
    logger.warning("Recorded TeamViewer session %s whose create never finished here.", remote.code)
    audit_record(action=Action.CREATE, actor=agent, session=row, outcome="reconciled", via=VIA)
    return True


def _close(remote: RemoteSession, *, agent: AbstractBaseUser, incident_id: str) -> bool:
    try:
        teamviewer_for(agent).close_session(remote.code)
    except TeamViewerNotFound:
        return False
    logger.warning("Closed TeamViewer session %s that had no live session here.", remote.code)
    audit_record(
        action=Action.CLOSE,
        actor=agent,
        incident_id=incident_id,
        outcome="orphan_closed",
        detail=f"TeamViewer session {remote.code} had no live session here",
        via=VIA,
    )
    return True


def _drop_dead_reservations(*, agent: AbstractBaseUser, incident_id: str | None, keep: set[uuid.UUID]) -> int:
    # TeamViewer lists no session for them: their create never reached it, so nothing is lost.
    dead = Session.objects.filter(
        agent=agent, state=Session.State.CREATING, created_at__lt=timezone.now() - stale_age()
    ).exclude(pk__in=keep)
    if incident_id is not None:
        dead = dead.filter(incident_id=incident_id)
    deleted, _per_model = dead.delete()
    return deleted


# --- when to run --------------------------------------------------------------------------------


# Every create asks this, so it is one small statement written out: the ORM's compiling of the
# same subqueries cost ten times the CPU. The audit index on (actor, incident, at) serves it.
_DUE_SQL = """
SELECT
  (SELECT e.action = %(create)s AND e.outcome IN ({uncertain}) FROM {audit} e
    WHERE e.actor_id = %(agent)s AND e.incident_id IN (%(incident)s, '')
      AND ((e.action = %(create)s AND e.incident_id = %(incident)s) OR (e.action = %(sync)s AND e.via = %(via)s))
    ORDER BY e.at DESC, e.id DESC LIMIT 1),
  EXISTS (SELECT 1 FROM {session} s
    WHERE s.agent_id = %(agent)s AND s.incident_id = %(incident)s AND s.state = %(creating)s
      AND s.created_at < %(stale)s)
"""


def reconcile_due(*, agent: AbstractBaseUser, incident_id: str) -> bool:
    """Whether the pair's last create may have left a session at TeamViewer that we never recorded:
    the pair's last create or reconciliation had an uncertain outcome, or its reservation is dead."""
    outcomes = {f"uncertain{number}": outcome for number, outcome in enumerate(UNCERTAIN_OUTCOMES)}
    sql = _DUE_SQL.format(
        audit=AuditEvent._meta.db_table,
        session=Session._meta.db_table,
        uncertain=", ".join(f"%({name})s" for name in outcomes),
    )
    params = {
        **outcomes,
        "create": Action.CREATE,
        "sync": Action.SYNC,
        "via": VIA,
        "agent": agent.pk,
        "incident": incident_id,
        "creating": Session.State.CREATING,
        "stale": connection.ops.adapt_datetimefield_value(timezone.now() - stale_age()),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        uncertain, dead = cursor.fetchone()
    return bool(uncertain) or bool(dead)


def _dead_reservations(*, agent: AbstractBaseUser | None = None):
    rows = Session.objects.filter(state=Session.State.CREATING, created_at__lt=timezone.now() - stale_age())
    return rows.filter(agent=agent) if agent is not None else rows


def agents_to_reconcile(*, limit: int = RECONCILE_BATCH) -> list[AbstractBaseUser]:
    """Agents with an uncertain create since their last full reconciliation, or a dead reservation."""
    since = timezone.now() - timedelta(hours=settings.SESSION_LIFETIME_HOURS)
    last_full = dict(
        AuditEvent.objects.filter(action=Action.SYNC, via=VIA, incident_id="", actor__isnull=False)
        .values_list("actor")
        .annotate(last=Max("at"))
    )
    uncertain = AuditEvent.objects.filter(
        action=Action.CREATE, outcome__in=UNCERTAIN_OUTCOMES, at__gte=since, actor__isnull=False
    ).values_list("actor", "at")
    ids = {actor for actor, at in uncertain if actor not in last_full or at > last_full[actor]}
    ids |= set(_dead_reservations().values_list("agent_id", flat=True))
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk")[:limit])


def sessions_reconcile_all(*, limit: int = RECONCILE_BATCH) -> ReconcileResult:
    """The periodic run: every agent with evidence, each on its own token; a bounded batch."""
    total = ReconcileResult()
    for agent in agents_to_reconcile(limit=limit):
        try:
            result = sessions_reconcile(agent=agent)
        except TeamViewerLoginRequired:
            continue  # only the agent's own sign-in lets us look; the evidence waits for it
        except TeamViewerRateLimited:
            continue  # limits count per token: the other agents may go on
        except ServiceError as exc:
            logger.info("Reconciliation stopped: %s", exc.code)
            break  # TeamViewer down: the next run tries again
        total.recorded += result.recorded
        total.closed += result.closed
        total.dropped += result.dropped
    if total.recorded or total.closed or total.dropped:
        logger.info("Reconciled: %s", total)
    return total
