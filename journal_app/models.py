"""The journal outbox: each note for an incident's CSM journal, written with the event it tells.

A note names its session by id, not by a foreign key (like the audit trail): this app is handed
the facts and knows no session model, and a note outlives the session it tells of.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_marker() -> str:
    """A short tag, part of the note's text, by which a retry finds the note in the journal.

    Random, not unique by constraint: it is only ever looked for among one incident's journals,
    where 40 random bits make a clash beyond reach.
    """
    return f"[TV-{secrets.token_hex(5)}]"


class JournalNote(models.Model):
    """One note to write under an incident in CSM, and how its writing went."""

    class Event(models.TextChoices):
        CREATED = "created", _("Session created")
        EMAILED = "emailed", _("Invitation sent")
        CUSTOMER_WAITING = "customer_waiting", _("Customer online")
        CLOSED = "closed", _("Session closed")
        EXPIRED = "expired", _("Session expired")
        REPORT = "report", _("Connection report")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        WRITTEN = "written", _("Written")
        FAILED = "failed", _("Failed")

    session_id = models.UUIDField(_("session"))
    incident_id = models.CharField(_("incident"), max_length=64, db_index=True)
    event = models.CharField(_("event"), max_length=24, choices=Event.choices)
    language = models.CharField(_("language"), max_length=8)
    marker = models.CharField(_("marker"), max_length=24, default=new_marker)
    # Rendered when the event happened, so a retry writes what was true then.
    text = models.TextField(_("text"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    # Tries that count towards CSM_WRITEBACK_MAX_ATTEMPTS (the admin's retry starts them anew).
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When a worker last took it: a note taken before may be in CSM already (never reset).
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # While set and in the future, one worker is writing this note; no other may.
    claimed_until = models.DateTimeField(_("being written until"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, default="")
    csm_journal_recid = models.CharField(_("CSM journal RecID"), max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    written_at = models.DateTimeField(_("written"), null=True, blank=True)

    class Meta:
        verbose_name = _("journal note")
        verbose_name_plural = _("journal notes (outbox)")
        # The id is the order of events: a session's notes are written in it.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # A session's notes, and their statuses read from the index alone (the API's csm_journal).
            models.Index(fields=["session_id", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.marker} for incident {self.incident_id} ({self.status})"
