"""Creating the incident's session, top to bottom: from the agent's request to TeamViewer and back.

One live session per (incident, agent) is the database's job: ``session_create`` first reserves
the pair with a ``creating`` row (the partial unique constraint lets one request insert it), then
calls TeamViewer outside any transaction, then fills the row in. A concurrent request for the
same pair meets the constraint and waits for the first one's result, so a double click or a
retrying CSM never makes a second TeamViewer session.

When the create's outcome at TeamViewer is unknown, its row stays, ``uncertain``, and
reconciliation settles it (services/reconcile.py) before the pair's next create.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_failure, audit_record
from csm_teamviewer.errors import (
    ServiceError,
    ServiceUnavailable,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRejected,
    TeamViewerUnavailable,
)
from csm_teamviewer.observability.metrics import sessions_expired
from tokens_app.services import login_required_error
from tokens_app.teamviewer import RemoteSession, teamviewer_for

from ..lifecycle import (
    reservation_insert,
    reservation_mark_stale,
    reservation_release,
    session_mark_expired,
    session_mark_uncertain,
)
from ..models import Session
from .create_record import session_record_open
from .journal import journal_expired
from .reconcile import sessions_reconcile

logger = logging.getLogger(__name__)

Action = AuditEvent.Action
# How often a request waiting on another's reservation looks again.
WAIT_POLL_SECONDS = 0.1
# Failures after which TeamViewer may hold a session we never recorded: it was slow, down or
# unreadable (the POST may have landed), or our side failed around the call.
UNCERTAIN = (TeamViewerUnavailable, ServiceUnavailable)


@dataclass(frozen=True)
class SessionRequest:
    """What the agent asks for: from the REST API, the incident page, or a login that resumes it.

    Stored with a login flow as JSON (``as_json``); the keys are those rows already hold.
    """

    incident_id: str
    requester_name: str = ""
    requester_email: str = ""
    description: str = ""
    send_email: bool = True
    language: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionRequest:
        return cls(**data)


def wait_seconds() -> float:
    # Long enough for the other request's TeamViewer call at its full timeout.
    return sum(settings.TEAMVIEWER_TIMEOUT) + 5


def session_create(
    *, agent: User, session_request: SessionRequest, via: str = "api"
) -> tuple[Session, bool]:
    """The agent's live session on the incident: made now (True) or the one it already had (False).

    Without a usable TeamViewer token this raises the 409 whose login, once complete, runs this
    create again with the same request (the resumable action "create").
    """
    try:
        session, created = _create(agent=agent, session_request=session_request, via=via)
    except ServiceError as exc:
        incident_id = session_request.incident_id
        audit_failure(action=Action.CREATE, actor=agent, exc=exc, incident_id=incident_id, via=via)
        raise
    if not created:  # a new session's audit row is written with it (create_record.py)
        audit_record(action=Action.CREATE, actor=agent, session=session, outcome="existing", via=via)
    return session, created


def _create(*, agent: User, session_request: SessionRequest, via: str) -> tuple[Session, bool]:
    # Twice: when the session we met goes away (its TeamViewer call failed, or it had expired),
    # try once more.
    for attempt in range(2):
        reservation = _reserve(agent=agent, session_request=session_request, settle_first=attempt == 0)
        if reservation is not None:
            return _fill(reservation, agent=agent, session_request=session_request, via=via), True
        existing = _await(agent=agent, incident_id=session_request.incident_id)
        if existing is not None:
            return existing, False
    raise TeamViewerUnavailable(
        _("Another request creating this incident's session failed just now. Try again."), status_code=503
    )


# --- the reservation ----------------------------------------------------------------------------


def _reserve(*, agent: User, session_request: SessionRequest, settle_first: bool) -> Session | None:
    """Insert the ``creating`` row for (incident, agent); None when another request holds the pair.

    ``settle_first``: the pair's last create may have left a session at TeamViewer only; settle
    it before making another, so the incident never has two. The usual create asks that in its
    INSERT; only a refused one asks which of the two refused it.
    """
    session = Session(
        agent=agent,
        state=Session.State.CREATING,
        incident_id=session_request.incident_id,
        requester_name=session_request.requester_name,
        requester_email=session_request.requester_email,
        description=session_request.description,
        language=session_request.language or "",
        valid_until=timezone.now() + timedelta(hours=settings.SESSION_LIFETIME_HOURS),
    )
    if reservation_insert(session, unless_unsettled=settle_first):
        return session
    if not settle_first or not Session.objects.pair_is_unsettled(
        agent_id=agent.pk, incident_id=session_request.incident_id, now=timezone.now()
    ):
        return None
    try:
        sessions_reconcile(agent=agent, incident_id=session_request.incident_id)
    except TeamViewerLoginRequired:
        raise login_required_error(agent=agent, action="create", args=session_request.as_json()) from None
    return session if reservation_insert(session) else None


def _await(*, agent: User, incident_id: str) -> Session | None:
    """The pair's live session once TeamViewer has made it; None when it went away meanwhile
    (its TeamViewer call failed, it had expired, or its process died)."""
    deadline = time.monotonic() + wait_seconds()
    while True:
        session = Session.objects.select_related("agent").holding(agent=agent, incident_id=incident_id).first()
        if session is not None and session.state != Session.State.CREATING:
            # A session past valid_until is dead at TeamViewer even before the cleanup sees it.
            return None if _expire_if_past_lifetime(session) else session
        if session is None or reservation_mark_stale(session):
            return None
        if time.monotonic() > deadline:
            raise TeamViewerUnavailable(
                _("This incident's session is still being created. Try again shortly."), status_code=504
            )
        time.sleep(WAIT_POLL_SECONDS)


def _expire_if_past_lifetime(session: Session) -> bool:
    if not session.is_past_lifetime:
        return False
    with transaction.atomic():
        expired = session_mark_expired(session)
        if expired:
            journal_expired([session])
            audit_record(action=Action.EXPIRE, actor=None, session=session, detail="past valid_until", via="create")
    if expired:
        sessions_expired.labels("create").inc()
    return True


# --- TeamViewer ---------------------------------------------------------------------------------


def _fill(session: Session, *, agent: User, session_request: SessionRequest, via: str) -> Session:
    """Have TeamViewer make the session, then record it in the reservation."""
    remote = _make(session, agent=agent, session_request=session_request)
    invite = session_request.send_email and bool(session.requester_email)
    try:
        opened = session_record_open(
            session, remote=remote, agent=agent, invite=invite, language=session_request.language, via=via
        )
    except DatabaseError:
        _undo(session, remote=remote, agent=agent)
        raise ServiceUnavailable() from None
    if not opened:
        logger.error("Reservation %s was taken over while TeamViewer made %s.", session.pk, remote.code)
        # Only a create stuck past the stale age loses its reservation (another request marked
        # it uncertain, or reconciliation dropped it): TeamViewer's session has no row to go in.
        _undo(session, remote=remote, agent=agent)
        raise TeamViewerUnavailable(_("Creating the session took too long. Try again."), status_code=504)
    return session


def _make(session: Session, *, agent: User, session_request: SessionRequest) -> RemoteSession:
    """TeamViewer's session for the reservation; a failure settles the reservation by what it means."""
    try:
        remote = _create_remote(agent, session)
    except TeamViewerLoginRequired:
        reservation_release(session)
        raise login_required_error(agent=agent, action="create", args=session_request.as_json()) from None
    except TeamViewerNotFound as exc:
        reservation_release(session)
        # A 404 to "create" is TeamViewer refusing, not our session being unknown.
        raise TeamViewerRejected(exc.detail) from None
    except UNCERTAIN:
        session_mark_uncertain(session)
        raise
    except BaseException:
        reservation_release(session)
        raise
    return remote


def _undo(session: Session, *, remote: RemoteSession, agent: User) -> None:
    """TeamViewer made the session but we could not record it: close it there, drop the reservation.

    Best effort on both sides: when the close fails the row is marked uncertain, and when that
    fails too it stays a reservation; either way reconciliation finds it and settles it later.
    """
    logger.error("Could not record TeamViewer session %s; closing it there.", remote.code)
    try:
        teamviewer_for(agent).close_session(remote.code)
    except (ServiceError, DatabaseError) as exc:
        logger.warning(
            "TeamViewer session %s stays open for reconciliation (%s).", remote.code, type(exc).__name__
        )
        settle = session_mark_uncertain
    else:
        settle = reservation_release
    try:
        settle(session)
    except DatabaseError:
        logger.warning("Reservation %s stays for reconciliation.", session.pk)


def _create_remote(agent: User, session: Session) -> RemoteSession:
    # custom_api carries our ids so a TeamViewer session can always be traced back to us.
    custom_api = json.dumps({"csm_session_id": str(session.pk), "incident_id": session.incident_id})
    remote = teamviewer_for(agent).create_session(
        description=session.description,
        end_customer_name=session.requester_name,
        end_customer_email=session.requester_email,
        valid_until=session.valid_until,
        custom_api=custom_api,
    )
    _require_storable(remote)
    return remote


def _require_storable(remote: RemoteSession) -> None:
    # A code or link longer than our columns is not TeamViewer's usual answer; cutting it would
    # store a broken link, and saving it whole would fail in the database.
    limits = {"code": remote.code, "end_customer_link": remote.end_customer_link}
    if any(len(value) > _max_length(name) for name, value in limits.items()):
        logger.error("TeamViewer answered session %s with values too long to store.", remote.code[:40])
        raise TeamViewerUnavailable(
            _("TeamViewer answered with a session this server cannot store."), status_code=502
        )


def _max_length(name: str) -> int:
    return cast(models.CharField, Session._meta.get_field(name)).max_length or 0
