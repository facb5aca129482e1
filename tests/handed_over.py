"""What the server hands to Celery, caught in the test instead of handed over (for tests that do
the worker's part themselves): the outbox rows by task, whichever way they would have gone (a
NOTIFY, one message, or a batch), caught where the outbox chooses that way."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from django.conf import settings

from csm_teamviewer import outbox
from sessions_app.services.emails import SEND_INVITATION_TASK

_HAND_OVER_ALL = outbox.outbox_hand_over_all
_NOTIFY = settings.OUTBOX_NOTIFY


def catch_hand_overs(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Every row handed over from now on, by task name (nothing reaches a broker or a listener)."""
    caught: dict[str, list] = {}

    def hand_over_all(batch: Sequence[outbox.HandOver]) -> bool:
        for hand_over in batch:
            caught.setdefault(hand_over.task_name, []).append(hand_over.row_id)
        return True

    monkeypatch.setattr(outbox, "outbox_hand_over_all", hand_over_all)
    # A create's own statement would NOTIFY its rows: without NOTIFY they come here instead.
    monkeypatch.setattr(settings, "OUTBOX_NOTIFY", False)
    return caught


def catch_invitations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The invitation outbox rows handed to a worker from now on, in order."""
    return catch_hand_overs(monkeypatch).setdefault(SEND_INVITATION_TASK, [])


def let_hand_overs_through(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo ``catch_hand_overs`` for the rest of the test: rows are handed over for real again."""
    monkeypatch.setattr(outbox, "outbox_hand_over_all", _HAND_OVER_ALL)
    monkeypatch.setattr(settings, "OUTBOX_NOTIFY", _NOTIFY)
