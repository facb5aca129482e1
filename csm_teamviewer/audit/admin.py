"""The audit trail in the admin: read-only, searchable, with a link to each session still kept."""
from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.read_only_admin import ReadOnlyAdmin

from .models import AuditEvent

# The model an event's session_id names, by label: the shell imports no app.
SESSION_MODEL = "sessions_app.Session"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "incident_id", "session_code", "actor", "outcome", "via")
    list_filter = ("action", "outcome", "via")
    search_fields = ("incident_id", "session_code", "actor__username")
    list_select_related = ("actor",)
    date_hierarchy = "at"
    fields = ("at", "action", "actor", "incident_id", "session", "session_code", "outcome", "detail", "via")
    readonly_fields = fields

    @admin.display(description=_("session"))
    def session(self, event: AuditEvent) -> str:
        """A link to the session's admin page while the session exists (retention deletes it)."""
        if event.session_id is None:
            return "-"
        session_model = apps.get_model(SESSION_MODEL)
        if not session_model.objects.filter(pk=event.session_id).exists():
            return str(event.session_id)
        meta = session_model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[event.session_id])
        return format_html('<a href="{}">{}</a>', url, event.session_id)
