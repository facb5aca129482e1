"""The limiter the background jobs share: a start rate, a shared pause, a stop."""

from __future__ import annotations

import threading
import time

from sessions_app.services.pacing import RateLimiter
from tests.threads import run_in_threads


def _starts(limiter: RateLimiter, calls: int, threads: int = 4) -> list[float]:
    starts: list[float] = []
    lock = threading.Lock()

    def worker(count: int) -> None:
        for _ in range(count):
            if limiter.acquire():
                with lock:
                    starts.append(time.monotonic())

    run_in_threads(worker, threads, timeout=30, args=(calls // threads,))
    return sorted(starts)


def test_calls_from_several_threads_never_start_faster_than_the_rate():
    began = time.monotonic()
    starts = _starts(RateLimiter(50), calls=20)

    assert len(starts) == 20
    # The n-th call to start cannot start before n intervals (of 1/50 s) have passed.
    assert all(start - began >= n * 0.02 - 1e-6 for n, start in enumerate(starts))


def test_a_pause_holds_back_every_caller():
    limiter = RateLimiter(None)
    limiter.pause(0.3)
    began = time.monotonic()

    starts = _starts(limiter, calls=4)

    assert len(starts) == 4 and min(starts) - began >= 0.3 * 0.9


def test_back_off_past_the_longest_wait_stops_callers_at_once():
    limiter = RateLimiter(1, max_wait=5)
    assert limiter.acquire()
    limiter.back_off(60)

    assert limiter.stopped and limiter.was_limited
    assert limiter.acquire() is False


def test_back_off_within_the_longest_wait_pauses():
    limiter = RateLimiter(None, max_wait=5)
    limiter.back_off(0.2)
    began = time.monotonic()

    assert limiter.acquire() and not limiter.stopped
    assert time.monotonic() - began >= 0.2 * 0.9
