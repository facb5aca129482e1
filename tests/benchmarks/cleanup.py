"""Benchmark: the scheduled cleanup closing many expired sessions against a slow TeamViewer.

Run from the repository root:

    .venv/bin/python -m tests.benchmarks.cleanup                      # 1,000 sessions, 50 ms, temp SQLite
    .venv/bin/python -m tests.benchmarks.cleanup --large              # and 10,000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/csm_teamviewer \\
        .venv/bin/python -m tests.benchmarks.cleanup                  # on PostgreSQL

With ``DATABASE_URL`` set, a separate database ``<name>_cleanup_bench`` is created on that server
(and dropped after); without it, a SQLite file in a temporary folder is used. The stand-in for
TeamViewer is a small threaded HTTP server on loopback that answers each close
(``PUT /sessions/<code>``) after ``latency_ms`` and records when each request arrived.

For each row the same sessions are closed twice: by ``sessions_cleanup`` as configured (threads
and the rate limit) and by the same code with one thread ("one by one"). Above 1,000 sessions the
one-by-one time is extrapolated from a measured 1,000, and the table says so. Printed: wall
times, their ratio, database queries per session (the calling thread does all database work),
and the most requests the stand-in saw in any one-second window.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import tempfile
import threading
import time
from bisect import bisect_left
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ONE_BY_ONE_SAMPLE = 1000
DEFAULT_CONCURRENCY = 16
_CLOSE_PATH = re.compile(r"^/api/v1/sessions/(?P<code>s\d{2}-\d{3}-\d{3})$")
_database_ready = False


# --- the stand-in for TeamViewer --------------------------------------------------------------


class StandIn(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, latency: float) -> None:
        super().__init__(("127.0.0.1", 0), _CloseHandler)
        self.latency = latency
        self.lock = threading.Lock()
        self.arrivals: list[float] = []
        self.closed: list[str] = []

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v1"

    def reset(self) -> None:
        with self.lock:
            self.arrivals.clear()
            self.closed.clear()


class _CloseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as TeamViewer's HTTPS endpoint allows

    def do_PUT(self) -> None:  # noqa: N802 - http.server's method name
        arrived = time.monotonic()
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        match = _CLOSE_PATH.match(self.path)
        time.sleep(self.server.latency)
        with self.server.lock:
            self.server.arrivals.append(arrived)
            if match:
                self.server.closed.append(match.group("code"))
        self.send_response(204 if match else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's signature
        pass


def max_per_second(arrivals: list[float]) -> int:
    """The most arrivals in any window [t, t + 1 s)."""
    times = sorted(arrivals)
    return max((bisect_left(times, start + 1.0) - index for index, start in enumerate(times)), default=0)


# --- the database -----------------------------------------------------------------------------


def _setup_django() -> None:
    """Django on a database of the benchmark's own, migrated; dropped when the process exits."""
    global _database_ready
    if _database_ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm_teamviewer.settings")
    temp = None
    if not os.environ.get("DATABASE_URL"):
        temp = tempfile.mkdtemp(prefix="cleanup-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{temp}/bench.sqlite3"
    import django
    from django.conf import settings

    django.setup()
    from django.db import connection

    name = settings.DATABASES["default"]["NAME"]
    bench_name = f"{temp}/bench-test.sqlite3" if temp else f"{name}_cleanup_bench"
    connection.settings_dict["TEST"]["NAME"] = bench_name
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    atexit.register(connection.creation.destroy_test_db, old_name, verbosity=0)
    settings.SANDBOX_LATENCY_SECONDS = 0
    _database_ready = True


def _seed(count: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from csm_teamviewer.audit.models import AuditEvent
    from sessions_app.models import Session
    from tokens_app.models import TeamViewerToken

    AuditEvent.objects.all().delete()
    Session.objects.all().delete()
    agent, _created = get_user_model().objects.get_or_create(username="bench.agent")
    TeamViewerToken.objects.update_or_create(
        agent=agent,
        defaults={
            "access_token": "bench-access-token",
            "refresh_token": "bench-refresh-token",
            "expires_at": timezone.now() + timedelta(days=1),
        },
    )
    past = timezone.now() - timedelta(minutes=5)
    Session.objects.bulk_create(
        [
            Session(
                agent=agent,
                incident_id=f"INC-{n}",
                code=f"s{n // 1_000_000 % 100:02d}-{n // 1000 % 1000:03d}-{n % 1000:03d}",
                state=Session.State.OPEN,
                valid_until=past,
            )
            for n in range(count)
        ],
        batch_size=1000,
    )


def _run(count: int, *, concurrency: int, rate_limit: float | None) -> tuple[float, int, int]:
    """(wall seconds, queries, sessions expired) of one cleanup run over ``count`` fresh sessions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sessions_app.services.cleanup import sessions_cleanup

    _seed(count)
    with CaptureQueriesContext(connection) as queries:
        began = time.perf_counter()
        result = sessions_cleanup(limit=count, concurrency=concurrency, rate_limit=rate_limit or 0)
        wall = time.perf_counter() - began
    return wall, len(queries.captured_queries), result.expired


def measure_cleanup(
    *,
    sessions: int,
    latency_ms: int = 50,
    rate_limit: float | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> dict:
    """Close ``sessions`` expired sessions against a stand-in answering after ``latency_ms``."""
    _setup_django()
    from django.conf import settings

    server = StandIn(latency_ms / 1000)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    original_url = settings.TEAMVIEWER_API_URL
    settings.TEAMVIEWER_API_URL = server.api_url
    try:
        wall, queries, expired = _run(sessions, concurrency=concurrency, rate_limit=rate_limit)
        arrivals, closed = list(server.arrivals), list(server.closed)
        server.reset()
        sample = min(sessions, ONE_BY_ONE_SAMPLE)
        one_by_one, _queries, _expired = _run(sample, concurrency=1, rate_limit=rate_limit)
    finally:
        settings.TEAMVIEWER_API_URL = original_url
        server.shutdown()
        server.server_close()
    one_by_one_s = one_by_one * sessions / sample
    return {
        "sessions": sessions,
        "latency_ms": latency_ms,
        "rate_limit": rate_limit,
        "concurrency": concurrency,
        "wall_s": round(wall, 3),
        "one_by_one_s": round(one_by_one_s, 3),
        "one_by_one_extrapolated": sample < sessions,
        "ratio": round(wall / one_by_one_s, 4),
        "queries_per_session": round(queries / sessions, 3),
        "max_requests_per_second": max_per_second(arrivals),
        "closed": len(set(closed)),
        "closed_twice": len(closed) - len(set(closed)),
        "expired": expired,
    }


def _print_table(rows: list[dict], vendor: str) -> None:
    print(f"Cleanup benchmark on {vendor}; TeamViewer stand-in on loopback.")
    header = (
        f"{'sessions':>8} {'latency':>8} {'limit/s':>8} {'threads':>7} {'wall s':>8} "
        f"{'1-by-1 s':>9} {'ratio':>7} {'queries/s.':>10} {'max req/s':>9} {'closed':>7} {'twice':>5}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        limit = f"{row['rate_limit']:g}" if row["rate_limit"] else "none"
        one_by_one = f"{row['one_by_one_s']:.2f}{'*' if row['one_by_one_extrapolated'] else ''}"
        print(
            f"{row['sessions']:>8} {row['latency_ms']:>6}ms {limit:>8} {row['concurrency']:>7} "
            f"{row['wall_s']:>8.2f} {one_by_one:>9} {'1/' + format(1 / row['ratio'], '.1f'):>7} "
            f"{row['queries_per_session']:>10.3f} {row['max_requests_per_second']:>9} "
            f"{row['closed']:>7} {row['closed_twice']:>5}"
        )
    if any(row["one_by_one_extrapolated"] for row in rows):
        print(f"* extrapolated from {ONE_BY_ONE_SAMPLE:,} sessions measured one by one.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help="also 10,000 sessions")
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=200.0,
        help="requests per second for the limited rows (default 200)",
    )
    options = parser.parse_args()
    plan = [(1000, None), (1000, options.rate_limit)]
    if options.large:
        plan += [(10_000, None), (10_000, options.rate_limit)]
    rows = [
        measure_cleanup(
            sessions=count, latency_ms=options.latency_ms, rate_limit=limit, concurrency=options.concurrency
        )
        for count, limit in plan
    ]
    from django.db import connection

    _print_table(rows, connection.vendor)


if __name__ == "__main__":
    main()
