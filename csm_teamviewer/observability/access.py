"""Who may read ``/metrics`` and ``/healthz/?deep=1``: a bearer token or an allowed address.

With neither ``METRICS_TOKEN`` nor ``METRICS_ALLOWED_IPS`` set, both are closed: 404, as if they
were not there. When one is set and the caller has neither, 403. The address is the connecting
one (``REMOTE_ADDR``), never ``X-Forwarded-For``, which any client can write.
"""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, JsonResponse

BEARER = "Bearer "


def _token_matches(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not expected or not header.startswith(BEARER):
        return False
    return hmac.compare_digest(header[len(BEARER) :].strip().encode(), expected.encode())


def _address_allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_IPS)


def operator_refusal(request: HttpRequest) -> JsonResponse | None:
    """None when the caller may read; otherwise the answer to give (404 closed, 403 refused)."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_IPS:
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    if _token_matches(request) or _address_allowed(request):
        return None
    return JsonResponse(
        {"code": "permission_denied", "detail": "A metrics token or an allowed address is needed."},
        status=403,
    )
