"""Reading login flows."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth.models import AnonymousUser, User

from csm_teamviewer.errors import NotFound

from .login_result import LoginResult
from .models import LoginFlow
from .services import _FLOW_TOKEN


def login_flow_own(*, flow_id: str, agent: User) -> LoginFlow:
    """The agent's own login with that id; ``NotFound`` for a malformed, unknown or foreign id
    (never a 403: another agent's login is not even said to exist)."""
    if not _FLOW_TOKEN.fullmatch(flow_id or ""):
        raise NotFound()
    flow = LoginFlow.objects.filter(flow_id=flow_id, agent=agent).first()
    if flow is None:
        raise NotFound()
    return flow


def login_flow_status(*, flow_id: str, agent: User) -> dict[str, Any]:
    """``{"status", "result"}`` of the agent's own login; ``NotFound`` for anyone else's.

    ``status`` is the flow's (pending, started, completed, failed), or ``expired`` for one that
    ran out before it finished: the page stops waiting on that. ``result`` is the finished
    flow's ``LoginResult`` as JSON, ``{}`` before then.
    """
    flow = login_flow_own(flow_id=flow_id, agent=agent)
    unfinished = flow.status in (LoginFlow.Status.PENDING, LoginFlow.Status.STARTED)
    status = "expired" if unfinished and flow.is_expired else flow.status
    result = None if unfinished else LoginResult.from_json(flow.result)
    return {"status": status, "result": result.to_json() if result else {}}


# The links that let whoever holds them into a session as its supporter (TeamViewer admin).
SESSION_LINK_KEYS = frozenset({"supporter_link", "webclient_supporter_link"})


def login_flow_result(*, flow: LoginFlow, viewer: User | AnonymousUser | None) -> LoginResult | None:
    """The flow's result as ``viewer`` may see it: session links only for the flow's own agent.

    The pop-up's done page reaches whichever browser holds the login cookie; that browser need
    not be signed in here as the agent the login was for.
    """
    result = LoginResult.from_json(flow.result)
    if result is None or (viewer is not None and viewer.is_authenticated and viewer.pk == flow.agent_id):
        return result
    return replace(result, answer=_without_session_links(result.answer))


def _without_session_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: None if k in SESSION_LINK_KEYS else _without_session_links(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_session_links(item) for item in value]
    return value
