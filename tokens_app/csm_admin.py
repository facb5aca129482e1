"""The admin's CSM page: the integration account's sign-in (never its token) and, on request, the
same check ``manage.py csm_check`` runs, for the admin wiring this server to CSM."""
from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.signed_in import StaffRequest

from .csm import csm_client
from .models import CsmToken

# An incident ID or RecID as the check takes it: short, no markup (it is shown back on the page).
MAX_INCIDENT_ID = 64


@admin.register(CsmToken)
class CsmTokenAdmin(admin.ModelAdmin):
    # An allow-list: neither token is ever on a page.
    list_display = ("__str__", "expires_at", "logged_in_at", "logins", "refreshes", "updated_at")
    fields = ("expires_at", "logged_in_at", "logins", "refreshes", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CsmToken | None = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        status = path("status/", self.admin_site.admin_view(self.status_view), name="tokens_app_csm_status")
        return [status, *super().get_urls()]

    def status_view(self, request: StaffRequest) -> HttpResponse:
        incident_id = request.GET.get("incident_id", "").strip()[:MAX_INCIDENT_ID]
        report = csm_client().check(incident_id or None) if "check" in request.GET else None
        context = {
            **self.admin_site.each_context(request),
            "title": _("CSM status"),
            "opts": self.model._meta,
            "sandbox": settings.CSM_SANDBOX,
            "settings_shown": _settings_shown(),
            "token": CsmToken.objects.filter(pk=CsmToken.SINGLETON_ID).first(),
            "incident_id": incident_id,
            "report": report,
        }
        return TemplateResponse(request, "admin/csm_status.html", context)


def _settings_shown() -> list[tuple[str, str]]:
    """The settings an admin compares with CSM's own configuration (the password is not one)."""
    names = ("CSM_API_URL", "CSM_CLIENT_ID", "CSM_USERNAME", "CSM_AUTH_MODE", "CSM_INCIDENT_OBJECT",
             "CSM_JOURNAL_RELATIONSHIP", "CSM_JOURNAL_TYPE", "CSM_JOURNAL_LANGUAGE", "CSM_WRITEBACK_EVENTS")
    return [(name, str(getattr(settings, name, ""))) for name in names]
