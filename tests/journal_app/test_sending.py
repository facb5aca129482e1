"""Writing one note to CSM (journal_app/sending.py) with the in-memory CSM: written once, through
outages and timeouts, failed clearly for an incident CSM does not know."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from journal_app.models import JournalNote
from journal_app.sending import journal_note_send
from tests.factories import JournalNoteFactory

pytestmark = pytest.mark.django_db


def send(note: JournalNote) -> str:
    return journal_note_send(note_id=note.pk).outcome


def due_now(note: JournalNote) -> None:
    """As if its back-off had passed."""
    JournalNote.objects.filter(pk=note.pk).update(next_attempt_at=timezone.now())


def stored(note: JournalNote) -> JournalNote:
    return JournalNote.objects.get(pk=note.pk)


def test_a_pending_note_is_written_under_its_incident(csm):
    note = JournalNoteFactory(incident_id="INC-7")

    assert send(note) == "written"

    assert csm.notes("INC-7") == [note.text]
    written = stored(note)
    assert (written.status, written.attempts, written.last_error) == ("written", 1, "")
    assert written.written_at is not None and len(written.csm_journal_recid) == 32
    # A first attempt has nothing to look for: it does not read the journal.
    assert csm.count("journal_texts") == 0


def test_a_written_note_is_never_written_again(csm):
    note = JournalNoteFactory()
    send(note)
    due_now(note)

    assert send(note) == "skipped"
    assert csm.count("add_journal_note") == 1


def test_csm_down_retries_with_doubling_waits_then_writes_once(csm, settings):
    settings.CSM_WRITEBACK_RETRY_BASE_SECONDS = 30
    csm.down = True
    note = JournalNoteFactory(incident_id="INC-7")

    first = journal_note_send(note_id=note.pk)
    assert (first.outcome, first.retry_in) == ("retrying", 30)
    assert send(note) == "skipped"  # not due before its back-off has passed
    due_now(note)
    second = journal_note_send(note_id=note.pk)
    assert (second.outcome, second.retry_in) == ("retrying", 60)
    waiting = stored(note)
    assert (waiting.status, waiting.attempts) == ("pending", 2)
    assert waiting.last_error == "attempt 2: CSM unavailable: CSM answered 503"
    assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=50)

    csm.down = False
    due_now(note)
    assert send(note) == "written"
    assert csm.notes("INC-7") == [note.text]
    assert stored(note).last_error == ""


def test_a_save_that_timed_out_after_csm_kept_it_is_found_by_its_marker_not_written_twice(csm):
    csm.times_out_after_saving = 1
    note = JournalNoteFactory(incident_id="INC-7")

    assert send(note) == "retrying"
    assert "may have been saved" in stored(note).last_error
    due_now(note)
    assert send(note) == "written"

    assert csm.notes("INC-7") == [note.text]  # exactly one note in CSM
    assert csm.count("add_journal_note") == 1 and csm.count("journal_texts") == 1
    assert stored(note).csm_journal_recid == ""  # CSM's RecID of it was never heard


def test_a_note_taken_before_but_not_saved_is_looked_for_then_written(csm):
    # A worker that died mid-write leaves the note taken; the next one looks before writing.
    note = JournalNoteFactory(incident_id="INC-7", last_attempt_at=timezone.now() - timedelta(hours=1))

    assert send(note) == "written"
    assert csm.count("journal_texts") == 1 and csm.notes("INC-7") == [note.text]


def test_an_incident_csm_does_not_know_fails_after_one_attempt_with_the_reason(csm):
    csm.unknown.add("INC-404")
    note = JournalNoteFactory(incident_id="INC-404")

    assert send(note) == "failed"

    failed = stored(note)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.last_error == "attempt 1: CSM knows no incident 'INC-404': No Incident with public ID INC-404"
    due_now(note)
    assert send(note) == "skipped"  # never retried by itself
    assert csm.count("find_incident") == 1


def test_after_the_last_attempt_the_note_fails_with_csms_reason(csm, settings):
    settings.CSM_WRITEBACK_MAX_ATTEMPTS = 2
    csm.down = True
    note = JournalNoteFactory()

    assert send(note) == "retrying"
    due_now(note)
    assert send(note) == "failed"

    failed = stored(note)
    assert (failed.status, failed.attempts) == ("failed", 2)
    assert failed.last_error == "attempt 2: CSM unavailable: CSM answered 503"


def test_settings_csm_refuses_pause_every_note_slowly_without_using_up_attempts(csm, settings):
    settings.CSM_WRITEBACK_SLOW_RETRY_SECONDS = 900
    csm.misconfigured = True
    note, other = JournalNoteFactory(incident_id="INC-7"), JournalNoteFactory(incident_id="INC-8")

    result = journal_note_send(note_id=note.pk)

    assert (result.outcome, result.retry_in) == ("waiting", None)
    waiting = stored(note)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert waiting.last_error.startswith("CSM refuses the settings: Invalid client id")
    soon = timezone.now() + timedelta(seconds=800)
    # The other incident's note waits too: one failed login per wait, not one per note.
    assert waiting.next_attempt_at > soon and stored(other).next_attempt_at > soon
    assert send(other) == "skipped" and csm.count("find_incident") == 1

    csm.misconfigured = False
    due_now(note)
    assert send(note) == "written"


def test_an_unexpected_failure_is_recorded_and_retried(csm, monkeypatch):
    monkeypatch.setattr(csm, "find_incident", lambda incident_id: 1 / 0)
    note = JournalNoteFactory()

    assert send(note) == "retrying"
    assert stored(note).last_error == "attempt 1: ZeroDivisionError: division by zero"


def test_a_note_a_worker_holds_is_not_taken_by_another(csm):
    note = JournalNoteFactory(claimed_until=timezone.now() + timedelta(minutes=5))

    assert send(note) == "skipped"
    assert csm.calls == []


def test_a_note_whose_worker_died_is_taken_over_once_its_lease_lapsed(csm):
    note = JournalNoteFactory(claimed_until=timezone.now() - timedelta(seconds=1), last_attempt_at=timezone.now())

    assert send(note) == "written"
