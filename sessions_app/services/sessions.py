"""A session's actions after its create: close, join and email; every call audited, success or failure.

The create, with its reservation, is in ``create.py``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_failure, audit_record
from csm_teamviewer.errors import (
    Invalid,
    PermissionDenied,
    ServiceError,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
)
from csm_teamviewer.observability.metrics import sessions_closed
from tokens_app.services import login_required_error
from tokens_app.teamviewer import teamviewer_for

from ..lifecycle import FINISHED_STATES, INTERNAL_STATES, session_mark_closed
from ..models import InvitationEmail, Session
from .emails import SUPPORTED_LANGUAGES, invitation_queue
from .journal import journal_closed

logger = logging.getLogger(__name__)

Action = AuditEvent.Action
MAX_EMAIL_LENGTH = 254


class SessionNotLive(ServiceError):
    """The session is closed or expired: there is nothing left to join or to invite to."""

    code = "session_closed"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This session is closed or expired.")


class SessionBeingCreated(ServiceError):
    """The session is still a reservation (or its create is being settled): it has no code yet."""

    code = "session_creating"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This session is still being created at TeamViewer. Try again in a moment.")


# --- close ------------------------------------------------------------------------------------


def session_close(*, session: Session, actor: User, via: str) -> Session:
    """Close at TeamViewer, then here. Closed or expired already: returned as it is.

    Only the session's agent or staff may close it, and either way the session agent's token is
    used (the TeamViewer session belongs to the agent's account). Without a usable token the
    agent gets the 409 whose login closes the session by itself; a staff actor gets the 409
    without a login link, since only the agent can sign in as the agent.
    """
    try:
        outcome, detail = _close(session=session, actor=actor, via=via)
    except ServiceError as exc:
        audit_failure(action=Action.CLOSE, actor=actor, exc=exc, session=session, via=via)
        raise
    audit_record(action=Action.CLOSE, actor=actor, session=session, outcome=outcome, detail=detail, via=via)
    return session


def _close(*, session: Session, actor: User, via: str) -> tuple[str, str]:
    """(outcome, detail) for the audit."""
    _require_agent_or_staff(session=session, actor=actor)
    if session.state in FINISHED_STATES:
        return "already_closed", ""
    if session.state in INTERNAL_STATES:
        raise SessionBeingCreated()
    detail = _close_remote(session=session, actor=actor)
    _mark_closed(session, actor=actor, via=via)
    return "ok", detail


def _close_remote(*, session: Session, actor: User) -> str:
    if not session.code:
        return "no TeamViewer code"
    try:
        teamviewer_for(session.agent).close_session(session.code)
    except TeamViewerNotFound:
        return "TeamViewer no longer knew this session; closed here."
    except TeamViewerLoginRequired:
        raise _close_login_required(session=session, actor=actor) from None
    return ""


def _close_login_required(*, session: Session, actor: User) -> TeamViewerLoginRequired:
    if actor.pk == session.agent_id:
        return login_required_error(agent=actor, action="close", args={"session_id": str(session.pk)})
    return TeamViewerLoginRequired(
        _("The session's agent (%(agent)s) must sign in to TeamViewer before it can be closed.")
        % {"agent": session.agent.get_username()}
    )


def _mark_closed(session: Session, *, actor: User, via: str) -> None:
    with transaction.atomic():
        closed = session_mark_closed(session)
        if closed:
            journal_closed(session, by=actor)
    if closed:
        sessions_closed.labels(via).inc()
    else:
        session.refresh_from_db()  # someone else closed it meanwhile: show what they wrote


# --- join -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinLinks:
    """The agent's ways into the session: the TeamViewer app, and (where TeamViewer gave one) the
    browser's web client, for desktops where nothing may be installed."""

    supporter_link: str
    webclient_supporter_link: str = ""


class NoWebClientLink(ServiceError):
    code = "no_webclient_link"
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("TeamViewer gave no web-client link for this session: join as admin instead.")


def session_join(*, session: Session, actor: User, via: str, web: bool = False) -> JoinLinks:
    """The supporter links, for the session's agent or staff only ("join as admin", or ``web``:
    "join in browser", which needs the web-client link)."""
    try:
        _require_agent_or_staff(session=session, actor=actor)
        _require_live(session)
        if web and not session.webclient_supporter_link:
            raise NoWebClientLink()
    except ServiceError as exc:
        audit_failure(action=Action.JOIN, actor=actor, exc=exc, session=session, via=via)
        raise
    audit_record(action=Action.JOIN, actor=actor, session=session, detail="web client" if web else "", via=via)
    return JoinLinks(session.supporter_link, session.webclient_supporter_link)


def _require_agent_or_staff(*, session: Session, actor: User) -> None:
    if actor.pk != session.agent_id and not actor.is_staff:
        raise PermissionDenied(_("Only the session's agent or a staff user may do this."))


def _require_live(session: Session) -> None:
    if session.state in INTERNAL_STATES:
        raise SessionBeingCreated()
    if not session.is_live or session.is_past_lifetime:
        raise SessionNotLive()


# --- email ------------------------------------------------------------------------------------


def session_email(
    *,
    session: Session,
    actor: User,
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
        audit_failure(action=Action.EMAIL, actor=actor, exc=exc, session=session, via=via)
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
