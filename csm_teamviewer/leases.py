"""Leases: how one worker takes a row for itself without holding a lock while it works.

A worker claims rows with one conditional UPDATE that sets the lease's end where no lease runs
(``lease_free``), does its slow work (TeamViewer, SMTP) outside any transaction, and clears the
lease when it records the outcome. A lease is longer than the slowest work, so it lapses only
when its worker died; then another may take the row over. The cleanup's claim
(``Session.cleanup_lease_until``) and the outboxes' (``InvitationEmail.claimed_until``,
``JournalNote.claimed_until``) work so. It is in the shell because two apps lease rows.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q


def lease_free(field: str, now: datetime) -> Q:
    """Rows no worker holds: ``field`` (the lease's end) unset or past."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": now})
