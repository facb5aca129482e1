"""A session's API body (``SessionSerializer``'s fields), built by hand: for one session, and for
a listing read as plain values.

DRF's field-by-field walk, and building a model for each listed row, cost more than everything
else a listing does. The body is the same: ``tests/sessions_app/test_api_sessions_read.py``
compares it with DRF's own rendering of the declared fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import F, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from csm_teamviewer.crypto import EncryptedTextField
from csm_teamviewer.row_sql import table
from journal_app.selectors import journal_state, journal_state_column, journal_state_of

from .models import Session, connections_status
from .selectors import session_connections

# What a body reads, besides the agent's login and the supporter link.
_BODY_COLUMNS = (
    "id",
    "incident_id",
    "code",
    "state",
    "end_customer_link",
    "requester_name",
    "requester_email",
    "description",
    "valid_until",
    "created_at",
    "closed_at",
    "email_status",
    "email_sent_at",
    "customer_waiting_since",
    "agent_id",
    "connections_count",
    "connections_final",
    "connections_error",
)
_TIMES = ("valid_until", "created_at", "closed_at", "email_sent_at", "customer_waiting_since")


def _shows_link(viewer: User | None, agent_id: int) -> bool:
    return viewer is not None and (viewer.pk == agent_id or getattr(viewer, "is_staff", False))


def _when(value: datetime | None, zone: tzinfo) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as ``Z``."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _utc_text(text: str | None) -> str | None:
    """``_when`` in UTC, from the database's text of a UTC time (``2026-12-07 12:29:23.1+00``;
    SQLite's has no offset): string work, where parsing and rewriting a datetime costs more
    than the rest of a listed row."""
    if not text:
        return None
    date, _, time = text.removesuffix("+00").partition(" ")
    seconds, _, fraction = time.partition(".")
    return f"{date}T{seconds}.{fraction.ljust(6, '0')}Z" if fraction else f"{date}T{seconds}Z"


def _times(values: dict[str, Any], zone: tzinfo) -> list[str | None]:
    return [_when(values[name], zone) for name in _TIMES]


def _body(
    values: dict[str, Any],
    *,
    agent: str,
    supporter_link: str | None,
    times: list[str | None],
    connections: list[dict[str, Any]],
    csm_journal: str,
    zone: tzinfo,
) -> dict[str, Any]:
    """SessionSerializer's body, in its field order, from the columns in ``_BODY_COLUMNS`` and
    the written ``_TIMES``."""
    valid_until, created_at, closed_at, email_sent_at, customer_waiting_since = times
    return {
        "id": str(values["id"]),
        "incident_id": values["incident_id"],
        "code": values["code"],
        "state": str(values["state"]),
        "end_customer_link": values["end_customer_link"],
        "supporter_link": supporter_link,
        "requester_name": values["requester_name"],
        "requester_email": values["requester_email"],
        "description": values["description"],
        "agent": agent,
        "valid_until": valid_until,
        "created_at": created_at,
        "closed_at": closed_at,
        "email_status": str(values["email_status"]),
        "email_sent_at": email_sent_at,
        "connections": [_connection(row, zone) for row in connections],
        "connections_status": connections_status(
            state=values["state"], final=values["connections_final"], error=values["connections_error"]
        ),
        "customer_waiting_since": customer_waiting_since,
        "csm_journal": csm_journal,
    }


def _connection(row: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """One connection report row (``selectors.CONNECTION_COLUMNS``) as the body lists it."""
    return {
        "start": _when(row["start"], zone),
        "end": _when(row["end"], zone),
        "duration_seconds": row["duration_seconds"],
        "supporter": row["supporter"],
        "device": row["device"],
        "notes": row["notes"],
    }


def session_data(session: Session, *, viewer: User | None, csm_journal: str | None = None) -> dict[str, Any]:
    """The session's API body for ``viewer`` (also what a resumed create or close reports).

    ``csm_journal``: the journal's state when the caller knows it (a create just made); else read.
    """
    shown = _shows_link(viewer, session.agent_id)
    values = {name: getattr(session, name) for name in _BODY_COLUMNS}
    connections = session_connections([session.pk] if session.connections_count else [])
    return _body(
        values,
        agent=session.agent.get_username(),
        supporter_link=(session.supporter_link or None) if shown else None,
        times=_times(values, timezone.get_current_timezone()),
        connections=connections.get(session.pk, []),
        csm_journal=csm_journal or journal_state(session_id=session.pk),
        zone=timezone.get_current_timezone(),
    )


def session_list_values(sessions: QuerySet[Session]) -> QuerySet[Session, dict[str, Any]]:
    """What ``session_list_data`` needs of each session, read as plain values: no model instances,
    the supporter link as its ciphertext, so only the links a viewer sees are decrypted, and the
    journal's state in the same query. In UTC the times come as the database's text too (see
    ``_utc_text``)."""
    texts = {f"{name}_text": Cast(name, output_field=TextField()) for name in _TIMES} if _in_utc() else {}
    return sessions.values(
        *(name for name in _BODY_COLUMNS if not (texts and name in _TIMES)),
        agent_login=F(f"agent__{get_user_model().USERNAME_FIELD}"),
        supporter_ciphertext=Cast("supporter_link", output_field=TextField()),
        csm_journal_worst=journal_state_column(f"{table(Session)}.{connection.ops.quote_name('id')}"),
        **texts,
    )


def _in_utc() -> bool:
    return timezone.get_current_timezone_name() == "UTC"


def _row_times(row: dict[str, Any], zone: tzinfo) -> list[str | None]:
    if "created_at_text" in row:
        return [_utc_text(row[f"{name}_text"]) for name in _TIMES]
    return _times(row, zone)


def session_list_data(
    rows: Iterable[dict[str, Any]], *, viewer: User | None
) -> list[dict[str, Any]]:
    """The API bodies of ``session_list_values`` rows for ``viewer``: as ``session_data`` writes them.

    The page's connection rows cost one query, and none when no session on it has any.
    """
    rows = list(rows)
    link_field = cast(EncryptedTextField, Session._meta.get_field("supporter_link"))
    zone = timezone.get_current_timezone()
    connections = session_connections(row["id"] for row in rows if row["connections_count"])
    return [
        _body(
            row,
            agent=row["agent_login"],
            supporter_link=(link_field.from_db_value(row["supporter_ciphertext"], None, None) or None)
            if _shows_link(viewer, row["agent_id"])
            else None,
            times=_row_times(row, zone),
            connections=connections.get(row["id"], []),
            csm_journal=journal_state_of(row["csm_journal_worst"]),
            zone=zone,
        )
        for row in rows
    ]
