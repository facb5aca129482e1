"""The actions a TeamViewer login carries out once it completes, registered by the apps that own them.

``tokens_app`` knows nothing of sessions: ``sessions_app`` registers "create" and "close" here
at start-up (``sessions_app/login_actions.py``), so the dependency runs one way. An action takes
the agent and the keyword arguments stored with the login flow, and returns its answer: a
JSON-able dict that becomes ``LoginResult.answer`` (``login_result.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User

PendingAction = Callable[..., dict[str, Any]]

_actions: dict[str, PendingAction] = {}


def register(name: str) -> Callable[[PendingAction], PendingAction]:
    def decorator(action: PendingAction) -> PendingAction:
        _actions[name] = action
        return action

    return decorator


def is_registered(name: str) -> bool:
    return name in _actions


def run(name: str, *, agent: User, args: dict[str, Any]) -> dict[str, Any]:
    return _actions[name](agent=agent, **args)
