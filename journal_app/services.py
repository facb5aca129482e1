"""Telling an incident's CSM journal what happened to its sessions: the notes' outbox.

A caller hands over an event and its facts inside the transaction that records the event:
``journal_note`` writes the note (rendered now, in ``CSM_JOURNAL_LANGUAGE``) to the outbox and
hands it to a worker once that transaction commits, so a note exists exactly when its event
does. Events left out of ``CSM_WRITEBACK_EVENTS`` write nothing. Writing to CSM is in
``sending.py``; the worker's task is found by name, so no service imports the task module.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from csm_teamviewer.leases import lease_free
from csm_teamviewer.outbox import HandOver, outbox_hand_over

from .facts import Facts
from .models import JournalNote
from .notes import note_render

# The task that writes one note (journal_app/tasks.py registers itself under this name).
SEND_NOTE_TASK = "journal_app.tasks.send_journal_note"


def journal_note_row(*, session_id: uuid.UUID, incident_id: str, event: str, facts: Facts) -> JournalNote | None:
    """The event's note, rendered and not yet written; None when the event is not written back.

    For a caller that writes rows its own way (one statement, a batch): it must then call
    ``journal_enqueue_on_commit`` with the written note.
    """
    if event not in settings.CSM_WRITEBACK_EVENTS:
        return None
    note = JournalNote(
        session_id=session_id, incident_id=incident_id, event=event, language=settings.CSM_JOURNAL_LANGUAGE
    )
    note.text = note_render(event, facts, marker=note.marker, language=note.language)
    return note


def journal_note(*, session_id: uuid.UUID, incident_id: str, event: str, facts: Facts) -> JournalNote | None:
    """Write the event's note to the outbox; sent once the caller's transaction commits.

    Call inside the transaction that records the event. None when the event is not written back.
    """
    return journal_note_write(journal_note_row(session_id=session_id, incident_id=incident_id, event=event, facts=facts))


def journal_note_write(note: JournalNote | None) -> JournalNote | None:
    """Write a ``journal_note_row`` note (None: nothing to write); sent once the caller commits."""
    if note is not None:
        note.save(force_insert=True)
        journal_enqueue_on_commit([note.pk])
    return note


def journal_notes_add(notes: Iterable[JournalNote | None]) -> list[JournalNote]:
    """Write a batch of ``journal_note_row`` notes in one INSERT; each sent once the caller commits."""
    written = JournalNote.objects.bulk_create([note for note in notes if note is not None])
    journal_enqueue_on_commit([note.pk for note in written])
    return written


def journal_enqueue_on_commit(note_ids: list[int]) -> None:
    if note_ids:
        transaction.on_commit(lambda: [journal_enqueue(note_id) for note_id in note_ids])


def journal_enqueue(note_id: int) -> bool:
    """Hand a note to a worker; False (the note waits for the re-drive) when the broker is down."""
    return outbox_hand_over(SEND_NOTE_TASK, note_id, what=f"journal note {note_id}")


def journal_hand_over(note_id: int) -> HandOver:
    return HandOver(SEND_NOTE_TASK, note_id, what=f"journal note {note_id}")


def journal_notes_retry(*, note_ids: Iterable[int]) -> int:
    """Queue failed notes again with a fresh series of attempts (the admin's "Retry"); how many.

    A retried note still looks for its marker in the journal first (it was taken before), so a
    note CSM saved on a last, uncertain attempt is not written twice.
    """
    now = timezone.now()
    with transaction.atomic():
        failed = JournalNote.objects.filter(pk__in=list(note_ids), status=JournalNote.Status.FAILED)
        ids = list(failed.filter(lease_free("claimed_until", now)).values_list("pk", flat=True))
        JournalNote.objects.filter(pk__in=ids).update(
            status=JournalNote.Status.PENDING, attempts=0, next_attempt_at=now
        )
        journal_enqueue_on_commit(ids)
    return len(ids)
