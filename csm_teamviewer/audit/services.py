"""Writing the audit trail: every create, email, join, close and login, with who, when and how it ended."""
from __future__ import annotations

import uuid
from typing import Protocol

from django.contrib.auth.models import User

from csm_teamviewer.errors import ServiceError

from .models import AuditEvent


class AuditedSession(Protocol):
    """What the audit reads from a session (the shell imports no app's models)."""

    @property
    def pk(self) -> uuid.UUID: ...

    @property
    def incident_id(self) -> str: ...

    @property
    def code(self) -> str: ...


def audit_record(
    *,
    action: str,
    actor: User | None,
    incident_id: str = "",
    session: AuditedSession | None = None,
    outcome: str = "ok",
    detail: str = "",
    via: str = "",
) -> AuditEvent:
    """Write one audit row (see ``audit_event``)."""
    row = audit_event(
        action=action, actor=actor, incident_id=incident_id, session=session, outcome=outcome, detail=detail, via=via
    )
    row.save(force_insert=True)
    return row


def audit_event(
    *,
    action: str,
    actor: User | None,
    incident_id: str = "",
    session: AuditedSession | None = None,
    outcome: str = "ok",
    detail: str = "",
    via: str = "",
) -> AuditEvent:
    """The audit row, not yet written (a create writes it in the statement that records the session)."""
    return AuditEvent(
        action=action,
        # By id: callers hold an User; the field is typed with the concrete user model.
        actor_id=actor.pk if actor is not None else None,
        incident_id=incident_id or (session.incident_id if session else ""),
        session_id=session.pk if session else None,
        session_code=session.code if session else "",
        outcome=outcome,
        detail=detail[:2000],
        via=via,
    )


def audit_failure(
    *,
    action: str,
    actor: User | None,
    exc: ServiceError,
    via: str,
    session: AuditedSession | None = None,
    incident_id: str = "",
) -> None:
    """Record a refused or failed action with the error's code as its outcome."""
    audit_record(
        action=action,
        actor=actor,
        session=session,
        incident_id=incident_id,
        outcome=exc.code,
        detail=exc.detail,
        via=via,
    )
