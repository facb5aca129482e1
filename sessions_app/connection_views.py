"""The incident page's TeamViewer connection: who the agent is signed in as, sign in, disconnect.

"Sign in to TeamViewer" starts a sign-in that carries out nothing (the pop-up opens as for a create
that needed one); "Disconnect" revokes the token at TeamViewer and forgets it, as
``DELETE /api/v1/me/teamviewer/`` does. Both answer in the message area, with the connection
swapped in out of band.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from rest_framework import status

from tokens_app.services import login_required_error, token_disconnect

from . import page_messages
from .fragments import SignedInRequest, connection_context, login_wait, message, page_fragment


@require_GET
@page_fragment
def connection_fragment(request: SignedInRequest, incident_id: str) -> HttpResponse:
    """The connection as it now is (asked again when the sign-in pop-up reports back)."""
    return render(request, "incidents/_teamviewer.html", connection_context(request, incident_id))


@require_POST
@page_fragment
def sign_in_fragment(request: SignedInRequest, incident_id: str) -> HttpResponse:
    """A sign-in with no pending action: the page waits for it as for any other."""
    return login_wait(
        request, incident_id, login_required_error(agent=request.user), status=status.HTTP_200_OK
    )


@require_POST
@page_fragment
def disconnect_fragment(request: SignedInRequest, incident_id: str) -> HttpResponse:
    token_disconnect(agent=request.user)
    return message(request, page_messages.disconnected(), **connection_context(request, incident_id))
