"""How the sandbox API speaks HTTP: TeamViewer's error format, JSON bodies, the bearer header.

Errors follow the manual's one format for the whole API (API notes §1.6, §5):
``{"error", "error_description", "error_code"}``, never a ``WWW-Authenticate`` header.
"""
from __future__ import annotations

import functools
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from . import faults
from .models import Fault

# The manual publishes no numbers for error_code; these are the sandbox's own, stable ones.
ERROR_CODES = {
    "invalid_request": 1,
    "invalid_token": 2,
    "token_expired": 3,
    "invalid_client": 4,
    "invalid_grant": 5,
    "unsupported_grant_type": 6,
    "not_found": 7,
    "rate_limit_reached": 8,
    "blocked": 9,
    "internal_error": 10,
}

# What TeamViewer answers with for each status when a fault brings no body of its own.
_FAULT_ERRORS = {
    400: ("invalid_request", "The request is not valid."),
    401: ("invalid_token", "The access token is not valid."),
    403: ("rate_limit_reached", "Too many calls to this function with this access token."),
    404: ("not_found", "Not found."),
    429: ("rate_limit_reached", "Too many requests."),
}

View = Callable[..., HttpResponse]


class ApiError(Exception):
    """An answer in TeamViewer's error format."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JsonResponse:
        return JsonResponse(error_body(self.error, self.description), status=self.status)


def error_body(error: str, description: str) -> dict[str, Any]:
    return {"error": error, "error_description": description, "error_code": ERROR_CODES.get(error, 0)}


def invalid_request(description: str) -> ApiError:
    return ApiError(400, "invalid_request", description)


def format_time(value: datetime | None) -> str | None:
    """``2013-10-30T12:03:29Z``, the manual's date format."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object; anything else is the client's mistake (400)."""
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise invalid_request("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise invalid_request("The request body must be a JSON object.")
    try:
        # JSON's "\\ud800" escape makes a lone surrogate, which the database cannot store.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_request("The request body is not valid Unicode text.") from None
    return data


def same_secret(given: str, expected: str) -> bool:
    """A constant-time comparison that takes any text: ``hmac.compare_digest`` raises (a 500) on
    a non-ASCII ``str``, which anyone can send as a client id or a link."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def form_or_json_body(request: HttpRequest) -> dict[str, Any]:
    """The token endpoint takes form data, and JSON too (API notes §1.3)."""
    if request.content_type == "application/json":
        return json_body(request)
    return request.POST.dict()


def bearer_token(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def api_endpoint(*methods: str) -> Callable[[View], View]:
    """Wrap an API view: latency, injected faults, the allowed methods, errors as JSON."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            _simulate_latency()
            fault = faults.take(method=request.method or "GET", path=_api_path(request))
            if fault is not None:
                _sleep(fault.delay_seconds)
                if fault.status:
                    return _fault_response(fault)
            if request.method not in methods:
                return ApiError(405, "invalid_request", f"{request.method} is not allowed here.").response()
            try:
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return exc.response()
            except (SuspiciousOperation, MultiPartParserError):
                # Too large, too many fields, a broken multipart body: still TeamViewer's JSON.
                return invalid_request("The request could not be read.").response()

        return wrapper

    return decorate


def _simulate_latency() -> None:
    _sleep(float(getattr(settings, "SANDBOX_LATENCY_SECONDS", 0) or 0))


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def _fault_response(fault: Fault) -> HttpResponse:
    if fault.body:
        response = HttpResponse(fault.body, status=fault.status, content_type=fault.content_type)
    else:
        error, description = _FAULT_ERRORS.get(fault.status or 500, ("internal_error", "Injected failure."))
        response = JsonResponse(error_body(error, description), status=fault.status)
    if fault.retry_after is not None:
        response["Retry-After"] = str(fault.retry_after)
    return response


def _api_path(request: HttpRequest) -> str:
    """The path below ``api/v1/``, which is what fault prefixes are matched against."""
    path = request.path_info
    marker = "/api/v1/"
    index = path.lower().find(marker)
    return path[index + len(marker):] if index >= 0 else path.lstrip("/")
