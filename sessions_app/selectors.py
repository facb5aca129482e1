"""Reading sessions. Reservations and uncertain creates are not sessions yet: never shown."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from csm_teamviewer.errors import NotFound

from .models import Session


def _visible() -> QuerySet[Session]:
    # select_related: the body names the agent, and would otherwise query it once per session.
    return Session.objects.select_related("agent").visible()


def session_list(*, incident_id: str | None = None, state: str | None = None) -> QuerySet[Session]:
    """Sessions, newest first, optionally of one incident and in one state."""
    sessions = _visible()
    if incident_id:
        sessions = sessions.filter(incident_id=incident_id)
    if state:
        sessions = sessions.filter(state=state)
    # No listing shows the WebClient link: not decrypting it saves one decryption a row.
    return sessions.defer("webclient_supporter_link").order_by("-created_at", "-pk")


def session_get(*, session_id: str | uuid.UUID) -> Session:
    """The session with that id; ``NotFound`` for an unknown or malformed id."""
    try:
        pk = session_id if isinstance(session_id, uuid.UUID) else uuid.UUID(str(session_id))
    except ValueError:
        raise NotFound() from None
    session = _visible().filter(pk=pk).first()
    if session is None:
        raise NotFound()
    return session
