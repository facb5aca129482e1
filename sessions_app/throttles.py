"""Request budgets for the REST API: one per API key, one per agent (429 ``throttled``).

A leaked key, or a one-step stuck in a loop, cannot flood TeamViewer or the mail server through
us: each key and each agent gets ``API_THROTTLE_PER_KEY`` / ``API_THROTTLE_PER_AGENT`` requests
per window ("600/min", "120/min"; an empty rate switches the budget off).

DRF's ``SimpleRateThrottle`` reads, edits and writes a list of timestamps, so two processes can
both let a request through; here each window is one counter that ``cache.incr`` bumps atomically
(on Redis across every web process, with ``CACHE_URL``). A fixed window may let up to twice the
rate through across a window boundary, which is fine for a flood guard. On Redis every budget a
request spends is counted in one round trip (a small script that increments and sets the expiry
atomically), sent over a client of our own on the cache's server and key names, since Django's
cache API has no way to run a script; other cache backends take ``add`` and ``incr`` per budget.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from redis.commands.core import Script
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from csm_teamviewer.rates import Rate, parse_rate

from .cache_fallback import cache_or

# A cache that does not answer within this long counts as down (the request goes through).
REDIS_TIMEOUT_SECONDS = 2.0


# INCR each key; a new counter expires with its window. One script: atomic, one round trip.
_COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
  counts[i] = redis.call('INCR', key)
  if counts[i] == 1 then redis.call('EXPIRE', key, ARGV[i]) end
end
return counts
"""


class WindowThrottle(BaseThrottle):
    """At most N requests per fixed window for each identity ``ident`` names."""

    scope = ""
    setting = ""

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def budget(self, request: Request) -> tuple[str, int] | None:
        """(counter key, limit) of this request's window; None when no budget applies."""
        rate = _rate(getattr(settings, self.setting))
        ident = self.ident(request)
        if rate is None or ident is None:
            return None
        limit, self.window = rate
        now = time.time()
        window_start = int(now // self.window) * self.window
        self.retry_after = max(1, math.ceil(window_start + self.window - now))
        return f"throttle:{self.scope}:{ident}:{window_start}", limit

    def allow_request(self, request: Request, view: object) -> bool:
        return not throttles_refusing([self], request)

    def wait(self) -> float:
        return self.retry_after


def throttles_refusing(throttles: list[WindowThrottle], request: Request) -> list[WindowThrottle]:
    """The throttles whose budget this request exceeds; every budget counted in one go."""
    budgets = [(throttle, budget) for throttle in throttles if (budget := throttle.budget(request))]
    if not budgets:
        return []
    # A flood guard must not take the API down with the cache: while it is down, let requests through.
    counts = cache_or(
        lambda: _count([(key, throttle.window + 1) for throttle, (key, _limit) in budgets]),
        fallback=None,
        skipped="Request budget not checked",
    )
    if counts is None:
        return []
    return [
        throttle for (throttle, (_key, limit)), count in zip(budgets, counts, strict=True) if count > limit
    ]


def _rate(text: str) -> Rate | None:
    try:
        return parse_rate(text)
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def _count(windows: list[tuple[str, int]]) -> list[int]:
    """Each counter bumped by one (created with its timeout when new): the new values."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        keys = [backend.make_and_validate_key(key) for key, _timeout in windows]
        script = _count_script(_redis_url(settings.CACHES[DEFAULT_CACHE_ALIAS]["LOCATION"]))
        return [int(n) for n in script(keys=keys, args=[timeout for _key, timeout in windows])]
    return [_count_generic(key, timeout) for key, timeout in windows]


def _redis_url(location: str | list[str]) -> str:
    # Django's RedisCache writes to the first of several servers.
    servers = location.split(",") if isinstance(location, str) else location
    return servers[0].strip()


@lru_cache(maxsize=8)
def _count_script(url: str) -> Script:
    """The counting script on a pooled client for ``url``, made once per process and server.

    The script goes by its digest after the first call (EVALSHA), so a request is one round trip.
    """
    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    return client.register_script(_COUNT_SCRIPT)


def _count_generic(key: str, timeout: int) -> int:
    # add() is a no-op when the counter exists; incr() is atomic in memory.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        return 1


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
