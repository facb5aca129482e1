"""Make the CSM sandbox misbehave on purpose, for tests and benchmarks.

Faults live in the database, so one injected from a test process reaches the web server and the
worker alike. Every call (the token endpoint included) takes the oldest matching fault first,
counts it down, and answers with it instead of, or after, its real result.

    from csm_teamviewer.csm_sandbox import faults
    faults.inject(status=503, times=3)                          # down
    faults.inject(path_prefix="saverelatedbusinessobject", status=500)
    faults.inject(path_prefix="saverelated", status=None, delay=3, after=True)  # saved, answered late
    faults.expire_all_tokens(); faults.login_count()
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
    times: int | None = 1,
    delay: float = 0.0,
    after: bool = False,
) -> Fault:
    """Answer the next ``times`` matching calls (``None``: all, until ``clear()``) with a fault.

    ``path_prefix`` is matched, case-insensitively, against the path below ``CherwellAPI/`` with
    ``api/V1/`` dropped (``"token"``, ``"saverelatedbusinessobject"``; empty matches every call).
    ``body``: a dict (JSON), a string (HTML, like a gateway's page) or ``None`` (CSM's error body,
    or a gateway page for 502-504). ``status=None`` only delays. ``after``: do the work (a save is
    made), then delay, then answer: past the client's timeout, the save is made but unanswered.
    """
    return Fault.objects.create(
        **fault_fields(method=method, path_prefix=path_prefix, body=body),
        status=status,
        remaining=times,
        delay_seconds=delay,
        delay_after=after,
    )


def clear() -> None:
    """Remove every injected fault."""
    Fault.objects.all().delete()


def expire_all_tokens() -> int:
    """Make every access token expired now (refresh tokens stay usable). Returns the count."""
    past = timezone.now() - timedelta(seconds=1)
    return Token.objects.filter(access_expires_at__gt=past).update(access_expires_at=past)


def expire_all_refresh_tokens() -> int:
    """Make every refresh token expired too: the next renewal must be a password login."""
    past = timezone.now() - timedelta(seconds=1)
    expire_all_tokens()
    return Token.objects.filter(refresh_expires_at__gt=past).update(refresh_expires_at=past)


def login_count() -> int:
    """How many password logins the sandbox has granted (each takes a licence in CSM)."""
    return Token.objects.filter(grant=Token.Grant.PASSWORD).count()


def take(*, method: str, path: str) -> Fault | None:
    """The fault to answer this call with, counted down; ``None`` when none matches."""
    return fault_take(Fault, method=method, path=path)
