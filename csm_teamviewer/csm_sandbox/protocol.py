"""How the CSM sandbox speaks HTTP: CSM's error bodies, JSON, the bearer token, injected faults.

Operations answer errors as CSM does, ``{"errorCode", "errorMessage", "hasError": true,
"httpStatusCode"}``, with the status a live server was measured to use (a missing record is
500 ``RECORDNOTFOUND``, csm-api.md §A2), so clients must read the body, not the status. The
token endpoint answers OAuth's ``{"error", "error_description"}`` (csm-api.md §A1); a refused
bearer token is ASP.NET's 401 ``{"Message": …}``.
"""
from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from . import faults
from .models import Fault

View = Callable[..., HttpResponse]

# What a gateway answers for an injected status when the fault brings no body of its own.
_GATEWAY_PAGE = "<html><body><h1>%d</h1><p>The service is unavailable.</p></body></html>"


class CsmFailure(Exception):
    """An operation's error, in CSM's body."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> JsonResponse:
        body = {"errorCode": self.code, "errorMessage": self.message, "hasError": True,
                "httpStatusCode": _status_name(self.status), **self.extra}
        return JsonResponse(body, status=self.status)


class OAuthFailure(Exception):
    """The token endpoint's error, in OAuth's body (always 400, csm-api.md §A1)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error, self.description = error, description

    def response(self) -> JsonResponse:
        return JsonResponse({"error": self.error, "error_description": self.description}, status=400)


class TokenRefused(Exception):
    """No bearer token, an unknown one, or an expired one."""

    def response(self) -> JsonResponse:
        return JsonResponse({"Message": "Authorization has been denied for this request."}, status=401)


def not_found(message: str = "Record not found") -> CsmFailure:
    return CsmFailure(500, "RECORDNOTFOUND", message)


def bad_request(code: str, message: str, **extra: Any) -> CsmFailure:
    return CsmFailure(400, code, message, **extra)


def ok_body(**body: Any) -> dict[str, Any]:
    """A success carries the error trio too, empty."""
    return {**body, "errorCode": None, "errorMessage": None, "hasError": False}


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        raise bad_request("BADREQUEST", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request("BADREQUEST", "The request body must be a JSON object.")
    try:
        # JSON's "\\ud800" escape makes a lone surrogate, which the database cannot store.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request("BADREQUEST", "The request body is not valid Unicode text.") from None
    return data


def bearer_token(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def endpoint(*methods: str) -> Callable[[View], View]:
    """Wrap a sandbox view: injected faults (before or after the work), methods, errors."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fault = faults.take(method=request.method or "GET", path=operation_path(request))
            if fault is not None and not fault.delay_after:
                _sleep(fault.delay_seconds)
                if fault.status:
                    return _fault_response(fault)
            response = _answer(view, methods, request, *args, **kwargs)
            if fault is not None and fault.delay_after:
                # The work is done and committed; the answer comes too late for the client.
                _sleep(fault.delay_seconds)
                if fault.status:
                    return _fault_response(fault)
            return response

        return wrapper

    return decorate


def _answer(view: View, methods: tuple[str, ...], request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    if request.method not in methods:
        return CsmFailure(405, "METHODNOTALLOWED", f"{request.method} is not allowed here.").response()
    try:
        return view(request, *args, **kwargs)
    except (CsmFailure, OAuthFailure, TokenRefused) as exc:
        return exc.response()


def operation_path(request: HttpRequest) -> str:
    """The path below ``CherwellAPI/`` without ``api/V1/``: ``token``, ``saverelatedbusinessobject/…``."""
    path = request.path_info.lower()
    index = path.find("/cherwellapi/")
    below = path[index + len("/cherwellapi/"):] if index >= 0 else path.lstrip("/")
    return below.removeprefix("api/v1/")


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def _fault_response(fault: Fault) -> HttpResponse:
    if fault.body:
        return HttpResponse(fault.body, status=fault.status, content_type=fault.content_type)
    if fault.status and fault.status >= 502:
        return HttpResponse(_GATEWAY_PAGE % fault.status, status=fault.status, content_type="text/html")
    return CsmFailure(fault.status or 500, "GENERALFAILURE", "Injected failure.").response()


def _status_name(status: int) -> str:
    return HTTPStatus(status).phrase.replace(" ", "")
