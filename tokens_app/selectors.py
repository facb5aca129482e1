"""Reading login flows."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from csm_teamviewer.errors import NotFound

from .models import LoginFlow
from .services import _FLOW_TOKEN


def login_flow_status(*, flow_id: str, agent: AbstractBaseUser) -> dict[str, Any]:
    """``{"status", "result"}`` of the agent's own login; ``NotFound`` for anyone else's.

    ``status`` is the flow's (pending, started, completed, failed), or ``expired`` for one that
    ran out before it finished: the page stops waiting on that.
    """
    if not _FLOW_TOKEN.fullmatch(flow_id or ""):
        raise NotFound()
    flow = LoginFlow.objects.filter(flow_id=flow_id, agent=agent).first()
    if flow is None:
        raise NotFound()
    unfinished = flow.status in (LoginFlow.Status.PENDING, LoginFlow.Status.STARTED)
    status = "expired" if unfinished and flow.is_expired else flow.status
    return {"status": status, "result": flow.result if not unfinished else {}}
