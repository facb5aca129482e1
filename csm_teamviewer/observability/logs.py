"""One JSON object a line (``LOG_FORMAT=json``), with python-json-logger.

Each line has ``time``, ``level``, ``logger``, ``message`` and ``request_id``, plus what a call
passed in ``extra`` (the request line's ``method``, ``endpoint``, ``status``, ``agent``,
``duration_ms``). The message is the formatted one, so what the plain format never shows (a
token, a secret, a code, a verifier) the JSON one never shows either; tests check both.
"""

from __future__ import annotations

from typing import Any

from pythonjsonlogger.json import JsonFormatter

FIELDS = "{levelname}{name}{message}{request_id}"


class JsonLineFormatter(JsonFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", FIELDS)
        kwargs.setdefault("style", "{")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601, UTC
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)
