"""Request budgets for the REST API: one per API key, one per agent (429 ``throttled``).

A leaked key, or a one-step stuck in a loop, cannot flood TeamViewer or the mail server through
us: each key and each agent gets ``API_THROTTLE_PER_KEY`` / ``API_THROTTLE_PER_AGENT`` requests
per window ("600/min", "120/min"; an empty rate switches the budget off).

DRF's ``SimpleRateThrottle`` reads, edits and writes a list of timestamps, so two processes can
both let a request through; here each window is one counter that ``cache.incr`` bumps atomically
(on Redis across every web process, with ``CACHE_URL``). A fixed window may let up to twice the
rate through across a window boundary, which is fine for a flood guard.
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"120/min"`` as (120, 60); None for an empty rate (no budget)."""
    if not rate or not rate.strip():
        return None
    try:
        count, period = rate.strip().split("/")
        return int(count), _PERIODS[period.strip()[0].lower()]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(f"A throttle rate looks like '120/min'; got {rate!r}.") from None


class WindowThrottle(BaseThrottle):
    """At most N requests per fixed window for each identity ``ident`` names."""

    scope = ""
    setting = ""

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: object) -> bool:
        rate = parse_rate(getattr(settings, self.setting))
        ident = self.ident(request)
        if rate is None or ident is None:
            return True
        limit, self.window = rate
        now = time.time()
        window_start = int(now // self.window) * self.window
        self.retry_after = max(1, math.ceil(window_start + self.window - now))
        try:
            return self._count(f"throttle:{self.scope}:{ident}:{window_start}") <= limit
        except Exception as exc:  # noqa: BLE001 - any cache backend's outage, whatever it raises
            # A flood guard must not take the API down with the cache: let the request through.
            logger.warning("Request budget not checked, the cache is unavailable: %s", type(exc).__name__)
            return True

    def _count(self, key: str) -> int:
        # add() is a no-op when the counter exists; incr() is atomic on Redis and in memory.
        cache.add(key, 0, timeout=self.window + 1)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=self.window + 1)
            return 1

    def wait(self) -> float:
        return self.retry_after


class ApiKeyThrottle(WindowThrottle):
    """One budget per API key, shared by every agent that key acts for."""

    scope = "key"
    setting = "API_THROTTLE_PER_KEY"

    def ident(self, request: Request) -> str | None:
        return str(request.auth.pk) if getattr(request.auth, "pk", None) else None


class AgentThrottle(WindowThrottle):
    """One budget per agent, whichever key or page the requests come through."""

    scope = "agent"
    setting = "API_THROTTLE_PER_AGENT"

    def ident(self, request: Request) -> str | None:
        user = request.user
        return str(user.pk) if user is not None and user.is_authenticated else None
