"""Handing several outbox rows over in one broker message, and on to their tasks in the worker
(the broker's way: OUTBOX_NOTIFY off; tests/csm_teamviewer/test_outbox_notify.py has the other)."""

from __future__ import annotations

import pytest

from csm_teamviewer import outbox
from csm_teamviewer.celery import hand_on
from csm_teamviewer.outbox import HAND_ON_TASK, HandOver, outbox_hand_over_all, outbox_hand_over_on_commit


@pytest.fixture
def published(monkeypatch, settings):
    settings.OUTBOX_NOTIFY = False
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(outbox.current_app, "send_task", lambda name, args, **options: sent.append((name, args)))
    return sent


def test_one_row_goes_straight_to_its_task(published):
    assert outbox_hand_over_all([HandOver("app.tasks.send", 7, what="row 7")])
    assert published == [("app.tasks.send", (7,))]


def test_several_rows_go_in_one_message_and_the_worker_hands_each_on(published):
    outbox_hand_over_all([HandOver("a.send", 1, what="a 1"), HandOver("b.send", 2, what="b 2")])
    assert published == [(HAND_ON_TASK, ([["a.send", 1], ["b.send", 2]],))]

    assert hand_on.run([["a.send", 1], ["b.send", 2]]) == 2
    assert published[1:] == [("a.send", (1,)), ("b.send", (2,))]


def test_the_hand_on_task_is_registered_under_its_name():
    assert hand_on.name == HAND_ON_TASK


@pytest.mark.django_db
def test_nothing_is_handed_over_before_the_commit(published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outbox_hand_over_on_commit(HandOver("a.send", 1, what="a 1"), None)
        assert published == []
    assert published == [("a.send", (1,))]


def test_a_down_broker_leaves_the_rows_for_the_redrive(monkeypatch, settings):
    settings.OUTBOX_NOTIFY = False
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(outbox.current_app, "send_task", refuse)
    assert not outbox_hand_over_all([HandOver("a.send", 1, what="a 1"), HandOver("b.send", 2, what="b 2")])
