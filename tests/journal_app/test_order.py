"""A session's notes are written in order; a failed note, or another incident, holds none up."""

from __future__ import annotations

import uuid

import pytest

from journal_app.models import JournalNote
from journal_app.sending import journal_note_send
from tests.factories import JournalNoteFactory

pytestmark = pytest.mark.django_db

SESSION = uuid.uuid4()


def send(note: JournalNote) -> str:
    return journal_note_send(note_id=note.pk).outcome


def test_a_later_note_waits_for_the_earlier_then_is_handed_over_when_it_is_written(
    csm, handed_over, django_capture_on_commit_callbacks
):
    created = JournalNoteFactory(session_id=SESSION, event="created", incident_id="INC-7")
    closed = JournalNoteFactory(session_id=SESSION, event="closed", incident_id="INC-7")

    assert send(closed) == "skipped"  # its turn has not come: no attempt counted
    assert JournalNote.objects.get(pk=closed.pk).attempts == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert send(created) == "written"
    assert handed_over == [closed.pk]
    assert send(closed) == "written"

    assert csm.notes("INC-7") == [created.text, closed.text]


def test_a_later_note_waits_while_the_earlier_one_backs_off(csm):
    created = JournalNoteFactory(session_id=SESSION, incident_id="INC-7")
    closed = JournalNoteFactory(session_id=SESSION, event="closed", incident_id="INC-7")
    csm.down = True
    assert send(created) == "retrying"
    csm.down = False

    assert send(closed) == "skipped"
    assert csm.notes("INC-7") == []


def test_a_failed_note_does_not_hold_its_sessions_later_notes(
    csm, handed_over, settings, django_capture_on_commit_callbacks
):
    settings.CSM_WRITEBACK_MAX_ATTEMPTS = 1
    created = JournalNoteFactory(session_id=SESSION, incident_id="INC-7")
    closed = JournalNoteFactory(session_id=SESSION, event="closed", incident_id="INC-7")
    csm.down = True
    with django_capture_on_commit_callbacks(execute=True):
        assert send(created) == "failed"
    assert handed_over == [closed.pk]
    csm.down = False

    assert send(closed) == "written"
    assert csm.notes("INC-7") == [closed.text]


def test_an_incident_csm_does_not_know_holds_up_no_other_incident(csm):
    csm.unknown.add("INC-404")
    lost = JournalNoteFactory(incident_id="INC-404")
    others = [JournalNoteFactory(incident_id=f"INC-{n}") for n in range(3)]

    assert [send(note) for note in [lost, *others]] == ["failed", "written", "written", "written"]
    assert [csm.notes(f"INC-{n}") for n in range(3)] == [[note.text] for note in others]


def test_notes_of_other_sessions_of_the_same_incident_do_not_wait_for_each_other(csm):
    csm.down = True
    stuck = JournalNoteFactory(incident_id="INC-7")
    assert send(stuck) == "retrying"
    csm.down = False

    other_session = JournalNoteFactory(incident_id="INC-7")
    assert send(other_session) == "written"
