"""The Celery tasks (journal_app/tasks.py) and beat's re-drive of notes the broker lost."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from journal_app import tasks
from journal_app.sending import journal_notes_redrive
from journal_app.services import SEND_NOTE_TASK
from tests.factories import JournalNoteFactory
from tests.task_retries import retry_asked

pytestmark = pytest.mark.django_db


def test_the_redrive_hands_over_each_sessions_first_due_note_only(handed_over):
    now = timezone.now()
    session = uuid.uuid4()
    first = JournalNoteFactory(session_id=session, next_attempt_at=now - timedelta(minutes=5))
    JournalNoteFactory(session_id=session, event="closed")  # waits for the first
    other = JournalNoteFactory()
    JournalNoteFactory(next_attempt_at=now + timedelta(minutes=5))  # backing off
    JournalNoteFactory(claimed_until=now + timedelta(minutes=5))  # a worker has it
    JournalNoteFactory(status="written")
    JournalNoteFactory(status="failed")

    assert journal_notes_redrive() == 2
    assert handed_over == [first.pk, other.pk]  # the longest due first


def test_the_redrive_stops_at_a_down_broker_and_leaves_the_notes_pending(monkeypatch):
    calls = []
    monkeypatch.setattr("journal_app.services.outbox_hand_over", lambda *args, **kwargs: calls.append(1) and False)
    JournalNoteFactory(), JournalNoteFactory()

    assert journal_notes_redrive() == 0
    assert len(calls) == 1


def test_a_redriven_note_is_written_once_however_often_it_was_handed_over(csm, handed_over):
    note = JournalNoteFactory(incident_id="INC-7")
    journal_notes_redrive()
    journal_notes_redrive()

    assert [tasks.send_journal_note.run(note_id) for note_id in handed_over] == ["written", "skipped"]
    assert csm.notes("INC-7") == [note.text]


def test_beat_runs_the_redrive_on_its_interval(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["redrive-csm-journal-notes"]
    assert entry["task"] == tasks.redrive_journal_notes.name
    assert entry["schedule"] == settings.CSM_WRITEBACK_REDRIVE_SECONDS


def test_the_send_task_is_registered_under_the_name_notes_are_handed_to():
    assert tasks.send_journal_note.name == SEND_NOTE_TASK


def test_the_send_task_retries_at_the_notes_backoff(csm, settings, monkeypatch):
    settings.CSM_WRITEBACK_RETRY_BASE_SECONDS = 42
    csm.down = True
    note = JournalNoteFactory()

    assert retry_asked(monkeypatch, tasks.send_journal_note, note.pk) == {"countdown": 42}


@pytest.mark.parametrize(("unknown", "outcome"), [(False, "written"), (True, "failed")])
def test_the_send_task_ends_without_retry_when_the_note_is_settled(csm, unknown, outcome):
    note = JournalNoteFactory(incident_id="INC-9")
    if unknown:
        csm.unknown.add("INC-9")
    assert tasks.send_journal_note.run(note.pk) == outcome
