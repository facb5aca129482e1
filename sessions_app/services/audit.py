"""The audit trail: every create, email, join, close and login, with who, when and how it ended."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from csm_teamviewer.errors import ServiceError

from ..models import AuditEvent, Session


def audit_record(**event: Any) -> AuditEvent:
    """Write the audit row ``audit_event(**event)`` describes."""
    row = audit_event(**event)
    row.save(force_insert=True)
    return row


def audit_event(
    *,
    action: str,
    actor: AbstractBaseUser | None,
    incident_id: str = "",
    session: Session | None = None,
    outcome: str = "ok",
    detail: str = "",
    via: str = "",
) -> AuditEvent:
    """The audit row, not yet written (a create writes it in the statement that records the session)."""
    return AuditEvent(
        action=action,
        actor=actor,
        incident_id=incident_id or (session.incident_id if session else ""),
        session=session,
        session_code=session.code if session else "",
        outcome=outcome,
        detail=detail[:2000],
        via=via,
    )


def audit_failure(
    *,
    action: str,
    actor: AbstractBaseUser | None,
    exc: ServiceError,
    via: str,
    session: Session | None = None,
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
