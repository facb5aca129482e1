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
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import F, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from csm_teamviewer.crypto import EncryptedTextField
from journal_app.selectors import journal_state, journal_state_column, journal_state_of

from .models import Session
from .row_sql import table

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
)


def _shows_link(viewer: AbstractBaseUser | None, agent_id: int) -> bool:
    return viewer is not None and (viewer.pk == agent_id or getattr(viewer, "is_staff", False))


def _when(value: datetime | None, zone: tzinfo) -> str | None:
    """As DRF's DateTimeField writes it: ISO 8601 in the current time zone, UTC as ``Z``."""
    if not value:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _body(
    values: dict[str, Any], *, agent: str, supporter_link: str | None, csm_journal: str, zone: tzinfo
) -> dict[str, Any]:
    """SessionSerializer's body, in its field order, from the columns in ``_BODY_COLUMNS``."""
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
        "valid_until": _when(values["valid_until"], zone),
        "created_at": _when(values["created_at"], zone),
        "closed_at": _when(values["closed_at"], zone),
        "email_status": str(values["email_status"]),
        "email_sent_at": _when(values["email_sent_at"], zone),
        "customer_waiting_since": _when(values["customer_waiting_since"], zone),
        "csm_journal": csm_journal,
    }


def session_data(
    session: Session, *, viewer: AbstractBaseUser | None, csm_journal: str | None = None
) -> dict[str, Any]:
    """The session's API body for ``viewer`` (also what a resumed create or close reports).

    ``csm_journal``: the journal's state when the caller knows it (a create just made); else read.
    """
    shown = _shows_link(viewer, session.agent_id)
    return _body(
        {name: getattr(session, name) for name in _BODY_COLUMNS},
        agent=session.agent.get_username(),
        supporter_link=(session.supporter_link or None) if shown else None,
        csm_journal=csm_journal or journal_state(session_id=session.pk),
        zone=timezone.get_current_timezone(),
    )


def session_list_values(sessions: QuerySet[Session]) -> QuerySet[Session, dict[str, Any]]:
    """What ``session_list_data`` needs of each session, read as plain values: no model instances,
    the supporter link as its ciphertext, so only the links a viewer sees are decrypted, and the
    journal's state in the same query."""
    return sessions.values(
        *_BODY_COLUMNS,
        agent_login=F(f"agent__{get_user_model().USERNAME_FIELD}"),
        supporter_ciphertext=Cast("supporter_link", output_field=TextField()),
        csm_journal_worst=journal_state_column(f"{table(Session)}.{connection.ops.quote_name('id')}"),
    )


def session_list_data(
    rows: Iterable[dict[str, Any]], *, viewer: AbstractBaseUser | None
) -> list[dict[str, Any]]:
    """The API bodies of ``session_list_values`` rows for ``viewer``: as ``session_data`` writes them."""
    link_field = cast(EncryptedTextField, Session._meta.get_field("supporter_link"))
    zone = timezone.get_current_timezone()
    return [
        _body(
            row,
            agent=row["agent_login"],
            supporter_link=(link_field.from_db_value(row["supporter_ciphertext"], None, None) or None)
            if _shows_link(viewer, row["agent_id"])
            else None,
            csm_journal=journal_state_of(row["csm_journal_worst"]),
            zone=zone,
        )
        for row in rows
    ]
