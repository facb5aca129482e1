"""Writing a note to the outbox (journal_app/services.py): with its event's transaction, for the
events CSM_WRITEBACK_EVENTS names, handed to a worker once the transaction commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction

from journal_app.facts import ClosedFacts, CreatedFacts, ExpiredFacts
from journal_app.models import JournalNote
from journal_app.services import SEND_NOTE_TASK, journal_note, journal_note_row, journal_notes_add

pytestmark = pytest.mark.django_db

SESSION = uuid.UUID("6a0e4a8e-0000-4000-8000-000000000001")
CLOSED = ClosedFacts(code="s12-345-678", by="agent.smith")


def _closed_note() -> JournalNote | None:
    return journal_note(session_id=SESSION, incident_id="INC-7", event="closed", facts=CLOSED)


def test_a_note_is_written_pending_with_its_marker_in_its_text_and_handed_over_on_commit(
    handed_over, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        note = _closed_note()
        assert handed_over == []  # not before the event commits

    stored = JournalNote.objects.get()
    assert (stored.pk, stored.session_id, stored.incident_id, stored.event) == (note.pk, SESSION, "INC-7", "closed")
    assert (stored.status, stored.attempts, stored.language) == ("pending", 0, "ja")
    assert stored.marker.startswith("[TV-") and stored.text.splitlines()[0].endswith(stored.marker)
    assert handed_over == [stored.pk]


def test_a_rolled_back_event_leaves_no_note_and_hands_nothing_over(handed_over, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _closed_note()
            raise RuntimeError("the event's transaction fails")

    assert not JournalNote.objects.exists()
    assert handed_over == []


@pytest.mark.parametrize(
    ("events", "written"),
    [
        (("created", "emailed", "customer_waiting", "closed", "expired", "report"), True),
        (("closed",), True),
        (("created", "expired"), False),
        ((), False),
    ],
)
def test_only_the_events_named_in_the_setting_are_written(settings, handed_over, events, written):
    settings.CSM_WRITEBACK_EVENTS = events

    note = _closed_note()

    assert (note is not None) == written == JournalNote.objects.exists()


def test_each_note_gets_its_own_marker():
    markers = {_closed_note().marker for _ in range(20)}
    assert len(markers) == 20


def test_the_note_is_rendered_in_the_journal_language(settings):
    settings.CSM_JOURNAL_LANGUAGE = "en"
    note = _closed_note()
    assert note.language == "en"
    assert note.text.splitlines()[1:] == ["Session code: s12-345-678", "Closed by: agent.smith"]


def test_facts_of_another_event_are_refused():
    with pytest.raises(TypeError, match="CreatedFacts"):
        journal_note(session_id=SESSION, incident_id="INC-7", event="created", facts=CLOSED)


def test_a_batch_is_one_insert_and_each_note_is_handed_over(
    handed_over, django_capture_on_commit_callbacks, django_assert_num_queries
):
    until = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    rows = [
        journal_note_row(
            session_id=uuid.uuid4(), incident_id=f"INC-{n}", event="expired", facts=ExpiredFacts("s1", until)
        )
        for n in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with django_assert_num_queries(1):
            written = journal_notes_add(rows)

    assert sorted(handed_over) == sorted(note.pk for note in written) == sorted(
        JournalNote.objects.values_list("pk", flat=True)
    )


def test_nothing_is_written_for_an_event_turned_off(settings, django_assert_num_queries):
    settings.CSM_WRITEBACK_EVENTS = ("closed",)
    facts = CreatedFacts(code="s1", valid_until=datetime(2026, 12, 8, tzinfo=UTC), agent="a")
    with django_assert_num_queries(0):
        assert journal_note_row(session_id=SESSION, incident_id="INC-7", event="created", facts=facts) is None
        assert journal_notes_add([None]) == []


def test_handing_over_goes_to_the_send_task_by_name(monkeypatch, settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_NOTIFY = False
    sent = []
    monkeypatch.setattr(
        "csm_teamviewer.outbox.current_app.send_task", lambda name, args, retry_policy: sent.append((name, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        note = _closed_note()
    assert sent == [(SEND_NOTE_TASK, (note.pk,))]
