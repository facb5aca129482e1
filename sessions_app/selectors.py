"""Reading sessions. Reservations and uncertain creates are not sessions yet: never shown."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from csm_teamviewer.errors import NotFound

from .models import Session, SessionConnection, device_label


def _visible() -> QuerySet[Session]:
    # select_related: the body names the agent, and would otherwise query it once per session.
    return Session.objects.select_related("agent").visible()


def session_list(
    *, incident_id: str | None = None, state: str | None = None, customer_waiting: bool | None = None
) -> QuerySet[Session]:
    """Sessions, newest first, optionally of one incident, in one state, and whose customer is
    (``customer_waiting=True``) or is not (False) online and waiting on a live session."""
    sessions = _visible()
    if incident_id:
        sessions = sessions.filter(incident_id=incident_id)
    if state:
        sessions = sessions.filter(state=state)
    if customer_waiting is not None:
        waiting = Q(state__in=Session.LIVE_STATES, customer_waiting_since__isnull=False)
        sessions = sessions.filter(waiting if customer_waiting else ~waiting)
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


# What the API body and the page show of each connection row.
CONNECTION_COLUMNS = ("session_id", "start", "end", "duration_seconds", "supporter", "device_name", "device_id", "notes")


def session_connections(session_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The connection rows of these sessions, oldest first, by session: one query (none for no ids).

    Pass only the sessions whose ``connections_count`` is above zero: the others have none.
    """
    ids = list(session_ids)
    found: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if not ids:
        return found
    for row in SessionConnection.objects.filter(session_id__in=ids).values(*CONNECTION_COLUMNS):
        row["device"] = device_label(name=row["device_name"], device_id=row["device_id"])
        found.setdefault(row["session_id"], []).append(row)
    return found
