"""Running a Celery task's body as a function, and catching the retry it asks for."""

from __future__ import annotations

from typing import Any

import pytest


class Retry(Exception):
    """What ``task.retry`` raises here (instead of handing the task to the broker)."""


def retry_asked(monkeypatch: pytest.MonkeyPatch, task: Any, *args: Any) -> dict[str, Any]:
    """Run ``task``'s body with ``args``; the keyword arguments of the retry it must ask for."""
    asked: dict[str, Any] = {}

    def retry(**kwargs: Any) -> Retry:
        asked.update(kwargs)
        return Retry()

    monkeypatch.setattr(task, "retry", retry)
    with pytest.raises(Retry):
        task.run(*args)
    return asked
