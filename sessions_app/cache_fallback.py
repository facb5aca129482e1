"""The cache as an aid, never a dependency: while it is down, callers carry on without it.

With ``CACHE_URL`` pointing at Redis, any cache call can raise (connection refused, timeout);
what the cache only speeds up or paces must not turn that into a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def cache_or(call: Callable[[], T], *, fallback: T, skipped: str) -> T:
    """``call()``, or ``fallback`` when the cache fails; the warning names what was ``skipped``."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - any cache backend's outage, whatever it raises
        logger.warning("%s, the cache is unavailable: %s", skipped, type(exc).__name__)
        return fallback
