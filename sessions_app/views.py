"""The incident page (the TeamViewer tab CSM embeds), its session list, and launch links.

The page's buttons post JSON to the small endpoints in ``page_actions``; this module renders
HTML. Anonymous visitors get the sign-in page (the list fragment answers 401 instead, since a
script fetches it); nothing here shows a session to someone not signed in.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from csm_teamviewer.error_responses import error_json
from csm_teamviewer.errors import NotAuthenticated
from csm_teamviewer.frame_policy import frameable_by_csm

from .i18n import page_texts
from .models import Session
from .selectors import session_list
from .services.emails import SUPPORTED_LANGUAGES
from .services.launch import LaunchLinkInvalid, launch_link_redeem
from .services.sync import sessions_sync

logger = logging.getLogger(__name__)

# The query string CSM fills in, cut to what the create form accepts.
PREFILL_FIELDS = {"requester_name": 100, "requester_email": 254}
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


# Marked for translation here, translated per row: one lookup per row, not four.
BADGE_LABELS = {
    "open": gettext_noop("Waiting for the customer"),
    "active": gettext_noop("Customer connected"),
    "closed": gettext_noop("Closed"),
    "expired": gettext_noop("Expired"),
}


@dataclass(frozen=True)
class SessionRow:
    """One session as the viewer sees it on the page: its badge, and the actions that fit."""

    session: Session
    badge: str
    can_act: bool

    @property
    def is_current(self) -> bool:
        """Waiting or connected: what the page keeps refreshing."""
        return self.badge in ("open", "active")

    @property
    def can_close(self) -> bool:
        # Also a live session past its lifetime: closing it at TeamViewer is still right.
        return self.can_act and self.session.is_live

    @property
    def can_email(self) -> bool:
        return self.can_act and self.badge == "open"

    @property
    def can_join(self) -> bool:
        return self.can_act and self.is_current

    @property
    def email_label(self) -> str:
        return _("Resend email") if self.session.email_status != Session.EmailStatus.NOT_SENT else _("Send email")

    @property
    def badge_label(self) -> str:
        return _(BADGE_LABELS[self.badge])


def _badge(session: Session) -> str:
    # A live session past valid_until is dead at TeamViewer even before the cleanup closes it.
    if session.is_live and session.is_past_lifetime:
        return "expired"
    return session.state


# What the page and its list show of each session (templates/incidents/_sessions.html).
PAGE_FIELDS = (
    "incident_id",
    "agent__username",
    "code",
    "state",
    "requester_name",
    "requester_email",
    "description",
    "valid_until",
    "created_at",
    "closed_at",
    "email_status",
    "email_sent_at",
)


def session_rows(sessions: list[Session], *, viewer: AbstractBaseUser) -> list[SessionRow]:
    return [
        SessionRow(
            session=session,
            badge=_badge(session),
            can_act=viewer.pk == session.agent_id or viewer.is_staff,
        )
        for session in sessions
    ]


def _list_context(request: HttpRequest, incident_id: str) -> dict[str, Any]:
    # Only what the page shows: no supporter links to decrypt, and of the agent only the login.
    sessions = list(session_list(incident_id=incident_id).only(*PAGE_FIELDS))
    rows = session_rows(sessions, viewer=request.user)
    return {
        "incident_id": incident_id,
        "rows": rows,
        "any_current": any(row.is_current for row in rows),
        "own_current": any(row.is_current and row.session.agent_id == request.user.pk for row in rows),
    }


def _prefill(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip()[:limit] for name, limit in PREFILL_FIELDS.items()}


def _page_config(incident_id: str) -> dict[str, Any]:
    """What incident.js needs, handed over in a json_script block (no inline script: CSP)."""
    return {
        "listUrl": reverse("incidents:sessions", args=[incident_id]),
        "createUrl": reverse("incidents:create", args=[incident_id]),
        "flowStatusUrl": reverse("tokens:login-flow-status", args=["__flow__"]),
        "refreshSeconds": settings.SESSION_SYNC_SECONDS,
        "loginSeconds": settings.LOGIN_FLOW_LIFETIME_SECONDS,
        "texts": page_texts(),
    }


@frameable_by_csm
@login_required
@never_cache
@require_GET
def incident_page(request: HttpRequest, incident_id: str) -> HttpResponse:
    context = {
        **_list_context(request, incident_id),
        "prefill": _prefill(request),
        "languages": SUPPORTED_LANGUAGES,
        "default_language": settings.INVITATION_DEFAULT_LANGUAGE,
        "config": _page_config(incident_id),
    }
    response = render(request, "incidents/page.html", context)
    # Keeps the link to the TeamViewer sign-in pop-up (whose pages opt out of isolation too), so
    # its done page can report back; Django's default "same-origin" would cut it.
    response["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
    return response


@never_cache
@require_GET
def incident_sessions(request: HttpRequest, incident_id: str) -> HttpResponse:
    """The session list alone, for the page to refresh; live sessions' state is asked first."""
    if not request.user.is_authenticated:
        detail = _("You are signed out. Reload the page to sign in again.")
        return error_json(NotAuthenticated(detail))
    sessions_sync(sessions=session_list(incident_id=incident_id).filter(state__in=Session.LIVE_STATES))
    return render(request, "incidents/_sessions.html", _list_context(request, incident_id))


def page_url(*, incident_id: str, requester_name: str = "", requester_email: str = "") -> str:
    query = urlencode(
        {name: value for name, value in (("requester_name", requester_name), ("requester_email", requester_email)) if value}
    )
    path = reverse("incidents:page", args=[incident_id])
    return f"{path}?{query}" if query else path


@frameable_by_csm
@never_cache
@require_GET
def launch(request: HttpRequest, token: str) -> HttpResponse:
    """Spend a launch link: sign its agent in (for later visits too) and open the page."""
    try:
        link = launch_link_redeem(token=token)
    except LaunchLinkInvalid as exc:
        response = render(request, "incidents/launch_invalid.html", {"error": exc}, status=400)
        # Django would log the path, token and all: say it without the token instead.
        response._has_been_logged = True
        logger.info("Refused a launch link (unknown, used or expired).")
    else:
        login(request, link.agent, backend=_MODEL_BACKEND)
        response = HttpResponseRedirect(
            page_url(
                incident_id=link.incident_id,
                requester_name=link.requester_name,
                requester_email=link.requester_email,
            )
        )
    # The token is in this URL: never pass it on in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    return response
