"""Running one callable on several threads at once, for the tests that race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_in_threads(target: Callable[..., Any], count: int, *, timeout: float, args: tuple = ()) -> None:
    """Start ``count`` threads on ``target`` and wait for each, at most ``timeout`` seconds apiece."""
    threads = [threading.Thread(target=target, args=args) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
