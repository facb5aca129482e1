"""The pages behind a session's links: the customer's and the supporter's."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .. import sessions
from ..models import Session

# What each page shows, and the status it answers with.
_STATUS = {"unknown": 404, "closed": 410, "expired": 410, "live": 200}


@require_GET
def join(request: HttpRequest, code: str) -> HttpResponse:
    """The end customer's link: joining puts the session online and starts a connection."""
    session = sessions.session_join(compact_code=code)
    return _render(request, "sandbox/join.html", session)


@require_GET
def support(request: HttpRequest, link: str) -> HttpResponse:
    session = sessions.session_for_supporter(link_token=link)
    return _render(request, "sandbox/support.html", session, webclient=request.GET.get("client") == "web")


def _render(request: HttpRequest, template: str, session: Session | None, **extra: object) -> HttpResponse:
    condition = _condition(session)
    context = {"session": session, "condition": condition, **extra}
    return render(request, template, context, status=_STATUS[condition])


def _condition(session: Session | None) -> str:
    if session is None:
        return "unknown"
    if session.state == Session.State.CLOSED:
        return "closed"
    return "expired" if session.is_expired() else "live"
