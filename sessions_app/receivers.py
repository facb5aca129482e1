"""The audit's ears on tokens_app: logins and forgotten tokens (connected in apps.ready())."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from tokens_app import signals

from .models import AuditEvent
from .services.audit import audit_record


def audit_login(sender: Any, *, agent: AbstractBaseUser, flow: Any, **kwargs: Any) -> None:
    detail = f"resumes {flow.action}" if getattr(flow, "action", "") else ""
    audit_record(action=AuditEvent.Action.LOGIN, actor=agent, detail=detail, via="oauth")


def audit_disconnect(sender: Any, *, agent: AbstractBaseUser, reason: str, **kwargs: Any) -> None:
    # "disconnected" is the agent's own choice; other reasons are TeamViewer refusing the token.
    outcome = "ok" if reason == "disconnected" else "token_forgotten"
    audit_record(action=AuditEvent.Action.DISCONNECT, actor=agent, outcome=outcome, detail=reason)


def connect() -> None:
    signals.login_completed.connect(audit_login, dispatch_uid="sessions_app.audit_login")
    signals.token_forgotten.connect(audit_disconnect, dispatch_uid="sessions_app.audit_disconnect")
