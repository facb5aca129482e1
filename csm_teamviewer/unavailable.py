"""A database out of reach answers 503 ``service_unavailable``, never a 500.

The middleware catches what a view raises (DRF hands it the errors its own handler leaves);
``pages.server_error`` catches what the other middleware raise (a session saved on the way out).
The next request simply tries again: Django drops a broken connection at the end of a request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from .errors import ServiceUnavailable

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    error = ServiceUnavailable()
    if request.path.startswith("/api/") or (
        request.path.startswith("/incidents/") and request.method == "POST"
    ):
        response: HttpResponse = JsonResponse(error.body(), status=error.status_code)
    else:
        context = {"code": error.code, "detail": error.detail, "status": error.status_code}
        response = render(request, "error.html", context, status=error.status_code)
    for name, value in error.headers().items():
        response[name] = value
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_ERRORS):
            return None
        # The driver's message names the host, never a password; the type is enough here.
        logger.warning(
            "Database unavailable during %s %s: %s", request.method, request.path, type(exception).__name__
        )
        return unavailable_response(request)
