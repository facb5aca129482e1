"""Pacing calls to TeamViewer from several threads: a request rate, and a shared pause.

TeamViewer counts calls per function and per access token and answers a rate limit with 403
``rate_limit_reached`` or 429 (API notes §6). The background jobs stay under
``TEAMVIEWER_RATE_LIMIT`` by spacing the starts of calls evenly (a little wider than
``1 / rate``, see ``JITTER_SECONDS``), and when TeamViewer still says "slow down", every thread
waits out its ``Retry-After`` together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Calls reach TeamViewer a little after they start, each after its own delay. Spacing starts
# for ``rate`` calls in 1 s plus this much keeps any one second at TeamViewer within ``rate``
# as long as those delays differ by less than this.
JITTER_SECONDS = 0.1


class RateLimiter:
    """Hands out start times at most ``rate`` a second across threads; ``None`` or 0: no limit."""

    def __init__(
        self,
        rate: float | None,
        *,
        max_wait: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = (1.0 + JITTER_SECONDS) / rate if rate else 0.0
        self._max_wait = max_wait
        self._clock = clock
        self.was_limited = False
        self._lock = threading.Lock()
        self._next_start = 0.0
        self._resume_at = 0.0
        self._stopped = threading.Event()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def acquire(self) -> bool:
        """Wait for this caller's turn; False (at once) when the run has been stopped."""
        while not self.stopped:
            with self._lock:
                now = self._clock()
                start = max(now, self._next_start, self._resume_at)
                self._next_start = start + self._interval
            if start > now:
                self._stopped.wait(start - now)
            with self._lock:
                # A pause that began while this caller waited moves its turn past the pause.
                if self._resume_at <= start:
                    return not self.stopped
        return False

    def pause(self, seconds: float) -> None:
        """No call starts in the next ``seconds`` (TeamViewer's ``Retry-After``)."""
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + seconds)

    def back_off(self, seconds: float) -> None:
        """TeamViewer said "slow down": everyone waits ``seconds``, or stops if that is past ``max_wait``."""
        self.was_limited = True
        if self._max_wait is not None and seconds > self._max_wait:
            self.stop()
        else:
            self.pause(seconds)

    def stop(self) -> None:
        """No call starts any more; callers waiting for their turn give up at once."""
        self._stopped.set()
