"""Background work for the CSM journal: writing one note, and re-driving notes left behind.

The outbox row, not the broker message, is the record of a note: a message lost with a broker or
a worker costs a delay (the re-drive finds the row), never the note.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .sending import REDRIVE_BATCH, journal_note_send, journal_notes_redrive
from .services import SEND_NOTE_TASK


@shared_task(
    name=SEND_NOTE_TASK,
    bind=True,
    acks_late=True,
    # The note counts CSM attempts and stops at CSM_WRITEBACK_MAX_ATTEMPTS; Celery's own count
    # would disagree with it after a re-drive, so it sets no limit of its own.
    max_retries=None,
    # The database out of reach: the note stays pending (a lease taken lapses); try again shortly.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_kwargs={"max_retries": 10},
)
def send_journal_note(self, note_id: int) -> str:
    """Write one note; when CSM is unavailable, retry when the note's back-off says it is due."""
    result = journal_note_send(note_id=note_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.outcome


@shared_task(acks_late=True)
def redrive_journal_notes() -> int:
    return journal_notes_redrive(limit=REDRIVE_BATCH)
