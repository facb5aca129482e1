"""Handing outbox rows over by NOTIFY (``OUTBOX_NOTIFY``): the payloads, the broker as the
fallback, and the re-drive that always publishes itself. The listener's side is in
test_outbox_listener.py; a create through the API in tests/sessions_app/test_api_hand_over.py."""

from __future__ import annotations

import json
import logging

import pytest
from kombu.exceptions import OperationalError as BrokerError

from csm_teamviewer import outbox
from csm_teamviewer.observability.request_ids import bind_request_id, unbind_request_id
from csm_teamviewer.outbox import (
    NOTIFY_PAYLOAD_LIMIT,
    HandOver,
    outbox_hand_over,
    outbox_hand_over_all,
    outbox_notify_payloads,
    outbox_redrive,
)

pytestmark = pytest.mark.django_db(transaction=True)

SEND = "sessions_app.tasks.send_invitation"
NOTE = "journal_app.tasks.send_journal_note"


@pytest.fixture
def published(monkeypatch, settings) -> list[tuple[str, tuple]]:
    """What reaches the broker; NOTIFY is on (as on PostgreSQL by default)."""
    settings.OUTBOX_NOTIFY = True
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(outbox.current_app, "send_task", lambda name, args=(), **options: sent.append((name, args)))
    return sent


def test_rows_are_notified_on_the_channel_with_the_request_id_and_nothing_is_published(heard, published):
    assert outbox_hand_over_all([HandOver(SEND, 7, what="invitation 7"), HandOver(NOTE, 8, what="note 8")])
    token = bind_request_id("req-42")
    try:
        assert outbox_hand_over(SEND, 9, what="invitation 9")
    finally:
        unbind_request_id(token)

    assert [json.loads(payload) for payload in heard.payloads(count=2)] == [
        {"request_id": "-", "rows": [[SEND, 7], [NOTE, 8]]},
        {"request_id": "req-42", "rows": [[SEND, 9]]},
    ]
    assert published == []


def test_with_notify_off_the_rows_go_to_the_broker(heard, published, settings):
    settings.OUTBOX_NOTIFY = False
    outbox_hand_over_all([HandOver(SEND, 7, what="invitation 7"), HandOver(NOTE, 8, what="note 8")])

    assert published == [(outbox.HAND_ON_TASK, ([[SEND, 7], [NOTE, 8]],))]
    assert heard.payloads(0.3) == []


def test_on_a_database_without_notify_the_rows_go_to_the_broker(heard, published, monkeypatch):
    monkeypatch.setattr(outbox.connection, "vendor", "sqlite")
    outbox_hand_over(SEND, 7, what="invitation 7")

    assert published == [(SEND, (7,))]
    assert heard.payloads(0.3) == []


def test_a_failing_notify_falls_back_to_the_broker(heard, published, monkeypatch, caplog):
    monkeypatch.setattr(outbox, "NOTIFY_CHANNEL", "")  # PostgreSQL refuses an empty channel name
    with caplog.at_level(logging.WARNING, logger="csm_teamviewer.outbox"):
        assert outbox_hand_over(SEND, 7, what="invitation 7")

    assert published == [(SEND, (7,))]
    assert "NOTIFY failed" in caplog.text and "invitation 7" in caplog.text


def test_notify_and_broker_both_failing_leave_the_rows_and_raise_nothing(heard, monkeypatch, settings, caplog):
    settings.OUTBOX_NOTIFY = True
    monkeypatch.setattr(outbox, "NOTIFY_CHANNEL", "")

    def broker_down(*args, **kwargs):
        raise BrokerError("connection refused")

    monkeypatch.setattr(outbox.current_app, "send_task", broker_down)
    with caplog.at_level(logging.WARNING, logger="csm_teamviewer.outbox"):
        assert not outbox_hand_over_all([HandOver(SEND, 7, what="invitation 7"), HandOver(NOTE, 8, what="note 8")])
    assert "stays queued for the re-drive" in caplog.text


def test_a_large_batch_is_split_into_notifies_under_the_limit(heard, published):
    batch = [HandOver(SEND, 10**12 + number, what=f"invitation {number}") for number in range(600)]
    assert outbox_hand_over_all(batch)

    payloads = heard.payloads()
    assert len(payloads) > 1
    assert all(len(payload.encode()) < NOTIFY_PAYLOAD_LIMIT for payload in payloads)
    assert [pair for payload in payloads for pair in json.loads(payload)["rows"]] == [
        [SEND, row.row_id] for row in batch
    ]
    assert published == []


def test_payloads_fill_up_to_just_under_the_limit():
    item = json.dumps([SEND, 1], separators=(",", ":"))
    frame = len('{"request_id":"r","rows":[]}') - 1  # and a comma after every row but the last
    fits = (NOTIFY_PAYLOAD_LIMIT - 1 - frame) // (len(item) + 1)
    payloads = list(outbox_notify_payloads([[SEND, 1]] * (fits + 1), request_id="r"))
    assert [len(json.loads(payload)["rows"]) for payload in payloads] == [fits, 1]
    assert NOTIFY_PAYLOAD_LIMIT - len(item) - 1 <= len(payloads[0]) < NOTIFY_PAYLOAD_LIMIT


def test_the_redrive_publishes_to_the_broker_itself_even_with_notify_on(heard, published):
    handed = outbox_redrive([1, 2], hand_over=lambda row_id: outbox_hand_over(SEND, row_id, what="row"), what="rows")

    assert handed == 2 and published == [(SEND, (1,)), (SEND, (2,))]
    assert heard.payloads(0.3) == []
    # …and only while it runs: the next hand-over is notified again.
    outbox_hand_over(SEND, 3, what="row")
    assert heard.pairs(count=1) == [[SEND, 3]] and len(published) == 2
