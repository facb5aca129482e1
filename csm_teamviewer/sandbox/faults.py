"""Make the sandbox misbehave on purpose, for tests and benchmarks.

Faults live in the database, so one injected from a test process reaches the web server and
the worker alike. Every API call (the token endpoint included) takes the oldest matching fault
first, counts it down, and answers with it instead of its real result.

    from csm_teamviewer.sandbox import faults
    faults.inject(path_prefix="sessions", method="POST", status=429, retry_after=30)
    faults.inject(status=403, body={"error": "rate_limit_reached", ...}, times=3)
    faults.inject(status=None, delay=2.0, times=None)   # slow, but correct, until cleared
    faults.clear()
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from csm_teamviewer.fault_injection import fault_fields, fault_take

from .models import Fault, Token


def inject(
    *,
    method: str = "*",
    path_prefix: str = "",
    status: int | None = 503,
    body: dict[str, Any] | str | None = None,
    retry_after: int | None = None,
    times: int | None = 1,
    delay: float = 0.0,
) -> Fault:
    """Answer the next ``times`` matching API calls (``None``: all, until ``clear()``) with a fault.

    ``path_prefix`` is matched, case-insensitively, against the path below ``api/v1/``
    (``"sessions"``, ``"oauth2/token"``; empty matches every call). ``body`` may be a dict
    (sent as JSON), a string (sent as HTML, like a gateway's error page) or ``None`` (the
    error TeamViewer gives for that status). ``status=None`` only delays.
    """
    return Fault.objects.create(
        **fault_fields(method=method, path_prefix=path_prefix, body=body),
        status=status,
        retry_after=retry_after,
        remaining=times,
        delay_seconds=delay,
    )


def clear() -> None:
    """Remove every injected fault."""
    Fault.objects.all().delete()


def expire_all_tokens() -> int:
    """Make every access token expired now (refresh tokens stay usable). Returns the count."""
    past = timezone.now() - timedelta(seconds=1)
    return Token.objects.filter(access_expires_at__gt=past).update(access_expires_at=past)


def revoke_all_tokens() -> int:
    """Revoke every token, refresh tokens included: every client must sign in again."""
    return Token.objects.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def take(*, method: str, path: str) -> Fault | None:
    """The fault to answer this call with, counted down; ``None`` when none matches."""
    return fault_take(Fault, method=method, path=path)
