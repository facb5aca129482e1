"""The incident page (the TeamViewer tab CSM embeds) and the fragments that update it.

The page's buttons post forms that htmx sends; each answer is HTML rendered here (the message,
and the session list as it now is) and swapped into the page. An error answers with its status
and the message fragment, aimed at the page's message area (``HX-Retarget``). Anonymous visitors
get the sign-in page; a fragment answers 401 instead. Nothing here shows a session to someone
not signed in, and no page or list carries a supporter link (join hands it out, audited).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import retarget, trigger_client_event

from csm_teamviewer.errors import Invalid, NotFound, ServiceError, TeamViewerLoginRequired
from csm_teamviewer.frame_policy import frameable_by_csm
from tokens_app.selectors import login_flow_status

from . import page_messages
from .models import Session
from .page_messages import PageMessage
from .parsers import RequestTooLarge
from .selectors import session_get, session_list
from .serializers import SessionCreateInputSerializer, SessionEmailInputSerializer, validated
from .services.create import SessionRequest, session_create
from .services.emails import SUPPORTED_LANGUAGES
from .services.sessions import session_close, session_email, session_join
from .services.sync import sessions_sync
from .session_rows import newly_connected, session_list_context
from .throttles import AgentThrottle, throttles_refusing

VIA = "page"
# The query string CSM fills in, cut to what the create form accepts.
PREFILL_FIELDS = {"requester_name": 100, "requester_email": 254}
CREATE_FIELDS = ("requester_name", "requester_email", "description", "language")

FragmentView = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """A request ``login_required`` or ``page_fragment`` let through: its user is signed in."""

    user: User


# --- answering with fragments ---------------------------------------------------------------


def _message(request: HttpRequest, message: PageMessage, *, status: int = 200, **context: Any) -> HttpResponse:
    response = render(request, "incidents/_message.html", {"message": message, **context}, status=status)
    # An error is always shown in the message area, whichever part of the page asked.
    return retarget(response, "#message") if status >= 400 else response


def _with_list(request: SignedInRequest, incident_id: str, message: PageMessage, *, status: int = 200) -> HttpResponse:
    """The message, and the list as it now is (swapped out of band)."""
    sessions = session_list_context(incident_id=incident_id, viewer=request.user)
    return _message(request, message, status=status, sessions=sessions)


def _error(request: HttpRequest, incident_id: str, error: ServiceError) -> HttpResponse:
    if isinstance(error, TeamViewerLoginRequired) and error.extra.get("authorize_url"):
        return _login_wait(request, incident_id, error)
    response = _message(request, page_messages.for_error(error), status=error.status_code)
    for name, value in error.headers().items():
        response[name] = value
    return response


def _login_wait(request: HttpRequest, incident_id: str, error: TeamViewerLoginRequired) -> HttpResponse:
    """Waiting for the TeamViewer sign-in; the page's script opens ``authorize_url`` in a pop-up."""
    flow = error.extra["login_flow"]
    context = {"authorize_url": error.extra["authorize_url"], "incident_id": incident_id, "flow": flow}
    response = retarget(render(request, "incidents/_login_wait.html", context, status=error.status_code), "#message")
    return trigger_client_event(response, "teamviewer-login", {"url": error.extra["authorize_url"]}, after="settle")


def page_fragment(view: FragmentView) -> FragmentView:
    """Signed in, within the agent's request budget (buttons), typed errors as messages."""

    @wraps(view)
    def wrapped(request: HttpRequest, incident_id: str, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _message(request, page_messages.signed_out(), status=401)
        if request.method == "POST" and (wait := _over_budget(request)):
            response = _message(request, page_messages.too_many_requests(wait), status=429)
            response["Retry-After"] = str(wait)
            return response
        try:
            return view(request, incident_id, **kwargs)
        except ServiceError as error:
            return _error(request, incident_id, error)

    return never_cache(wrapped)


def _over_budget(request: HttpRequest) -> int:
    """Seconds to wait when the agent has used up the budget the REST API shares; else 0."""
    throttle = AgentThrottle()
    # A budget reads only request.user, which a plain Django request has as DRF's does.
    refused = throttles_refusing([throttle], request)  # type: ignore[arg-type]
    return int(throttle.wait()) if refused else 0


def _posted(request: HttpRequest) -> QueryDict:
    try:
        return request.POST
    except RequestDataTooBig:
        raise RequestTooLarge() from None
    except MultiPartParserError:
        raise Invalid() from None


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

    ``waiting`` names the sessions the page showed waiting for the customer: one that is now
    connected is announced in the message area.
    """
    sessions_sync(sessions=session_list(incident_id=incident_id).filter(state__in=Session.LIVE_STATES))
    sessions = session_list_context(incident_id=incident_id, viewer=request.user)
    connected = newly_connected(sessions["rows"], waiting=request.GET.get("waiting", ""))
    announcement = page_messages.customer_connected(connected) if connected else None
    return render(request, "incidents/_sessions.html", {"sessions": sessions, "announcement": announcement})


# --- the buttons ------------------------------------------------------------------------------


@require_POST
@page_fragment
def session_create_fragment(request: SignedInRequest, incident_id: str) -> HttpResponse:
    values = _create_values(_posted(request))
    fields = {**values, "incident_id": incident_id, "language": values["language"] or None}
    try:
        data = validated(SessionCreateInputSerializer, fields)
    except Invalid as error:
        # The form again as typed, each field's error beside it (out of band, with the message).
        form = _create_form(values, error.extra["errors"])
        return _message(request, page_messages.for_error(error), status=400, form=form, incident_id=incident_id)
    session, created = session_create(agent=request.user, session_request=SessionRequest(**data), via=VIA)
    message = page_messages.session_created_from(session, created=created)
    return _with_list(request, incident_id, message, status=201 if created else 200)


@require_POST
@page_fragment
def session_email_fragment(request: SignedInRequest, incident_id: str, session_id: str) -> HttpResponse:
    session = _incident_session(incident_id=incident_id, session_id=session_id)
    to = _posted(request).get("to", "").strip()
    data = validated(SessionEmailInputSerializer, {"to": to} if to else {})
    session_email(session=session, actor=request.user, via=VIA, **data)
    return _with_list(request, incident_id, page_messages.invitation_queued(session), status=202)


@require_POST
@page_fragment
def session_join_fragment(request: SignedInRequest, incident_id: str, session_id: str) -> HttpResponse:
    """The supporter link: the page's script opens it in a new window, or shows it when blocked."""
    session = _incident_session(incident_id=incident_id, session_id=session_id)
    link = session_join(session=session, actor=request.user, via=VIA)
    response = render(request, "incidents/_joined.html", {"session": session, "supporter_link": link})
    return trigger_client_event(response, "supporter-link", {"url": link}, after="settle")


@require_POST
@page_fragment
def session_close_fragment(request: SignedInRequest, incident_id: str, session_id: str) -> HttpResponse:
    session = _incident_session(incident_id=incident_id, session_id=session_id)
    session = session_close(session=session, actor=request.user, via=VIA)
    return _with_list(request, incident_id, page_messages.session_closed(session.code))


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
            return _message(request, page_messages.stopped_waiting())
        return HttpResponse(status=204)
    message = page_messages.login_outcome(status=flow["status"], result=flow["result"])
    return _with_list(request, incident_id, message)
