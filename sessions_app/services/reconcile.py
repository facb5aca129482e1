"""Reconciliation: no TeamViewer session of ours stays open without a live session here.

A create calls TeamViewer between two local writes: the reservation (the intent, committed
first) and its fill. When the create's outcome at TeamViewer is unknown, its row says so: it is
``uncertain`` (TeamViewer was slow, down or unreadable, or our database failed after it) or it
is still a reservation older than any live create (its process died). Every session we create
carries our marker in ``custom_api`` (our row's id and the incident), so reconciliation lists the
agent's open sessions at TeamViewer and settles each marked one:

- its code belongs to a live session here: nothing to do;
- its row is still a reservation older than any live create: the session is recorded in it;
- otherwise (an uncertain row, no row, a closed row, a live row with another code): it is
  closed at TeamViewer.

Then the scope's unsettled rows are dropped: TeamViewer holds nothing more for them. It runs
where there are such rows: before the next create of the same incident and agent, and from the
periodic task for every agent concerned.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from csm_teamviewer.errors import (
    ServiceError,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRateLimited,
)
from csm_teamviewer.observability.metrics import sessions_created
from tokens_app.teamviewer import RemoteSession, teamviewer_for

from ..lifecycle import session_mark_open
from ..models import Session
from .journal import journal_created

logger = logging.getLogger(__name__)

Action = AuditEvent.Action
VIA = "reconcile"
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


def sessions_reconcile(*, agent: User, incident_id: str | None = None) -> ReconcileResult:
    """Settle the agent's sessions at TeamViewer (those of one incident, when given) with ours.

    Raises the client's errors (login required, rate limited, unavailable): nothing is settled
    then, and the rows stay for the next run.
    """
    listed_at = timezone.now()
    remotes = teamviewer_for(agent).iter_sessions(state="open")
    result = ReconcileResult()
    for remote in remotes:
        marker = session_marker(remote)
        if marker is None or (incident_id is not None and marker.incident_id != incident_id):
            continue
        _settle(remote, marker=marker, agent=agent, result=result)
    result.dropped = _drop_unsettled(agent=agent, incident_id=incident_id, listed_at=listed_at)
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
    remote: RemoteSession, *, marker: Marker, agent: User, result: ReconcileResult
) -> None:
    if Session.objects.live().filter(agent=agent, code=remote.code).exists():
        return
    row = Session.objects.filter(pk=marker.session_id, agent=agent).first()
    if row is not None and row.state == Session.State.CREATING:
        if not row.is_stale_reservation:
            return  # a create still in flight will fill it itself
        if _record(row, remote=remote, agent=agent):
            result.recorded += 1
            return
    if _close(remote, agent=agent, incident_id=marker.incident_id):
        result.closed += 1


def _record(row: Session, *, remote: RemoteSession, agent: User) -> bool:
    with transaction.atomic():
        if not session_mark_open(row, remote=remote):
            return False
        journal_created(row, agent=agent)
    logger.warning("Recorded TeamViewer session %s whose create never finished here.", remote.code)
    audit_record(action=Action.CREATE, actor=agent, session=row, outcome="reconciled", via=VIA)
    sessions_created.labels(VIA).inc()
    return True


def _close(remote: RemoteSession, *, agent: User, incident_id: str) -> bool:
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


def _drop_unsettled(*, agent: User, incident_id: str | None, listed_at: datetime) -> int:
    # TeamViewer listed no open session for them, or the one it had is closed now. A row that
    # became unsettled after the listing waits for the next run: its session may not be listed.
    rows = Session.objects.filter(agent=agent, updated_at__lt=listed_at).unsettled(timezone.now())
    if incident_id is not None:
        rows = rows.filter(incident_id=incident_id)
    deleted, _per_model = rows.delete()
    return deleted


# --- when to run --------------------------------------------------------------------------------


def agents_to_reconcile(*, limit: int = RECONCILE_BATCH) -> list[User]:
    """Agents with an unsettled create: an uncertain one, or a reservation of a process that died."""
    ids = Session.objects.unsettled(timezone.now()).values("agent_id")
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
