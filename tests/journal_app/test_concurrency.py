"""Two workers sending one note at once, on PostgreSQL: one of them writes it, once."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from journal_app.models import JournalNote
from journal_app.sending import journal_note_send
from tests.factories import JournalNoteFactory
from tests.threads import run_in_threads

WORKERS = 4


@pytest.mark.postgres
@pytest.mark.timeout(60)
def test_workers_racing_for_one_note_write_it_once(requires_postgres, transactional_db, csm, monkeypatch):
    note = JournalNoteFactory(incident_id="INC-RACE")
    save = csm.add_journal_note

    def slow_save(incident, text):
        time.sleep(0.3)  # CSM takes its time: the others must not write meanwhile
        return save(incident, text)

    monkeypatch.setattr(csm, "add_journal_note", slow_save)
    start = threading.Barrier(WORKERS)
    outcomes: list[str] = []

    def one_worker() -> None:
        try:
            start.wait()
            outcomes.append(journal_note_send(note_id=note.pk).outcome)
        finally:
            connection.close()

    run_in_threads(one_worker, WORKERS, timeout=30)

    assert sorted(outcomes) == ["skipped"] * (WORKERS - 1) + ["written"]
    assert csm.notes("INC-RACE") == [note.text]
    assert JournalNote.objects.get(pk=note.pk).attempts == 1
