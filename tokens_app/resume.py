"""Actions a TeamViewer login resumes, registered by the apps that own them.

``tokens_app`` knows nothing of sessions: ``sessions_app`` registers "create" and "close" here
at start-up, so the dependency runs one way. An action takes the agent and the keyword arguments
stored with the login flow, and returns a JSON-able result for the page that waits on it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

ResumableAction = Callable[..., dict[str, Any]]

_actions: dict[str, ResumableAction] = {}


def register(name: str) -> Callable[[ResumableAction], ResumableAction]:
    def decorator(action: ResumableAction) -> ResumableAction:
        _actions[name] = action
        return action

    return decorator


def is_registered(name: str) -> bool:
    return name in _actions


def run(name: str, *, agent: AbstractBaseUser, args: dict[str, Any]) -> dict[str, Any]:
    return _actions[name](agent=agent, **args)
