"""What the incident page says in its message area after each button, in the agent's language.

Each function gives a ``PageMessage`` that ``templates/incidents/_message.html`` renders: a kind
(ok, info or error), the text, and for an error its stable code (kept on the element, for tests
and for whoever reads the page's HTML).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from csm_teamviewer.errors import Invalid, ServiceError, TeamViewerRateLimited

from .models import Session

# The create form shows these fields' errors beside them; any other field's go in the message.
FORM_FIELDS = ("requester_name", "requester_email", "description")


@dataclass(frozen=True)
class PageMessage:
    kind: str
    text: str
    code: str = ""
    details: list[str] = field(default_factory=list)


def session_created(*, code: str, created: bool, emailed_to: str = "") -> PageMessage:
    if not created:
        text = _("You already have an open session for this incident: %(code)s.")
        return PageMessage("ok", text % {"code": code})
    if emailed_to:
        text = _("Session %(code)s created. The invitation email to %(email)s is on its way.")
        return PageMessage("ok", text % {"code": code, "email": emailed_to})
    return PageMessage("ok", _("Session %(code)s created.") % {"code": code})


def session_created_from(session: Session, *, created: bool) -> PageMessage:
    queued = session.email_status == Session.EmailStatus.QUEUED
    return session_created(code=session.code, created=created, emailed_to=session.requester_email if queued else "")


def invitation_queued(session: Session) -> PageMessage:
    return PageMessage("ok", _("The invitation email for session %(code)s is on its way.") % {"code": session.code})


def session_closed(code: str) -> PageMessage:
    return PageMessage("ok", _("Session %(code)s closed.") % {"code": code})


def customer_online(session: Session) -> PageMessage:
    # TeamViewer says "online": the customer opened the link and waits for the agent to join.
    return PageMessage("ok", _("The customer of session %(code)s is online and waiting for you.") % {"code": session.code})


def disconnected() -> PageMessage:
    return PageMessage("ok", _("Disconnected from TeamViewer. Sign in again to create or close sessions."))


def signed_out() -> PageMessage:
    return PageMessage("error", _("You are signed out. Reload the page to sign in again."), "not_authenticated")


def too_many_requests(seconds: int) -> PageMessage:
    text = _("You have sent too many requests. Try again in %(seconds)s seconds.") % {"seconds": seconds}
    return PageMessage("error", text, "throttled")


def rate_limited(seconds: object) -> PageMessage:
    text = _("TeamViewer is limiting requests. Try again in %(seconds)s seconds.") % {"seconds": seconds}
    return PageMessage("error", text, TeamViewerRateLimited.code)


def for_error(error: ServiceError) -> PageMessage:
    if isinstance(error, TeamViewerRateLimited):
        return rate_limited(error.retry_after)
    details = []
    if isinstance(error, Invalid):
        errors = error.extra.get("errors", {})
        details = [message for name, messages in errors.items() if name not in FORM_FIELDS for message in messages]
    return PageMessage("error", error.detail, error.code, details)


def login_outcome(*, status: str, result: dict[str, Any]) -> PageMessage:
    """How a sign-in the page waited on ended, and what the action it resumed did.

    ``status`` and ``result`` are those of ``tokens_app.selectors.login_flow_status``.
    """
    if status == "completed" and result.get("ok"):
        return _resumed(result)
    if status == "completed":
        return _resumed_error(result)
    if status == "failed" and result.get("code") == "access_denied":
        return PageMessage("error", _("The TeamViewer sign-in was refused, so nothing was done."), "access_denied")
    if status == "failed":
        text = result.get("detail") or _("The TeamViewer sign-in did not complete, so nothing was done.")
        return PageMessage("error", text, str(result.get("code", "")))
    return PageMessage("error", _("The TeamViewer sign-in took too long, so nothing was done. Try again."), "expired")


def stopped_waiting() -> PageMessage:
    return PageMessage("info", _("Stopped waiting for the TeamViewer sign-in. Nothing was done."))


def _resumed(result: dict[str, Any]) -> PageMessage:
    session = result.get("session") or {}
    code = str(session.get("code", ""))
    if result.get("action") == "close":
        return session_closed(code)
    if result.get("action") == "create":
        queued = session.get("email_status") == Session.EmailStatus.QUEUED
        emailed_to = str(session.get("requester_email") or "") if queued else ""
        return session_created(code=code, created=bool(result.get("created")), emailed_to=emailed_to)
    return PageMessage("ok", _("Signed in to TeamViewer"))


def _resumed_error(result: dict[str, Any]) -> PageMessage:
    code = str(result.get("code", ""))
    if code == TeamViewerRateLimited.code and result.get("retry_after"):
        return rate_limited(result["retry_after"])
    detail = result.get("detail") or _("Something went wrong. Reload the page and try again.")
    return PageMessage("error", str(detail), code)
