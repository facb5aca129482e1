"""How the incident page's fragments answer: a message (and the parts of the page it changed),
errors as messages aimed at the message area, signed-in and budget checks.

Shared by the session views (``views.py``) and the TeamViewer connection's (``connection_views.py``).
An error answers with its status and the message fragment, aimed at the page's message area
(``HX-Retarget``). Anonymous visitors get 401, never a session.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django_htmx.http import retarget, trigger_client_event

from csm_teamviewer.errors import Invalid, ServiceError, TeamViewerLoginRequired
from tokens_app.services import token_status

from . import page_messages
from .page_messages import PageMessage
from .parsers import RequestTooLarge
from .session_rows import session_list_context
from .throttles import AgentThrottle, throttles_refusing

FragmentView = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """A request ``login_required`` or ``page_fragment`` let through: its user is signed in."""

    user: User


def message(request: HttpRequest, text: PageMessage, *, status: int = 200, **context: Any) -> HttpResponse:
    response = render(request, "incidents/_message.html", {"message": text, **context}, status=status)
    # An error is always shown in the message area, whichever part of the page asked.
    return retarget(response, "#message") if status >= 400 else response


def with_list(
    request: SignedInRequest,
    incident_id: str,
    text: PageMessage,
    *,
    status: int = 200,
    connection: bool = False,
) -> HttpResponse:
    """The message, and the list as it now is (out of band); with ``connection`` (after a
    sign-in), the TeamViewer connection too."""
    sessions = session_list_context(incident_id=incident_id, viewer=request.user)
    extra = connection_context(request, incident_id) if connection else {}
    return message(request, text, status=status, sessions=sessions, **extra)


def connection_context(request: SignedInRequest, incident_id: str) -> dict[str, Any]:
    """What ``_teamviewer.html`` shows: who the agent is signed in to TeamViewer as, if anyone."""
    return {"teamviewer": token_status(agent=request.user), "incident_id": incident_id}


def error(request: HttpRequest, incident_id: str, exc: ServiceError) -> HttpResponse:
    if isinstance(exc, TeamViewerLoginRequired) and exc.extra.get("authorize_url"):
        return login_wait(request, incident_id, exc)
    response = message(request, page_messages.for_error(exc), status=exc.status_code)
    for name, value in exc.headers().items():
        response[name] = value
    return response


def login_wait(
    request: HttpRequest, incident_id: str, exc: TeamViewerLoginRequired, *, status: int | None = None
) -> HttpResponse:
    """Waiting for the TeamViewer sign-in; the page's script opens ``authorize_url`` in a pop-up."""
    flow = exc.extra["login_flow"]
    context = {"authorize_url": exc.extra["authorize_url"], "incident_id": incident_id, "flow": flow}
    rendered = render(request, "incidents/_login_wait.html", context, status=status or exc.status_code)
    response = retarget(rendered, "#message")
    return trigger_client_event(
        response, "teamviewer-login", {"url": exc.extra["authorize_url"]}, after="settle"
    )


def page_fragment(view: FragmentView) -> FragmentView:
    """Signed in, within the agent's request budget (buttons), typed errors as messages."""

    @wraps(view)
    def wrapped(request: HttpRequest, incident_id: str, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return message(request, page_messages.signed_out(), status=401)
        if request.method == "POST" and (wait := _over_budget(request)):
            response = message(request, page_messages.too_many_requests(wait), status=429)
            response["Retry-After"] = str(wait)
            return response
        try:
            return view(request, incident_id, **kwargs)
        except ServiceError as exc:
            return error(request, incident_id, exc)

    return never_cache(wrapped)


def _over_budget(request: HttpRequest) -> int:
    """Seconds to wait when the agent has used up the budget the REST API shares; else 0."""
    throttle = AgentThrottle()
    # A budget reads only request.user, which a plain Django request has as DRF's does.
    refused = throttles_refusing([throttle], request)  # type: ignore[arg-type]
    return int(throttle.wait()) if refused else 0


def posted(request: HttpRequest) -> QueryDict:
    try:
        return request.POST
    except RequestDataTooBig:
        raise RequestTooLarge() from None
    except MultiPartParserError:
        raise Invalid() from None
