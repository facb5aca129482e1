"""What the server hands to Celery, caught in the test instead of published (for tests that do
the worker's part themselves): the outbox rows by task, whether sent alone or in one batch."""

from __future__ import annotations

import pytest

from csm_teamviewer import outbox
from sessions_app.services.emails import SEND_INVITATION_TASK


def catch_hand_overs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Every row handed over from now on, by task name (nothing reaches a broker)."""
    caught: dict[str, list] = {}

    def send_task(name: str, args: tuple, **options: object) -> None:
        pairs = args[0] if name == outbox.HAND_ON_TASK else [(name, args[0])]
        for task_name, row_id in pairs:
            caught.setdefault(task_name, []).append(row_id)

    monkeypatch.setattr(outbox.current_app, "send_task", send_task)
    return caught


def catch_invitations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The invitation outbox rows handed to a worker from now on, in order."""
    return catch_hand_overs(monkeypatch).setdefault(SEND_INVITATION_TASK, [])


def let_hand_overs_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo ``catch_hand_overs`` for the rest of the test: rows reach the real broker again."""
    monkeypatch.delattr(outbox.current_app, "send_task", raising=False)
