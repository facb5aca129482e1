"""The journal outbox in the admin: what was written to which incident, what failed and why.

Read-only, like every record the product writes; the one action, "Retry", goes through the same
service as any re-queue. A note holds no secret (see facts.py), so its text is shown whole.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.read_only_admin import ReadOnlyAdmin

from .models import JournalNote
from .services import journal_notes_retry


@admin.register(JournalNote)
class JournalNoteAdmin(ReadOnlyAdmin):
    list_display = (
        "incident_id", "event", "status", "session_id", "attempts", "short_error", "created_at", "written_at",
    )
    list_filter = ("status", "event")
    search_fields = ("incident_id", "marker")
    date_hierarchy = "created_at"
    fields = (
        "incident_id", "session_id", "event", "language", "marker", "text", "status", "attempts",
        "last_error", "last_attempt_at", "next_attempt_at", "claimed_until", "csm_journal_recid",
        "created_at", "written_at",
    )
    readonly_fields = fields
    actions = ("retry",)

    @admin.display(description=_("last error"))
    def short_error(self, note: JournalNote) -> str:
        return Truncator(note.last_error).chars(80)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("journal_app.change_journalnote")

    @admin.action(description=_("Retry"), permissions=("operate",))
    def retry(self, request: HttpRequest, queryset: QuerySet[JournalNote]) -> None:
        queued = journal_notes_retry(note_ids=queryset.values_list("pk", flat=True))
        skipped = queryset.count() - queued
        self.message_user(request, _("%(queued)d note(s) queued again.") % {"queued": queued}, messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                _("%(skipped)d left alone: only failed notes are retried.") % {"skipped": skipped},
                messages.WARNING,
            )
