"""Reading the outbox: how far each session's notes have got (the API's ``csm_journal``).

A session's state is its notes' worst status: ``failed`` if one failed, else ``pending`` while
one is on its way, else ``written``; ``not_written`` without notes. The statuses' names sort in
that order (failed < pending < written), so the worst is the least by name: a listing reads it
with a small correlated subquery in its own query (written out: the ORM's would cost a listing
more CPU to build than the database takes to run it), a single session with one query.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import CharField, QuerySet
from django.db.models.expressions import RawSQL

from .models import JournalNote

NOT_WRITTEN = "not_written"


def _worst(notes: QuerySet[JournalNote]) -> QuerySet[JournalNote, Any]:
    return notes.order_by("status").values("status")[:1]


def journal_state_column(session_id_sql: str) -> RawSQL:
    """The worst status of the notes of the session whose id is ``session_id_sql`` (the outer
    query's column, as SQL), or NULL: a column for a listing's query; ``journal_state_of`` reads it."""
    quote = connection.ops.quote_name
    notes = f"SELECT MIN({quote('status')}) FROM {quote(JournalNote._meta.db_table)}"  # noqa: S608 - names
    where = f"WHERE {quote('session_id')} = {session_id_sql}"
    return RawSQL(f"{notes} {where}", (), output_field=CharField())  # noqa: S611 - names only, no value


def journal_state_of(worst: str | None) -> str:
    return worst or NOT_WRITTEN


def journal_state(*, session_id: uuid.UUID) -> str:
    """One session's ``csm_journal``, in one query."""
    row = _worst(JournalNote.objects.filter(session_id=session_id)).first()
    return journal_state_of(row["status"] if row else None)


def journal_state_after_create() -> str:
    """A session created just now: its create's note is on its way, if creates are written back.

    Known without asking the database, so a create's answer costs no query for it.
    """
    return JournalNote.Status.PENDING.value if "created" in settings.CSM_WRITEBACK_EVENTS else NOT_WRITTEN
