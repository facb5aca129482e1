"""Every error answered the same way: ``{"code", "detail", …}``, for DRF and plain Django alike.

``ServiceError.body()`` is the one shape of an error body; this module turns an error into a
response. DRF views reach it through ``api_exception_handler`` (its EXCEPTION_HANDLER), plain
views through ``error_json``/``error_response``, and Django's 400/403/404/500 handlers and the
database middleware through ``error_response``. API clients (under ``/api/``, and the incident
page's posts) get JSON; browsers get the error page, never a stack trace.

A database out of reach answers 503 ``service_unavailable``, never a 500: the middleware catches
what a view raises (DRF hands it the errors its own handler leaves), ``server_error`` what the
other middleware raise (a session saved on the way out). The next request simply tries again:
Django drops a broken connection at the end of a request.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response

from .errors import Invalid, NotFound, PermissionDenied, ServiceError, ServiceUnavailable

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)


class ServerError(ServiceError):
    code = "server_error"
    status_code = 500
    default_detail = gettext_lazy("Something went wrong on our side. It has been logged.")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or (
        request.path.startswith("/incidents/") and request.method == "POST"
    )


def writable(value: Any) -> Any:
    """``value`` with every lone surrogate (input a message echoes, from JSON's ``\\ud800``)
    made U+FFFD, so that the renderer can encode it: an error never becomes a 500."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {writable(key): writable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [writable(item) for item in value]
    return value


def error_body(error: ServiceError) -> dict[str, Any]:
    return writable(error.body())


def error_json(error: ServiceError) -> JsonResponse:
    """The error as a JSON response, with its headers (``Retry-After``)."""
    return JsonResponse(error_body(error), status=error.status_code, headers=error.headers())


def error_response(request: HttpRequest, error: ServiceError) -> HttpResponse:
    """JSON for API clients, the error page for a browser."""
    if _wants_json(request):
        return error_json(error)
    context = {**error_body(error), "status": error.status_code}
    response = render(request, "error.html", context, status=error.status_code)
    for name, value in error.headers().items():
        response[name] = value
    return response


# --- DRF ----------------------------------------------------------------------------------------

_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "not_authenticated",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.ValidationError: "invalid",
    drf_exceptions.ParseError: "invalid",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.Throttled: "throttled",
}


FIELDS_INVALID = gettext_lazy("Some fields are not valid.")


class _DrfError(ServiceError):
    """One of DRF's own exceptions, carried as a ServiceError so it renders the same way."""

    def __init__(self, exc: drf_exceptions.APIException) -> None:
        self.code = next((code for kind, code in _DRF_CODES.items() if isinstance(exc, kind)), "error")
        self.status_code = exc.status_code
        self.wait = getattr(exc, "wait", None)
        self.auth_header = getattr(exc, "auth_header", None)
        if isinstance(exc, drf_exceptions.ValidationError):
            super().__init__(FIELDS_INVALID, errors=field_errors(exc.detail))
        elif self.wait is not None:
            super().__init__(str(exc.detail), retry_after=_seconds(self.wait))
        else:
            super().__init__(str(exc.detail))

    def headers(self) -> dict[str, str]:
        headers = {}
        if self.auth_header:
            headers["WWW-Authenticate"] = self.auth_header
        if self.wait is not None:
            headers["Retry-After"] = str(_seconds(self.wait))
        return headers


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))


def fields_invalid(detail: Any) -> Invalid:
    """The 400 for a serializer's errors: one message, and each field's own messages."""
    return Invalid(FIELDS_INVALID, errors=field_errors(detail))


def field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _flatten(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}: {message}" for key, item in value.items() for message in _flatten(item)]
    if isinstance(value, list):
        return [message for item in value for message in _flatten(item)]
    return [str(value)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler: every error becomes ``{"code", "detail", …}``."""
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if isinstance(exc, drf_exceptions.APIException):
        exc = _DrfError(exc)
    if not isinstance(exc, ServiceError):
        return None
    return Response(error_body(exc), status=exc.status_code, headers=exc.headers())


# --- Django's error handlers (urls.py) and the database middleware --------------------------------


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, Invalid())


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, PermissionDenied())


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, NotFound())


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this inside its except block: a database error raised by a middleware is a 503.
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return error_response(request, ServiceUnavailable())
    return error_response(request, ServerError())


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
        return error_response(request, ServiceUnavailable())
