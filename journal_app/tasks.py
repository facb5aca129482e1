"""Background work for the CSM journal: writing one note, and re-driving notes left behind.

The outbox row, not the broker message, is the record of a note: a message lost with a broker or
a worker costs a delay (the re-drive finds the row), never the note.
"""

from __future__ import annotations

from celery import shared_task

from csm_teamviewer.outbox import SEND_TASK_OPTIONS, outbox_task_outcome

from .sending import REDRIVE_BATCH, journal_note_send, journal_notes_redrive
from .services import SEND_NOTE_TASK


# The note counts CSM attempts and stops at CSM_WRITEBACK_MAX_ATTEMPTS (see SEND_TASK_OPTIONS).
@shared_task(name=SEND_NOTE_TASK, **SEND_TASK_OPTIONS)
def send_journal_note(self, note_id: int) -> str:
    """Write one note; when CSM is unavailable, retry when the note's back-off says it is due."""
    return outbox_task_outcome(self, journal_note_send(note_id=note_id))


@shared_task(acks_late=True)
def redrive_journal_notes(limit: int = REDRIVE_BATCH) -> int:
    return journal_notes_redrive(limit=limit)
