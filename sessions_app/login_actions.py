"""The actions a TeamViewer login carries out: "create" and "close", registered with tokens_app.

A create or close that met "login required" stored its arguments with the login; when the
login completes, tokens_app runs the action here, so the agent never presses anything twice.
Each returns its answer, which the login keeps as ``LoginResult.answer`` (tokens_app/login_result.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from tokens_app import pending_actions

from .selectors import session_get
from .services.create import SessionRequest, session_create
from .services.sessions import session_close
from .session_body import session_data

VIA = "login"


def resume_create(*, agent: User, **args: Any) -> dict[str, Any]:
    session, created = session_create(agent=agent, session_request=SessionRequest.from_json(args), via=VIA)
    return {"session": session_data(session, viewer=agent), "created": created}


def resume_close(*, agent: User, session_id: str) -> dict[str, Any]:
    session = session_close(session=session_get(session_id=session_id), actor=agent, via=VIA)
    return {"session": session_data(session, viewer=agent)}


def register_actions() -> None:
    pending_actions.register("create")(resume_create)
    pending_actions.register("close")(resume_close)
