"""TeamViewer: the OAuth app, its addresses, and how sessions live, are cleaned up and synced."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .environment import PUBLIC_BASE_URL, env

TEAMVIEWER_CLIENT_ID = env.str("TEAMVIEWER_CLIENT_ID", default="")
TEAMVIEWER_CLIENT_SECRET = env.str("TEAMVIEWER_CLIENT_SECRET", default="")
# No client ID: this server mounts its own TeamViewer stand-in and talks to it over HTTP.
TEAMVIEWER_SANDBOX = not TEAMVIEWER_CLIENT_ID
SANDBOX_PATH = "sandbox/teamviewer"
if TEAMVIEWER_SANDBOX:
    TEAMVIEWER_CLIENT_ID = "sandbox-client-id"
    TEAMVIEWER_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's own, public
    _api_default = f"{PUBLIC_BASE_URL}/{SANDBOX_PATH}/api/v1"
    _authorize_default = f"{PUBLIC_BASE_URL}/{SANDBOX_PATH}/oauth2/authorize"
else:
    if not TEAMVIEWER_CLIENT_SECRET:
        raise ImproperlyConfigured("TEAMVIEWER_CLIENT_SECRET must be set with TEAMVIEWER_CLIENT_ID.")
    _api_default = "https://webapi.teamviewer.com/api/v1"
    _authorize_default = "https://login.teamviewer.com/oauth2/authorize"
TEAMVIEWER_API_URL = env.str("TEAMVIEWER_API_URL", default=_api_default).rstrip("/")
TEAMVIEWER_AUTHORIZE_URL = env.str("TEAMVIEWER_AUTHORIZE_URL", default=_authorize_default)
TEAMVIEWER_REDIRECT_URI = f"{PUBLIC_BASE_URL}/oauth/teamviewer/callback/"
TEAMVIEWER_SESSION_GROUP = env.str("TEAMVIEWER_SESSION_GROUP", default="CSM")
# (connect, read) seconds for every call to TeamViewer.
TEAMVIEWER_TIMEOUT = (
    env.float("TEAMVIEWER_CONNECT_TIMEOUT", default=5.0),
    env.float("TEAMVIEWER_READ_TIMEOUT", default=15.0),
)
# Refresh this long before the access token's stated expiry.
TEAMVIEWER_REFRESH_MARGIN_SECONDS = env.int("TEAMVIEWER_REFRESH_MARGIN_SECONDS", default=300)
LOGIN_FLOW_LIFETIME_SECONDS = env.int("LOGIN_FLOW_LIFETIME_SECONDS", default=600)

SESSION_LIFETIME_HOURS = env.float("SESSION_LIFETIME_HOURS", default=24.0)
SESSION_RETENTION_DAYS = env.int("SESSION_RETENTION_DAYS", default=30)
# The incident page re-reads its live sessions this often, and asks TeamViewer about each at
# most this often (the customer coming online turns "waiting" into "customer online").
SESSION_SYNC_SECONDS = env.int("SESSION_SYNC_SECONDS", default=10)
# How often the incident page refreshes its live sessions while the agent looks elsewhere (the
# tab hidden); never more often than SESSION_SYNC_SECONDS.
SESSION_HIDDEN_POLL_SECONDS = env.int("SESSION_HIDDEN_POLL_SECONDS", default=30)

# Cleanup and state sync (sessions_app/services/cleanup.py, run by beat).
# Requests per second the cleanup and the state sync send to TeamViewer at most (0: no limit).
# TeamViewer publishes no figure; it counts per function and per access token.
TEAMVIEWER_RATE_LIMIT = env.float("TEAMVIEWER_RATE_LIMIT", default=10.0)
CLEANUP_INTERVAL_SECONDS = env.float("CLEANUP_INTERVAL_SECONDS", default=300.0)
# Sessions closed (and old sessions deleted) per run at most; the next run does the rest.
CLEANUP_BATCH_SIZE = env.int("CLEANUP_BATCH_SIZE", default=500)
# Closes in flight at once (threads of the run), all within TEAMVIEWER_RATE_LIMIT.
CLEANUP_CONCURRENCY = env.int("CLEANUP_CONCURRENCY", default=8)
# A Retry-After up to this long is waited out; a longer one ends the run (the next carries on).
CLEANUP_MAX_WAIT_SECONDS = env.float("CLEANUP_MAX_WAIT_SECONDS", default=30.0)
SESSION_SYNC_INTERVAL_SECONDS = env.float("SESSION_SYNC_INTERVAL_SECONDS", default=60.0)
# Open sessions asked about per sync run.
SESSION_SYNC_BATCH_SIZE = env.int("SESSION_SYNC_BATCH_SIZE", default=100)
# How often beat looks at TeamViewer for sessions whose create never finished here (recorded or
# closed; sessions_app/services/reconcile.py). Only agents with an uncertain create are looked at.
RECONCILE_INTERVAL_SECONDS = env.float("RECONCILE_INTERVAL_SECONDS", default=300.0)

# Connection reports (sessions_app/services/connection_fetch.py): fetched when a session is closed
# or expired, then again after base × 2^(fetch-1) seconds (1, 2, 4 … min) until the window after
# the close has passed; the fetch at its end is final. A failed fetch (TeamViewer down, rate
# limited) waits the same way; after CONNECTION_REPORT_MAX_ATTEMPTS fetching is given up.
CONNECTION_REPORT_WINDOW_SECONDS = env.float("CONNECTION_REPORT_WINDOW_SECONDS", default=3600.0)
CONNECTION_REPORT_RETRY_BASE_SECONDS = env.float("CONNECTION_REPORT_RETRY_BASE_SECONDS", default=60.0)
CONNECTION_REPORT_MAX_ATTEMPTS = env.int("CONNECTION_REPORT_MAX_ATTEMPTS", default=12)
# How often beat hands due report fetches (the broker lost them, a worker died) to a worker again.
CONNECTION_REPORT_REDRIVE_SECONDS = env.float("CONNECTION_REPORT_REDRIVE_SECONDS", default=60.0)
