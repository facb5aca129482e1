"""Background work and email: the SMTP server, the sender, how invitations are retried, the
Celery broker, how the worker takes tasks, and beat's schedule."""

from __future__ import annotations

from typing import Any

from .environment import VAR_DIR, env
from .journal import CSM_WRITEBACK_REDRIVE_SECONDS
from .teamviewer import (
    CLEANUP_INTERVAL_SECONDS,
    CONNECTION_REPORT_REDRIVE_SECONDS,
    RECONCILE_INTERVAL_SECONDS,
    SESSION_SYNC_INTERVAL_SECONDS,
)
from .web import DATABASES

# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER … from one URL.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="csm-teamviewer@localhost")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
# The invitation's language when the request names none: "ja" or "en".
INVITATION_DEFAULT_LANGUAGE = env.str("INVITATION_DEFAULT_LANGUAGE", default="ja")
# An invitation SMTP refuses is tried again after base × 2^(attempt-1) seconds, capped (60 s,
# 2 min, 4 min … 1 h), and marked failed after INVITATION_MAX_ATTEMPTS (about 2 hours in all).
INVITATION_MAX_ATTEMPTS = env.int("INVITATION_MAX_ATTEMPTS", default=8)
INVITATION_RETRY_BASE_SECONDS = env.float("INVITATION_RETRY_BASE_SECONDS", default=60.0)
INVITATION_RETRY_MAX_SECONDS = env.float("INVITATION_RETRY_MAX_SECONDS", default=3600.0)
# How often beat hands still-queued invitations (broker was down, worker died) to a worker again.
EMAIL_REDRIVE_SECONDS = env.float("EMAIL_REDRIVE_SECONDS", default=60.0)

# Without a broker URL, the filesystem transport under var/ needs no server at all.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    for _folder in ("queue", "processed", "control"):
        (_queue_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
# On PostgreSQL a request hands its outbox rows over with a NOTIFY (about a tenth of a broker
# publish's CPU) and a listener in the worker publishes them; other databases have no NOTIFY.
_ON_POSTGRESQL = DATABASES["default"]["ENGINE"].endswith((".postgresql", ".postgis"))
OUTBOX_NOTIFY = env.bool("OUTBOX_NOTIFY", default=_ON_POSTGRESQL) and _ON_POSTGRESQL
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks go to this queue: deployments sharing one Redis each take their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Periodic runs expire after one interval: a backlog (the worker was down) is not replayed.
# The outbox listener also queues the "redrive-…" entries each time it starts listening.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "redrive-invitation-emails": {
        "task": "sessions_app.tasks.redrive_invitations",
        "schedule": EMAIL_REDRIVE_SECONDS,
    },
    "redrive-csm-journal-notes": {
        "task": "journal_app.tasks.redrive_journal_notes",
        "schedule": CSM_WRITEBACK_REDRIVE_SECONDS,
        "options": {"expires": CSM_WRITEBACK_REDRIVE_SECONDS},
    },
    "teamviewer-cleanup": {
        "task": "sessions_app.tasks.teamviewer_cleanup",
        "schedule": CLEANUP_INTERVAL_SECONDS,
        "options": {"expires": CLEANUP_INTERVAL_SECONDS},
    },
    "sync-session-states": {
        "task": "sessions_app.tasks.sync_session_states",
        "schedule": SESSION_SYNC_INTERVAL_SECONDS,
        "options": {"expires": SESSION_SYNC_INTERVAL_SECONDS},
    },
    "redrive-connection-report-fetches": {
        "task": "sessions_app.tasks.redrive_connection_reports",
        "schedule": CONNECTION_REPORT_REDRIVE_SECONDS,
        "options": {"expires": CONNECTION_REPORT_REDRIVE_SECONDS},
    },
    "reconcile-teamviewer-sessions": {
        "task": "sessions_app.tasks.reconcile_sessions",
        "schedule": RECONCILE_INTERVAL_SECONDS,
        "options": {"expires": RECONCILE_INTERVAL_SECONDS},
    },
}
