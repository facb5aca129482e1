"""One JSON object a line (``LOG_FORMAT=json``), with python-json-logger.

Each line has ``time``, ``level``, ``logger``, ``message`` and ``request_id``, plus what a call
passed in ``extra`` (the request line's ``method``, ``endpoint``, ``status``, ``agent``,
``duration_ms``). The message is the formatted one, so what the plain format never shows (a
token, a secret, a code, a verifier) the JSON one never shows either, and an ``extra`` the plain
format never prints (Django's request object) is left out; tests check both formats.
"""

from __future__ import annotations

from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FIELDS = "{levelname}{name}{message}{request_id}"
# Django passes the request object as ``extra`` (django.request, django.server): its text is the
# full URL with the query string, where an OAuth callback carries its code. Never written.
LEFT_OUT = (*RESERVED_ATTRS, "request")


class JsonLineFormatter(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", FIELDS)
        kwargs.setdefault("style", "{")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601, UTC
        kwargs.setdefault("json_ensure_ascii", False)
        kwargs.setdefault("reserved_attrs", LEFT_OUT)
        super().__init__(*args, **kwargs)
