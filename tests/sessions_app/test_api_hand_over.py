"""A request hands the rows it wrote to the worker once its transaction commits: by NOTIFY on
PostgreSQL (``OUTBOX_NOTIFY``), without a broker publish; through the broker when that is off or
fails; and the request succeeds with the rows left queued when neither takes them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from kombu.exceptions import OperationalError as BrokerError

from csm_teamviewer import outbox
from journal_app.models import JournalNote
from journal_app.services import SEND_NOTE_TASK
from sessions_app.models import InvitationEmail
from sessions_app.services.emails import SEND_INVITATION_TASK

from .conftest import API, TV_SESSIONS, tv_session_body

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"incident_id": "INC-1001", "requester_email": "hanako@example.com", "language": "en"}


@pytest.fixture
def published(monkeypatch, settings) -> list[tuple[str, tuple]]:
    settings.OUTBOX_NOTIFY = True
    settings.CSM_WRITEBACK_EVENTS = ("created", "emailed", "closed")
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr(outbox.current_app, "send_task", lambda name, args=(), **options: sent.append((name, args)))
    return sent


def _create(api, tv) -> tuple[InvitationEmail, JournalNote]:
    tv.post(TV_SESSIONS, json=tv_session_body())
    response = api.post(f"{API}/sessions/", BODY, format="json")
    assert response.status_code == 201
    return InvitationEmail.objects.get(), JournalNote.objects.get(event="created")


def test_a_create_notifies_its_rows_once_committed_and_publishes_nothing(api, tv, tv_token, heard, published):
    email, note = _create(api, tv)

    assert heard.pairs(count=1) == [[SEND_INVITATION_TASK, email.pk], [SEND_NOTE_TASK, note.pk]]
    assert published == []


def test_a_creates_notify_rides_in_its_record_statement(api, tv, tv_token, heard, published):
    with CaptureQueriesContext(connection) as queries:
        email, note = _create(api, tv)

    notifying = [query["sql"] for query in queries if "pg_notify" in query["sql"]]
    assert len(notifying) == 1 and notifying[0].startswith("WITH opened AS")
    assert heard.pairs(count=1) == [[SEND_INVITATION_TASK, email.pk], [SEND_NOTE_TASK, note.pk]]


def test_a_resend_notifies_its_invitation(api, open_session, heard, published):
    assert api.post(f"{API}/sessions/{open_session.pk}/email/", format="json").status_code == 202

    assert heard.pairs(count=1) == [[SEND_INVITATION_TASK, InvitationEmail.objects.get().pk]]
    assert published == []


def test_with_notify_off_a_create_publishes_to_the_broker(api, tv, tv_token, heard, published, settings):
    settings.OUTBOX_NOTIFY = False
    email, note = _create(api, tv)

    assert published == [(outbox.HAND_ON_TASK, ([[SEND_INVITATION_TASK, email.pk], [SEND_NOTE_TASK, note.pk]],))]
    assert heard.payloads(0.3) == []


def test_a_create_whose_notify_fails_publishes_to_the_broker(api, tv, tv_token, heard, published, monkeypatch):
    monkeypatch.setattr(outbox, "NOTIFY_CHANNEL", "")  # PostgreSQL refuses an empty channel name
    email, note = _create(api, tv)

    assert published == [(outbox.HAND_ON_TASK, ([[SEND_INVITATION_TASK, email.pk], [SEND_NOTE_TASK, note.pk]],))]


def test_a_create_succeeds_with_its_rows_queued_when_notify_and_broker_fail(api, tv, tv_token, monkeypatch, settings):
    settings.OUTBOX_NOTIFY = True
    monkeypatch.setattr(outbox, "NOTIFY_CHANNEL", "")

    def broker_down(*args, **kwargs):
        raise BrokerError("connection refused")

    monkeypatch.setattr(outbox.current_app, "send_task", broker_down)
    email, _note = _create(api, tv)

    assert email.status == InvitationEmail.Status.QUEUED
