"""The same login, refresh and disconnect as test_no_secret_logging, written as JSON lines
(LOG_FORMAT=json) with every logger at DEBUG: no token, secret, code or verifier in any field."""

from __future__ import annotations

import io
import json
import logging

from csm_teamviewer.observability.logs import JsonLineFormatter
from csm_teamviewer.observability.request_ids import RequestIdFilter

from .test_no_secret_logging import (
    assert_no_secret_in,
    every_logger_at_debug,
    full_login_refresh_and_disconnect,
)

__all__ = ["every_logger_at_debug"]  # the fixture, used by name below


def test_json_lines_of_a_full_login_and_refresh_hold_no_secret(
    client, tv, agent, resumed_calls, every_logger_at_debug
):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RequestIdFilter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        secrets = full_login_refresh_and_disconnect(client, tv, agent)
    finally:
        root.removeHandler(handler)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert_no_secret_in(stream.getvalue(), secrets)
    # The capture saw the flow: the request lines of the start and the callback, and the disconnect.
    endpoints = {line.get("endpoint") for line in lines if line["logger"] == "csm_teamviewer.requests"}
    assert {"tokens:login-start", "tokens:login-callback"} <= endpoints, endpoints
    assert any("Forgot the TeamViewer token" in line["message"] for line in lines)
