"""Reservations: the CREATING row that claims (incident, agent) while TeamViewer makes the session.

The partial unique constraint on Session (states creating/open/active) lets one request insert
the row; the others meet the constraint and wait here for that request's outcome, polling with
a bounded deadline, instead of asking TeamViewer for a second session.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.errors import TeamViewerUnavailable
from tokens_app.teamviewer import RemoteSession

from ..models import AuditEvent, Session
from .audit import audit_record

logger = logging.getLogger(__name__)

# How often a request waiting on another's reservation looks again.
WAIT_POLL_SECONDS = 0.1


def wait_seconds() -> float:
    # Long enough for the other request's TeamViewer call at its full timeout.
    return sum(settings.TEAMVIEWER_TIMEOUT) + 5


def stale_age() -> timedelta:
    # No live create takes longer: two token refreshes and two calls at full timeout, plus margin.
    # A reservation older than this belongs to a process that died mid-create.
    return timedelta(seconds=4 * sum(settings.TEAMVIEWER_TIMEOUT) + 30)


def reservation_claim(*, agent: AbstractBaseUser, fields: dict[str, Any]) -> Session | None:
    """Insert the CREATING row for (incident, agent); None when another request holds the pair."""
    session = Session(agent=agent, state=Session.State.CREATING, **fields)
    try:
        with transaction.atomic():
            session.save(force_insert=True)
    except IntegrityError:
        return None
    return session


def reservation_await(*, agent: AbstractBaseUser, incident_id: str) -> Session | None:
    """The pair's live session once TeamViewer has made it; None when it went away meanwhile
    (its TeamViewer call failed, it had expired, or its process died)."""
    deadline = time.monotonic() + wait_seconds()
    while True:
        session = _live_session(agent=agent, incident_id=incident_id)
        if session is not None and session.state != Session.State.CREATING:
            # A session past valid_until is dead at TeamViewer even before the cleanup sees it.
            return None if _expire_if_past_lifetime(session) else session
        if session is None or _reclaim_if_stale(session):
            return None
        if time.monotonic() > deadline:
            raise TeamViewerUnavailable(
                _("This incident's session is still being created. Try again shortly."), status_code=504
            )
        time.sleep(WAIT_POLL_SECONDS)


def reservation_open(session: Session, *, remote: RemoteSession) -> list[str]:
    """Put TeamViewer's session into the reservation, in memory; the fields to write."""
    session.code = remote.code
    session.end_customer_link = remote.end_customer_link
    session.supporter_link = remote.supporter_link
    session.webclient_supporter_link = remote.webclient_supporter_link
    session.valid_until = remote.valid_until or session.valid_until
    session.state = Session.State.OPEN
    return ["code", "end_customer_link", "supporter_link", "webclient_supporter_link", "valid_until", "state"]


def reservation_fill(*, session: Session, fields: list[str]) -> bool:
    """Write TeamViewer's answer into our reservation; False when the row is no longer ours."""
    values = {name: getattr(session, name) for name in fields}
    updated = Session.objects.filter(pk=session.pk, state=Session.State.CREATING).update(
        **values, updated_at=timezone.now()
    )
    return updated == 1


def reservation_release(*, session: Session) -> None:
    """Drop the reservation: a failed create leaves no local session behind."""
    Session.objects.filter(pk=session.pk, state=Session.State.CREATING).delete()


def _live_session(*, agent: AbstractBaseUser, incident_id: str) -> Session | None:
    return (
        Session.objects.select_related("agent")
        .filter(agent=agent, incident_id=incident_id, state__in=Session.LIVE_STATES)
        .first()
    )


def _reclaim_if_stale(session: Session) -> bool:
    cutoff = timezone.now() - stale_age()
    deleted, _per_model = Session.objects.filter(
        pk=session.pk, state=Session.State.CREATING, created_at__lt=cutoff
    ).delete()
    if deleted:
        logger.warning("Deleted the stale reservation %s for incident %s.", session.pk, session.incident_id)
        # Its process died mid-create: the evidence that lets reconciliation look at TeamViewer.
        audit_record(
            action=AuditEvent.Action.CREATE,
            actor=session.agent,
            incident_id=session.incident_id,
            outcome="stale_reservation",
            detail=f"reservation {session.pk} of a create that never finished",
            via="create",
        )
    return bool(deleted)


def _expire_if_past_lifetime(session: Session) -> bool:
    if not session.is_past_lifetime:
        return False
    now = timezone.now()
    expired = Session.objects.filter(
        pk=session.pk, state__in=[Session.State.OPEN, Session.State.ACTIVE]
    ).update(state=Session.State.EXPIRED, closed_at=now, updated_at=now)
    if expired:
        audit_record(
            action=AuditEvent.Action.EXPIRE,
            actor=None,
            session=session,
            detail="past valid_until",
            via="create",
        )
    return True
