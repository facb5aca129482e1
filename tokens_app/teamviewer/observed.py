"""Every call to TeamViewer counted by operation and outcome, and timed (see ``http.py``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from csm_teamviewer.errors import TeamViewerError, TeamViewerUnavailable
from csm_teamviewer.observability.metrics import teamviewer_request_duration, teamviewer_requests

# The operation a call is counted under: (method, the path's first part, whether a code follows).
OPERATIONS = {
    ("GET", "ping", False): "ping",
    ("POST", "sessions", False): "create_session",
    ("GET", "sessions", False): "list_sessions",
    ("GET", "sessions", True): "get_session",
    ("PUT", "sessions", True): "close_session",
    ("GET", "reports", True): "connection_reports",
    ("POST", "oauth2", True): "revoke_token",
}


def operation_of(method: str, path: str) -> str:
    head, _slash, rest = path.strip("/").partition("/")
    return OPERATIONS.get((method.upper(), head, bool(rest)), f"{method.lower()}_{head or 'root'}")


@contextmanager
def observed(operation: str) -> Iterator[None]:
    """Count the call by operation and outcome (``ok`` or the error's code) and time it."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except TeamViewerError as exc:
        outcome = _outcome_of(exc)
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        teamviewer_requests.labels(operation, outcome).inc()
        teamviewer_request_duration.labels(operation).observe(time.perf_counter() - started)


def _outcome_of(exc: TeamViewerError) -> str:
    if isinstance(exc, TeamViewerUnavailable) and exc.status_code == 504:
        return "timeout"
    return exc.code.removeprefix("teamviewer_")
