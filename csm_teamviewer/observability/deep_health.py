"""``/healthz/?deep=1``: the plain checks, and each app's registered ones (TeamViewer's reachability,
the invitation outbox's oldest row, the cleanup's lag), each ``ok``, ``degraded`` or ``down``.

200 unless something is down (503); ``degraded`` is for a human or an alert, not a load balancer.
Readable like ``/metrics`` only (a token or an allowed address): it says how far behind we are.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse

from .access import operator_refusal
from .readings import DEGRADED, DOWN, OK, run_checks


def deep_health(request: HttpRequest, *, basic: dict[str, bool]) -> JsonResponse:
    refusal = operator_refusal(request)
    if refusal is not None:
        return refusal
    body: dict[str, Any] = {name: OK if ok else DOWN for name, ok in basic.items()}
    statuses = [body[name] for name in basic]
    for name, check in run_checks().items():
        body[name] = check.as_json()
        statuses.append(check.status)
    overall = DOWN if DOWN in statuses else DEGRADED if DEGRADED in statuses else OK
    body["status"] = overall
    return JsonResponse(body, status=503 if overall == DOWN else 200)
