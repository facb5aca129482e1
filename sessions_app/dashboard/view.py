"""The dashboard's page in Django admin: the period from ``?days=``, the charts, a template."""
from __future__ import annotations

from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from csm_teamviewer.signed_in import StaffRequest

from ..models import Session
from .charts import dashboard_charts
from .period import CHOICES, period_from

# Figures about every session: for the staff who may see the sessions themselves.
PERMISSION = "sessions_app.view_session"


def dashboard_view(request: StaffRequest, *, admin_site: AdminSite) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    period = period_from(request.GET.get("days"))
    context = {
        **admin_site.each_context(request),
        "title": _("Remote support dashboard"),
        "opts": Session._meta,
        "period": period,
        "choices": CHOICES,
        "time_zone_name": timezone.get_current_timezone_name(),
        "charts": dashboard_charts(period),
    }
    return TemplateResponse(request, "admin/dashboard.html", context)
