"""The sandbox's own controls, which TeamViewer has no counterpart for: what a customer does on
their side, made a button, so the whole flow can be clicked through on one machine."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from .. import sessions
from ..models import Session


@require_GET
def control_sessions(request: HttpRequest) -> HttpResponse:
    """The open sessions, each with a button that brings its customer online."""
    open_sessions = Session.objects.filter(state=Session.State.OPEN).order_by("-pk")[:50]
    return render(request, "sandbox/control.html", {"sessions": open_sessions})


@require_POST
def customer_online(request: HttpRequest, code: str) -> HttpResponse:
    """Mark the session's customer online (waiting, not yet connected); 404 for an unknown code."""
    if sessions.session_mark_online(code=code) is None:
        return HttpResponse(status=404)
    return HttpResponseRedirect(reverse("sandbox:control") + f"#{code.lower()}")
