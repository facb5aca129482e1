"""Writing one note to CSM, never twice, in its session's order; and re-driving what was left.

A worker takes a note for itself (a row lock while it reads it, then a lease: no lock is held
while CSM is called), writes it under its incident, and records how that went:

- CSM saved it: ``written``, and the session's next note is handed to a worker.
- CSM down, slow or failing (``CsmUnavailable``): tried again after a doubling wait, and
  ``failed`` with the reason after ``CSM_WRITEBACK_MAX_ATTEMPTS``.
- CSM knows no such incident: ``failed`` at once with the reason; retrying will not help.
- CSM refuses our settings (``CsmConfigurationError``): every pending note waits
  ``CSM_WRITEBACK_SLOW_RETRY_SECONDS`` (so a wrong password costs one failed login per wait, not
  one per note) and none fails for it; the reason is on the note for the operator.

Never twice: a note taken before (a timeout after CSM saved it, a worker that died) is first
looked for by its marker among the incident's journals. In order: a session's note waits while
an earlier one is pending; a failed one does not hold the rest up, nor does one incident another.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from csm_teamviewer.leases import lease_free
from csm_teamviewer.observability.metrics import journal_notes_failed, journal_notes_written
from csm_teamviewer.outbox import SKIPPED, SendResult, outbox_backoff, outbox_redrive
from tokens_app.csm import CsmConfigurationError, CsmIncidentNotFound, CsmUnavailable, csm_client

from .models import JournalNote
from .services import journal_enqueue, journal_enqueue_on_commit

logger = logging.getLogger(__name__)

Status = JournalNote.Status
# Enough for an admin to read what CSM said.
MAX_ERROR_LENGTH = 300
# Notes per re-drive run: a minute's worth for a busy service desk, and bounded work.
REDRIVE_BATCH = 200
# Longer than the slowest write (a login, finding the incident, reading its journals, saving, each
# at the client's full timeout): a lease lapses only when its worker died.
LEASE = timedelta(minutes=10)


# What one send did: ``written``, ``retrying`` (in ``retry_in`` seconds), ``waiting`` (CSM's
# settings are wrong: the re-drive brings it back), ``failed``, or ``skipped`` (not pending, not
# due, another worker holds it, or an earlier note of its session is still pending).
NoteSendResult = SendResult


def _earlier_pending() -> Exists:
    return Exists(
        JournalNote.objects.filter(session_id=OuterRef("session_id"), pk__lt=OuterRef("pk"), status=Status.PENDING)
    )


def _due(now: datetime) -> QuerySet[JournalNote]:
    """Pending notes due now, held by no worker, and first of their session still pending."""
    pending = JournalNote.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    return pending.filter(lease_free("claimed_until", now)).filter(~_earlier_pending())


def _claim(note_id: int) -> tuple[JournalNote, datetime] | None:
    """The note as it was before this take (so we know whether it was taken before), leased."""
    now = timezone.now()
    lease = now + LEASE
    with transaction.atomic():
        candidates = _due(now).filter(pk=note_id)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        note = candidates.first()
        # Conditional too: without row locks (SQLite) two takers may both read it; one updates it.
        if note is None or _due(now).filter(pk=note_id).update(
            claimed_until=lease, attempts=F("attempts") + 1, last_attempt_at=now
        ) != 1:
            return None
    return note, lease


def journal_note_send(*, note_id: int) -> NoteSendResult:
    """Write one pending note to its incident's journal if it is due and its turn."""
    claimed = _claim(note_id)
    if claimed is None:
        return SKIPPED
    note, lease = claimed
    try:
        recid = _write(note)
    except CsmIncidentNotFound as exc:
        return _record_failure(note, lease, f"CSM knows no incident {note.incident_id!r}: {exc.message}", final=True)
    except CsmConfigurationError as exc:
        return _record_misconfigured(note, lease, exc)
    except CsmUnavailable as exc:
        maybe = " (it may have been saved: the next attempt looks for it first)" if exc.uncertain else ""
        return _record_failure(note, lease, f"CSM unavailable: {exc.message}{maybe}")
    except Exception as exc:  # noqa: BLE001 - whatever else the client raises, the note records it and backs off
        logger.exception("Journal note %s: unexpected failure writing to CSM.", note.pk)
        return _record_failure(note, lease, f"{type(exc).__name__}: {exc}")
    return _record_written(note, lease, recid)


def _write(note: JournalNote) -> str:
    """Write the note under its incident; its RecID ("" when an earlier attempt had written it)."""
    client = csm_client()
    incident = client.find_incident(note.incident_id)
    if note.last_attempt_at is not None and any(note.marker in text for text in client.journal_texts(incident)):
        logger.info("Journal note %s was already in CSM (an earlier attempt saved it).", note.pk)
        return ""
    return client.add_journal_note(incident, note.text)


def _record_written(note: JournalNote, lease: datetime, recid: str) -> NoteSendResult:
    with transaction.atomic():
        JournalNote.objects.filter(pk=note.pk, claimed_until=lease).update(
            status=Status.WRITTEN, written_at=timezone.now(), csm_journal_recid=recid or "",
            last_error="", claimed_until=None,
        )
        _hand_over_next(note)
    journal_notes_written.inc()
    logger.info("Journal note %s (%s) written for incident %s.", note.pk, note.event, note.incident_id)
    return NoteSendResult("written")


def _record_failure(note: JournalNote, lease: datetime, error: str, *, final: bool = False) -> NoteSendResult:
    attempts = note.attempts + 1
    final = final or attempts >= settings.CSM_WRITEBACK_MAX_ATTEMPTS
    delay = outbox_backoff(
        attempts=attempts, base=settings.CSM_WRITEBACK_RETRY_BASE_SECONDS, cap=settings.CSM_WRITEBACK_RETRY_MAX_SECONDS
    )
    error = _short(f"attempt {attempts}: {error}")
    logger.warning("Journal note %s not written (%s).", note.pk, error)
    with transaction.atomic():
        JournalNote.objects.filter(pk=note.pk, claimed_until=lease).update(
            status=Status.FAILED if final else Status.PENDING, last_error=error,
            next_attempt_at=timezone.now() + delay, claimed_until=None,
        )
        if final:
            _hand_over_next(note)  # a failed note does not hold its session's later ones
    if final:
        journal_notes_failed.inc()
        return NoteSendResult("failed")
    return NoteSendResult("retrying", retry_in=delay.total_seconds())


def _record_misconfigured(note: JournalNote, lease: datetime, exc: CsmConfigurationError) -> NoteSendResult:
    wait = settings.CSM_WRITEBACK_SLOW_RETRY_SECONDS
    error = _short(f"CSM refuses the settings: {exc.message} (tried again every {wait:.0f} s until corrected)")
    logger.error("Journal note %s: %s", note.pk, error)
    until = timezone.now() + timedelta(seconds=wait)
    with transaction.atomic():
        # Nothing reached the journal: the try does not count towards the attempts.
        JournalNote.objects.filter(pk=note.pk, claimed_until=lease).update(
            attempts=F("attempts") - 1, last_error=error, next_attempt_at=until, claimed_until=None
        )
        JournalNote.objects.filter(status=Status.PENDING, next_attempt_at__lt=until).update(next_attempt_at=until)
    return NoteSendResult("waiting")


def _hand_over_next(note: JournalNote) -> None:
    """Hand the session's next pending note to a worker once this outcome commits."""
    following = JournalNote.objects.filter(session_id=note.session_id, status=Status.PENDING, pk__gt=note.pk)
    next_id = following.order_by("pk").values_list("pk", flat=True).first()
    if next_id is not None:
        journal_enqueue_on_commit([next_id])


def _short(text: str) -> str:
    return " ".join(text.split())[:MAX_ERROR_LENGTH]


def journal_notes_redrive(*, limit: int = REDRIVE_BATCH) -> int:
    """Hand due notes (first of their session) to a worker again; how many were handed over.

    Catches what a down broker or a dead worker left behind.
    """
    ids = list(_due(timezone.now()).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    return outbox_redrive(ids, hand_over=journal_enqueue, what="journal note(s)")
