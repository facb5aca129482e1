"""``/sandbox/csm/``: each incident's journal as the sandbox recorded it, newest first."""
from __future__ import annotations

from django.db.models import Max, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Incident, Journal

# The incidents shown, most recently written to first.
PAGE_INCIDENTS = 50


@require_GET
def journals(request: HttpRequest) -> HttpResponse:
    newest_first = Prefetch("journals", queryset=Journal.objects.order_by("-created_at", "-pk"))
    incidents = (
        Incident.objects.annotate(last_written=Max("journals__created_at"))
        .filter(last_written__isnull=False)
        .order_by("-last_written", "-pk")
        .prefetch_related(newest_first)[:PAGE_INCIDENTS]
    )
    return render(request, "csm_sandbox/journals.html", {"incidents": incidents})
