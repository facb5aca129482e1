"""Every counter and histogram the code increments, by Prometheus' naming conventions.

The apps import what they count from here; figures read from the database at scrape time (rows
by state, ages) are the apps' own, registered in ``readings``. Label values are few and fixed:
a route's name (never a path), a ``via`` from the audit's vocabulary, an error code.
README's "Metrics" section documents each one.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from .multiprocess import use_host_qualified_files

use_host_qualified_files()

PREFIX = "csm_teamviewer"
# Requests and TeamViewer calls: 5 ms to 30 s (TeamViewer's read timeout is 15 s).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CLEANUP_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)

http_requests = Counter(
    f"{PREFIX}_http_requests",
    "HTTP requests answered, by route name, method and status.",
    ["endpoint", "method", "status"],
)
http_request_duration = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)

sessions_created = Counter(
    f"{PREFIX}_sessions_created", "Sessions created, by where the create came from.", ["via"]
)
sessions_closed = Counter(f"{PREFIX}_sessions_closed", "Sessions closed, by who closed them.", ["via"])
sessions_expired = Counter(
    f"{PREFIX}_sessions_expired", "Sessions expired past valid_until, by who found them.", ["via"]
)

logins_required = Counter(
    f"{PREFIX}_logins_required", "TeamViewer sign-ins asked of agents, by the action waiting.", ["action"]
)
logins_started = Counter(
    f"{PREFIX}_logins_started", "TeamViewer sign-ins started (sent to TeamViewer's login)."
)
logins_completed = Counter(f"{PREFIX}_logins_completed", "TeamViewer sign-ins completed (tokens stored).")
logins_failed = Counter(f"{PREFIX}_logins_failed", "TeamViewer sign-ins that failed, by reason.", ["reason"])
token_refreshes = Counter(f"{PREFIX}_token_refreshes", "Agents' TeamViewer tokens refreshed.")
token_refresh_failures = Counter(
    f"{PREFIX}_token_refresh_failures", "Token refreshes that failed, by reason.", ["reason"]
)

teamviewer_requests = Counter(
    f"{PREFIX}_teamviewer_requests",
    "Calls to TeamViewer's API, by operation and outcome.",
    ["operation", "outcome"],
)
teamviewer_request_duration = Histogram(
    f"{PREFIX}_teamviewer_request_duration_seconds",
    "Time of a call to TeamViewer's API, by operation.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)

invitations_sent = Counter(f"{PREFIX}_invitations_sent", "Invitation emails sent.")
invitations_failed = Counter(f"{PREFIX}_invitations_failed", "Invitation emails given up on (marked failed).")
journal_notes_written = Counter(
    f"{PREFIX}_journal_notes_written", "Notes written to incidents' CSM journals."
)
journal_notes_failed = Counter(
    f"{PREFIX}_journal_notes_failed", "CSM journal notes given up on (marked failed)."
)

cleanup_runs = Counter(f"{PREFIX}_cleanup_runs", "Cleanup runs, by how they ended.", ["outcome"])
cleanup_duration = Histogram(
    f"{PREFIX}_cleanup_duration_seconds", "Time of a cleanup run.", buckets=CLEANUP_BUCKETS
)
