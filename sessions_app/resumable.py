"""The actions a TeamViewer login resumes: "create" and "close", registered with tokens_app.

A create or close that met "login required" stored its arguments with the login; when the
login completes, tokens_app runs the action here, so the agent never presses anything twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from tokens_app import resume

from .selectors import session_get
from .serializers import session_data
from .services.create import SessionRequest, session_create
from .services.sessions import session_close

VIA = "login"


def resume_create(*, agent: AbstractBaseUser, **args: Any) -> dict[str, Any]:
    session, created = session_create(agent=agent, session_request=SessionRequest.from_json(args), via=VIA)
    return {"session": session_data(session, viewer=agent), "created": created}


def resume_close(*, agent: AbstractBaseUser, session_id: str) -> dict[str, Any]:
    session = session_close(session=session_get(session_id=session_id), actor=agent, via=VIA)
    return {"session": session_data(session, viewer=agent)}


def register_actions() -> None:
    resume.register("create")(resume_create)
    resume.register("close")(resume_close)
