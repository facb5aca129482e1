"""Each request: its id (``X-Request-ID``, echoed back), its count and time by route, its log line.

The route is the URL pattern's name (``sessions-close``), never the path: paths hold incident ids
and one-time links, and would make a metric per incident. The log line names the route, the
method, the status, the agent and the time, never the query string (an OAuth callback's code is
there).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from .metrics import http_request_duration, http_requests
from .request_ids import bind_request_id, request_id_from, unbind_request_id

logger = logging.getLogger("csm_teamviewer.requests")

HEADER = "X-Request-ID"
UNMATCHED = "unmatched"
# Any other method a client invents is counted as "other": a label value per string would grow forever.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED


def agent_of(request: HttpRequest) -> str:
    """The signed-in agent, if the request already knows who it is: a user not yet read (a lazy
    object) is left unread, since reading it would cost the request a session lookup."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return ""
    return user.get_username() if user.is_authenticated else ""


class RequestObservationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request.headers.get(HEADER))
        token = bind_request_id(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            self._observe(request, response.status_code, time.perf_counter() - started)
            return response
        finally:
            unbind_request_id(token)

    @staticmethod
    def _observe(request: HttpRequest, status: int, seconds: float) -> None:
        endpoint = route_of(request)
        method = request.method if request.method in METHODS else "other"
        http_requests.labels(endpoint, method, str(status)).inc()
        http_request_duration.labels(endpoint).observe(seconds)
        logger.info(
            "%s %s %s %.1fms",
            method,
            endpoint,
            status,
            seconds * 1000,
            extra={
                "method": method,
                "endpoint": endpoint,
                "status": status,
                "agent": agent_of(request),
                "duration_ms": round(seconds * 1000, 1),
            },
        )
