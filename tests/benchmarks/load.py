"""A small closed-loop load generator: N clients, each on its own keep-alive connection.

Each client sends its next request as soon as the last one is answered, so at N clients there
are N requests in flight; throughput is requests completed over the wall time of the batch.
"""

from __future__ import annotations

import http.client
import itertools
import math
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .middleware import QUERIES_HEADER

CONNECT_TIMEOUT = 30


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Batch:
    """What one run of requests gave: each latency (s), status and query count; its wall time and
    the CPU time (s) the server's workers spent meanwhile."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    queries: list[int] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0

    def merge(self, other: Batch) -> Batch:
        return Batch(
            latencies=self.latencies + other.latencies,
            statuses=self.statuses + other.statuses,
            queries=self.queries + other.queries,
            wall=self.wall + other.wall,
            cpu=self.cpu + other.cpu,
        )

    def summary(self, *, ok: tuple[int, ...]) -> dict:
        done = len(self.latencies)
        ordered = sorted(self.latencies)
        return {
            "requests": done,
            "errors": sum(count for status, count in self.statuses.items() if status not in ok),
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "median_ms": round(statistics.median(ordered) * 1000, 2) if ordered else None,
            "p99_ms": round(_percentile(ordered, 0.99) * 1000, 2) if ordered else None,
            "rps": round(done / self.wall, 1) if self.wall else None,
            "cpu_ms": round(self.cpu / done * 1000, 2) if done and self.cpu else None,
            "queries_median": statistics.median(self.queries) if self.queries else None,
            "queries_max": max(self.queries) if self.queries else None,
        }


def _percentile(ordered: list[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least ``fraction`` of the values at or below it."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def run(
    *,
    port: int,
    make_call: Callable[[int], Call],
    clients: int,
    total: int,
    max_seconds: float,
) -> Batch:
    """Send ``total`` requests from ``clients`` clients, stopping early after ``max_seconds``."""
    batch = Batch()
    numbers = itertools.count()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CONNECT_TIMEOUT)
        start.wait()
        try:
            while True:
                with lock:
                    number = next(numbers)
                if number >= total or time.monotonic() > deadline[0]:
                    return
                outcome = _send(connection, make_call(number))
                with lock:
                    batch.latencies.append(outcome[0])
                    batch.statuses[outcome[1]] += 1
                    if outcome[2] is not None:
                        batch.queries.append(outcome[2])
        finally:
            connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline[0] = began + max_seconds
    start.wait()
    for thread in threads:
        thread.join(max_seconds + CONNECT_TIMEOUT + 5)
    batch.wall = time.monotonic() - began
    return batch


def _send(connection: http.client.HTTPConnection, call: Call) -> tuple[float, int, int | None]:
    headers = {"Host": "127.0.0.1", **call.headers}
    began = time.perf_counter()
    try:
        connection.request(call.method, call.path, body=call.body, headers=headers)
        response = connection.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        connection.close()  # reconnects on the next request
        return time.perf_counter() - began, 599, None
    elapsed = time.perf_counter() - began
    queries = response.getheader(QUERIES_HEADER)
    return elapsed, response.status, int(queries) if queries else None


def one(port: int, call: Call) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CONNECT_TIMEOUT)
    try:
        connection.request(
            call.method, call.path, body=call.body, headers={"Host": "127.0.0.1", **call.headers}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
