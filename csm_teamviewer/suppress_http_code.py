"""``?suppress_http_code=1``: every answer under ``/api/v1/`` as a 200, its status in the body.

For CSM one-steps that stop on a non-2xx answer and cannot read its body: with the parameter
on, the answer is 200 with the same JSON object plus ``http_status`` (the status it would have
had); an empty body (204) becomes ``{"http_status": 204}``. Headers stay (``Retry-After``,
``WWW-Authenticate``); an error answered as 200 also gets ``Cache-Control: no-store``, so no
cache keeps it as a success.

A middleware, not a DRF renderer or exception-handler hook: the errors raised before any API
view runs (404 for an unknown URL, a database out of reach, a 500) never meet DRF, and this is
the one place every answer under ``/api/v1/`` passes through. Redirects, streamed bodies and
bodies that are not a JSON object are left as they are (the API answers none of them).

Values: ``1``, ``true``, ``yes``, ``on`` turn it on; ``0``, ``false``, ``no``, ``off`` and
empty leave it off (case does not matter). Anything else is a 400 ``invalid`` naming the
parameter, answered as a 200: whoever sent the parameter wants 200s.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _

from .error_responses import error_json
from .errors import Invalid

PARAMETER = "suppress_http_code"
API_PREFIX = "/api/v1/"
ON = frozenset({"1", "true", "yes", "on"})
OFF = frozenset({"", "0", "false", "no", "off"})


def suppression_asked(request: HttpRequest) -> bool:
    """Whether the request asks for it; ``Invalid`` for a value that is neither on nor off."""
    if PARAMETER not in request.GET:
        return False
    value = request.GET.get(PARAMETER, "").strip().lower()
    if value in ON:
        return True
    if value in OFF:
        return False
    raise invalid_value()


def invalid_value() -> Invalid:
    message = _("Use 1 or true to answer every status as 200, 0 or false (or leave it out) not to.")
    return Invalid(errors={PARAMETER: [message]})


def suppressed(response: HttpResponse) -> HttpResponse:
    """The response as a 200 with ``http_status`` in its JSON object (left alone where it has none)."""
    if response.streaming or 300 <= response.status_code < 400:
        return response
    body = _json_object(response.content)
    if body is None:
        return response
    status = response.status_code
    # Written as DRF writes JSON: compact, UTF-8 (a Japanese detail stays readable).
    response.content = json.dumps(
        {**body, "http_status": status}, ensure_ascii=False, separators=(",", ":")
    ).encode()
    response.status_code = 200
    response.reason_phrase = "OK"
    response["Content-Type"] = "application/json"
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))
    if status >= 400 and not response.has_header("Cache-Control"):
        response["Cache-Control"] = "no-store"
    return response


def _json_object(content: bytes) -> dict[str, Any] | None:
    if not content.strip():
        return {}
    try:
        body = json.loads(content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class SuppressHttpCodeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            asked = suppression_asked(request)
        except Invalid:
            # Ahead of LocaleMiddleware: the message in the language the caller asks for.
            with translation.override(translation.get_language_from_request(request)):
                return suppressed(error_json(invalid_value()))
        response = self.get_response(request)
        return suppressed(response) if asked else response
