"""Sessions: create, close, join and email; every call audited, success or failure.

One live session per (incident, agent) is the database's job: ``session_create`` first reserves
the pair with a CREATING row (see ``reservations``), then calls TeamViewer outside any
transaction, then fills the row in. A concurrent request for the same pair waits for the first
one's result, so a double click or a retrying CSM never makes a second TeamViewer session.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from csm_teamviewer.errors import (
    Invalid,
    PermissionDenied,
    ServiceError,
    ServiceUnavailable,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRejected,
    TeamViewerUnavailable,
)
from tokens_app.services import login_required_error
from tokens_app.teamviewer import RemoteSession, teamviewer_for

from ..models import AuditEvent, InvitationEmail, Session
from .audit import audit_record
from .emails import SUPPORTED_LANGUAGES, invitation_queue
from .reconcile import reconcile_due, sessions_reconcile
from .reservations import (
    reservation_await,
    reservation_claim,
    reservation_fill,
    reservation_open,
    reservation_release,
)

logger = logging.getLogger(__name__)

Action = AuditEvent.Action
MAX_EMAIL_LENGTH = 254


class SessionNotLive(ServiceError):
    """The session is closed or expired: there is nothing left to join or to invite to."""

    code = "session_closed"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This session is closed or expired.")


class SessionBeingCreated(ServiceError):
    """The session is still a reservation: TeamViewer has not given it a code yet."""

    code = "session_creating"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This session is still being created at TeamViewer. Try again in a moment.")


def _lifetime() -> timedelta:
    return timedelta(hours=settings.SESSION_LIFETIME_HOURS)


def _audit_failure(
    *,
    action: str,
    actor: AbstractBaseUser | None,
    exc: ServiceError,
    via: str,
    session: Session | None = None,
    incident_id: str = "",
) -> None:
    audit_record(
        action=action,
        actor=actor,
        session=session,
        incident_id=incident_id,
        outcome=exc.code,
        detail=exc.detail,
        via=via,
    )


# --- create -----------------------------------------------------------------------------------


def session_create(
    *,
    agent: AbstractBaseUser,
    incident_id: str,
    requester_name: str = "",
    requester_email: str = "",
    description: str = "",
    send_email: bool = True,
    language: str | None = None,
    via: str = "api",
) -> tuple[Session, bool]:
    """The agent's live session on the incident: made now (True) or the one it already had (False).

    Without a usable TeamViewer token this raises the 409 whose login, once complete, runs this
    create again with the same arguments (the resumable action "create").
    """
    args = {
        "incident_id": incident_id,
        "requester_name": requester_name,
        "requester_email": requester_email,
        "description": description,
        "send_email": send_email,
        "language": language,
    }
    try:
        session, created = _create(agent=agent, args=args, via=via)
    except ServiceError as exc:
        _audit_failure(action=Action.CREATE, actor=agent, exc=exc, incident_id=incident_id, via=via)
        raise
    if not created:  # a new session's audit row is written with it, in _open
        audit_record(action=Action.CREATE, actor=agent, session=session, outcome="existing", via=via)
    return session, created


def _create(*, agent: AbstractBaseUser, args: dict[str, Any], via: str) -> tuple[Session, bool]:
    _reconcile_first(agent=agent, args=args)
    # Twice: when the session we met goes away (its TeamViewer call failed, or it had expired),
    # try once more.
    for _attempt in range(2):
        reservation = reservation_claim(agent=agent, fields=_reservation_fields(args))
        if reservation is not None:
            return _fill(reservation, agent=agent, args=args, via=via), True
        existing = reservation_await(agent=agent, incident_id=args["incident_id"])
        if existing is not None:
            return existing, False
    raise TeamViewerUnavailable(
        _("Another request creating this incident's session failed just now. Try again."), status_code=503
    )


def _reconcile_first(*, agent: AbstractBaseUser, args: dict[str, Any]) -> None:
    # The pair's last create may have left a session at TeamViewer only: settle it before
    # making another, so the incident never has two.
    if not reconcile_due(agent=agent, incident_id=args["incident_id"]):
        return
    try:
        sessions_reconcile(agent=agent, incident_id=args["incident_id"])
    except TeamViewerLoginRequired:
        raise login_required_error(agent=agent, action="create", args=args) from None


def _reservation_fields(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "incident_id": args["incident_id"],
        "requester_name": args["requester_name"],
        "requester_email": args["requester_email"],
        "description": args["description"],
        "language": args["language"] or "",
        "valid_until": timezone.now() + _lifetime(),
    }


def _fill(session: Session, *, agent: AbstractBaseUser, args: dict[str, Any], via: str) -> Session:
    try:
        remote = _create_remote(agent, session)
    except TeamViewerLoginRequired:
        reservation_release(session=session)
        raise login_required_error(agent=agent, action="create", args=args) from None
    except TeamViewerNotFound as exc:
        reservation_release(session=session)
        # A 404 to "create" is TeamViewer refusing, not our session being unknown.
        raise TeamViewerRejected(exc.detail) from None
    except BaseException:
        reservation_release(session=session)
        raise
    try:
        return _open(session, remote=remote, agent=agent, args=args, via=via)
    except DatabaseError:
        _undo(session, remote=remote, agent=agent)
        raise ServiceUnavailable() from None


def _undo(session: Session, *, remote: RemoteSession, agent: AbstractBaseUser) -> None:
    """TeamViewer made the session but we could not record it: close it there, drop the row.

    Best effort on both sides; whatever is left (an open session at TeamViewer, a reservation
    here) is what reconciliation finds and settles later.
    """
    logger.error("Could not record TeamViewer session %s; closing it there.", remote.code)
    try:
        teamviewer_for(agent).close_session(remote.code)
    except (ServiceError, DatabaseError) as exc:
        logger.warning(
            "TeamViewer session %s stays open for reconciliation (%s).", remote.code, type(exc).__name__
        )
    try:
        reservation_release(session=session)
    except DatabaseError:
        logger.warning("Reservation %s stays for reconciliation.", session.pk)


def _create_remote(agent: AbstractBaseUser, session: Session) -> RemoteSession:
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
    if any(len(value) > Session._meta.get_field(name).max_length for name, value in limits.items()):
        logger.error("TeamViewer answered session %s with values too long to store.", remote.code[:40])
        raise TeamViewerUnavailable(
            _("TeamViewer answered with a session this server cannot store."), status_code=502
        )


def _open(
    session: Session, *, remote: RemoteSession, agent: AbstractBaseUser, args: dict[str, Any], via: str
) -> Session:
    """Turn the reservation into an open session, queue its invitation and audit it: one commit."""
    fields = reservation_open(session, remote=remote)
    invite = args["send_email"] and bool(session.requester_email)
    if invite:
        # Written with the fill: the invitation below is queued in the same transaction.
        session.email_status = Session.EmailStatus.QUEUED
        fields.append("email_status")
    with transaction.atomic():
        if not reservation_fill(session=session, fields=fields):
            _lost_reservation(session)
        if invite:
            invitation_queue(session=session, requested_by=agent, language=args["language"], marked=True)
        audit_record(action=Action.CREATE, actor=agent, session=session, outcome="ok", via=via)
    return session


def _lost_reservation(session: Session) -> None:
    # Only a create stuck past the stale age loses its row; custom_api lets the session be traced.
    logger.error("Reservation %s vanished while TeamViewer made session %s.", session.pk, session.code)
    raise TeamViewerUnavailable(_("Creating the session took too long. Try again."), status_code=504)


# --- close ------------------------------------------------------------------------------------


def session_close(*, session: Session, actor: AbstractBaseUser, via: str) -> Session:
    """Close at TeamViewer, then here. Closed or expired already: returned as it is.

    Only the session's agent or staff may close it, and either way the session agent's token is
    used (the TeamViewer session belongs to the agent's account). Without a usable token the
    agent gets the 409 whose login closes the session by itself; a staff actor gets the 409
    without a login link, since only the agent can sign in as the agent.
    """
    try:
        outcome, detail = _close(session=session, actor=actor)
    except ServiceError as exc:
        _audit_failure(action=Action.CLOSE, actor=actor, exc=exc, session=session, via=via)
        raise
    audit_record(action=Action.CLOSE, actor=actor, session=session, outcome=outcome, detail=detail, via=via)
    return session


def _close(*, session: Session, actor: AbstractBaseUser) -> tuple[str, str]:
    """(outcome, detail) for the audit."""
    _require_agent_or_staff(session=session, actor=actor)
    if session.state in (Session.State.CLOSED, Session.State.EXPIRED):
        return "already_closed", ""
    if session.state == Session.State.CREATING:
        raise SessionBeingCreated()
    detail = _close_remote(session=session, actor=actor)
    _mark_closed(session)
    return "ok", detail


def _close_remote(*, session: Session, actor: AbstractBaseUser) -> str:
    if not session.code:
        return "no TeamViewer code"
    try:
        teamviewer_for(session.agent).close_session(session.code)
    except TeamViewerNotFound:
        return "TeamViewer no longer knew this session; closed here."
    except TeamViewerLoginRequired:
        raise _close_login_required(session=session, actor=actor) from None
    return ""


def _close_login_required(*, session: Session, actor: AbstractBaseUser) -> TeamViewerLoginRequired:
    if actor.pk == session.agent_id:
        return login_required_error(agent=actor, action="close", args={"session_id": str(session.pk)})
    return TeamViewerLoginRequired(
        _("The session's agent (%(agent)s) must sign in to TeamViewer before it can be closed.")
        % {"agent": session.agent.get_username()}
    )


def _mark_closed(session: Session) -> None:
    now = timezone.now()
    updated = Session.objects.filter(
        pk=session.pk, state__in=[Session.State.OPEN, Session.State.ACTIVE]
    ).update(state=Session.State.CLOSED, closed_at=now, updated_at=now)
    if updated:
        session.state, session.closed_at = Session.State.CLOSED, now
    else:
        session.refresh_from_db()  # someone else closed it meanwhile: show what they wrote


# --- join -------------------------------------------------------------------------------------


def session_join(*, session: Session, actor: AbstractBaseUser, via: str) -> str:
    """The supporter link, for the session's agent or staff only ("join as admin")."""
    try:
        _require_agent_or_staff(session=session, actor=actor)
        _require_live(session)
    except ServiceError as exc:
        _audit_failure(action=Action.JOIN, actor=actor, exc=exc, session=session, via=via)
        raise
    audit_record(action=Action.JOIN, actor=actor, session=session, via=via)
    return session.supporter_link


def _require_agent_or_staff(*, session: Session, actor: AbstractBaseUser) -> None:
    if actor.pk != session.agent_id and not actor.is_staff:
        raise PermissionDenied(_("Only the session's agent or a staff user may do this."))


def _require_live(session: Session) -> None:
    if session.state == Session.State.CREATING:
        raise SessionBeingCreated()
    if not session.is_live or session.is_past_lifetime:
        raise SessionNotLive()


# --- email ------------------------------------------------------------------------------------


def session_email(
    *,
    session: Session,
    actor: AbstractBaseUser,
    to: str | None = None,
    language: str | None = None,
    via: str,
) -> InvitationEmail:
    """Queue the invitation (send or resend) to ``to`` or else the requester's address."""
    try:
        address = _invitation_address(session=session, to=to)
        if language and language not in SUPPORTED_LANGUAGES:
            raise Invalid(errors={"language": [str(_("Choose ja or en."))]})
        _require_live(session)
        with transaction.atomic():
            email = invitation_queue(session=session, requested_by=actor, to=address, language=language)
    except ServiceError as exc:
        _audit_failure(action=Action.EMAIL, actor=actor, exc=exc, session=session, via=via)
        raise
    audit_record(action=Action.EMAIL, actor=actor, session=session, detail=f"to {address}", via=via)
    return email


def _invitation_address(*, session: Session, to: str | None) -> str:
    address = (to or "").strip() or session.requester_email
    if not address:
        raise Invalid(
            _("The session has no requester email: give an address in 'to'."),
            errors={"to": [str(_("An address is required."))]},
        )
    try:
        if len(address) > MAX_EMAIL_LENGTH:
            raise DjangoValidationError("too long")
        validate_email(address)
    except DjangoValidationError:
        raise Invalid(errors={"to": [str(_("Enter a valid email address."))]}) from None
    return address
