"""The incident page (the TeamViewer tab CSM embeds) and the fragments that update its sessions.

The page's buttons post forms that htmx sends; each answer is HTML rendered here (the message,
and the session list as it now is) and swapped into the page (``fragments.py`` says how). Anonymous
visitors get the sign-in page; a fragment answers 401 instead. Nothing here shows a session to
someone not signed in, and no page or list carries a supporter link (join hands it out, audited).
The TeamViewer connection's own fragments (sign in, disconnect) are in ``connection_views.py``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from csm_teamviewer.errors import Invalid, NotFound
from csm_teamviewer.frame_policy import frameable_by_csm
from tokens_app.selectors import login_flow_status

from . import page_messages
from .fragments import SignedInRequest, connection_context, message, page_fragment, posted, with_list
from .models import Session
from .selectors import session_get, session_list
from .serializers import SessionCreateInputSerializer, SessionEmailInputSerializer, validated
from .services.create import SessionRequest, session_create
from .services.emails import SUPPORTED_LANGUAGES
from .services.sessions import session_close, session_email, session_join
from .services.sync import sessions_sync
from .session_rows import newly_online, session_list_context

VIA = "page"
# The query string CSM fills in, cut to what the create form accepts.
PREFILL_FIELDS = {"requester_name": 100, "requester_email": 254}
CREATE_FIELDS = ("requester_name", "requester_email", "description", "language")


def _incident_session(*, incident_id: str, session_id: str) -> Session:
    session = session_get(session_id=session_id)
    if session.incident_id != incident_id:
        raise NotFound()
    return session


# --- the page ---------------------------------------------------------------------------------


def _prefill(request: HttpRequest) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip()[:limit] for name, limit in PREFILL_FIELDS.items()}


def _create_values(posted: QueryDict) -> dict[str, Any]:
    """The create form as typed; a checkbox is sent only when ticked."""
    values: dict[str, Any] = {name: posted.get(name, "").strip() for name in CREATE_FIELDS}
    return {**values, "send_email": "send_email" in posted}


def _create_form(values: dict[str, Any], errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors or {},
        "languages": SUPPORTED_LANGUAGES,
        "language": values.get("language") or settings.INVITATION_DEFAULT_LANGUAGE,
    }


@frameable_by_csm
@login_required
@never_cache
@require_GET
def incident_page(request: SignedInRequest, incident_id: str) -> HttpResponse:
    context = {
        "sessions": session_list_context(incident_id=incident_id, viewer=request.user),
        "form": _create_form({**_prefill(request), "send_email": True}),
        "incident_id": incident_id,
        **connection_context(request, incident_id),
    }
    response = render(request, "incidents/page.html", context)
    # Keeps the link to the TeamViewer sign-in pop-up (whose pages opt out of isolation too), so
    # its done page can report back; Django's default "same-origin" would cut it.
    response["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
    return response


@require_GET
@page_fragment
def session_list_fragment(request: SignedInRequest, incident_id: str) -> HttpResponse:
    """The list, polled while a session is live; live sessions' state is asked first.

    ``waiting`` names the sessions the page showed waiting for the customer: one whose customer
    is online now is announced in the message area.
    """
    sessions_sync(sessions=session_list(incident_id=incident_id).filter(state__in=Session.LIVE_STATES))
    sessions = session_list_context(incident_id=incident_id, viewer=request.user)
    online = newly_online(sessions["rows"], waiting=request.GET.get("waiting", ""))
    announcement = page_messages.customer_online(online) if online else None
    return render(request, "incidents/_sessions.html", {"sessions": sessions, "announcement": announcement})


# --- the buttons ------------------------------------------------------------------------------


@require_POST
@page_fragment
def session_create_fragment(request: SignedInRequest, incident_id: str) -> HttpResponse:
    values = _create_values(posted(request))
    fields = {**values, "incident_id": incident_id, "language": values["language"] or None}
    try:
        data = validated(SessionCreateInputSerializer, fields)
    except Invalid as exc:
        # The form again as typed, each field's error beside it (out of band, with the message).
        form = _create_form(values, exc.extra["errors"])
        return message(request, page_messages.for_error(exc), status=400, form=form, incident_id=incident_id)
    session, created = session_create(agent=request.user, session_request=SessionRequest(**data), via=VIA)
    text = page_messages.session_created_from(session, created=created)
    return with_list(request, incident_id, text, status=201 if created else 200)


@require_POST
@page_fragment
def session_email_fragment(request: SignedInRequest, incident_id: str, session_id: str) -> HttpResponse:
    session = _incident_session(incident_id=incident_id, session_id=session_id)
    to = posted(request).get("to", "").strip()
    data = validated(SessionEmailInputSerializer, {"to": to} if to else {})
    session_email(session=session, actor=request.user, via=VIA, **data)
    return with_list(request, incident_id, page_messages.invitation_queued(session), status=202)


@require_POST
@page_fragment
def session_join_fragment(request: SignedInRequest, incident_id: str, session_id: str) -> HttpResponse:
    """The supporter link: the page's script opens it in a new window, or shows it when blocked."""
    return _joined(request, incident_id, session_id, web=False)


@require_POST
@page_fragment
def session_join_web_fragment(request: SignedInRequest, incident_id: str, session_id: str) -> HttpResponse:
    """Join in the browser: the web-client supporter link, opened as the supporter link is."""
    return _joined(request, incident_id, session_id, web=True)


def _joined(request: SignedInRequest, incident_id: str, session_id: str, *, web: bool) -> HttpResponse:
    session = _incident_session(incident_id=incident_id, session_id=session_id)
    links = session_join(session=session, actor=request.user, via=VIA, web=web)
    link = links.webclient_supporter_link if web else links.supporter_link
    response = render(request, "incidents/_joined.html", {"session": session, "supporter_link": link, "web": web})
    return trigger_client_event(response, "supporter-link", {"url": link}, after="settle")


@require_POST
@page_fragment
def session_close_fragment(request: SignedInRequest, incident_id: str, session_id: str) -> HttpResponse:
    session = _incident_session(incident_id=incident_id, session_id=session_id)
    session = session_close(session=session, actor=request.user, via=VIA)
    return with_list(request, incident_id, page_messages.session_closed(session.code))


@require_GET
@page_fragment
def login_wait_fragment(request: SignedInRequest, incident_id: str, flow_id: str) -> HttpResponse:
    """How the sign-in the page waits on is going: 204 while it runs, then its outcome.

    Polled by the waiting message, and asked at once when the pop-up reports back. ``stop``:
    the agent stops waiting (the sign-in, if finished later, still carries the action out).
    """
    flow = login_flow_status(flow_id=flow_id, agent=request.user)
    if flow["status"] in ("pending", "started"):
        if request.GET.get("stop"):
            return message(request, page_messages.stopped_waiting())
        return HttpResponse(status=204)
    text = page_messages.login_outcome(status=flow["status"], result=flow["result"])
    # A finished sign-in changes who the agent is at TeamViewer: the header says so too.
    return with_list(request, incident_id, text, connection=flow["status"] == "completed")
