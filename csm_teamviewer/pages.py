"""The landing page, and error pages: JSON under /api/, HTML elsewhere, never a stack trace."""
from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .unavailable import DATABASE_ERRORS, unavailable_response


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def _error(request: HttpRequest, status: int, code: str, detail: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "detail": detail}, status=status)
    return render(request, "error.html", {"code": code, "detail": detail, "status": status}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "invalid", _("The request is not valid."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "permission_denied", _("You do not have permission to do this."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "not_found", _("Not found."))


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its except block: a database error raised by a middleware is a 503.
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return unavailable_response(request)
    return _error(request, 500, "server_error", _("Something went wrong on our side. It has been logged."))
