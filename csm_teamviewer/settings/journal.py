"""The CSM journal write-back: which session events become notes, in which language, and how the
notes' outbox retries through CSM outages."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .environment import env

# Every event that can be written to the incident's journal (the public names).
CSM_EVENTS = ("created", "emailed", "customer_waiting", "closed", "expired", "report")


def _events(name: str) -> tuple[str, ...]:
    """``all`` (the default), ``none``, or a comma-separated list of event names."""
    raw = env.str(name, default="all").strip().lower()
    if raw == "all":
        return CSM_EVENTS
    if raw in ("none", ""):
        return ()
    events = tuple(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))
    unknown = [event for event in events if event not in CSM_EVENTS]
    if unknown:
        raise ImproperlyConfigured(f"{name}: unknown event(s) {', '.join(unknown)}; use {', '.join(CSM_EVENTS)}.")
    return events


CSM_WRITEBACK_EVENTS = _events("CSM_WRITEBACK_EVENTS")
CSM_JOURNAL_LANGUAGE = env.str("CSM_JOURNAL_LANGUAGE", default="ja")
if CSM_JOURNAL_LANGUAGE not in ("ja", "en"):
    raise ImproperlyConfigured("CSM_JOURNAL_LANGUAGE must be ja or en.")
# A note CSM could not take (down, slow, 5xx) is tried again after base × 2^(attempt-1) seconds,
# capped (30 s, 1 min, 2 min … 30 min), and marked failed after CSM_WRITEBACK_MAX_ATTEMPTS
# (about 2 hours in all): long enough for a maintenance window, short enough to be noticed.
CSM_WRITEBACK_MAX_ATTEMPTS = env.int("CSM_WRITEBACK_MAX_ATTEMPTS", default=10)
CSM_WRITEBACK_RETRY_BASE_SECONDS = env.float("CSM_WRITEBACK_RETRY_BASE_SECONDS", default=30.0)
CSM_WRITEBACK_RETRY_MAX_SECONDS = env.float("CSM_WRITEBACK_RETRY_MAX_SECONDS", default=1800.0)
# Settings CSM refuses (client id, account, journal type): every note waits this long between
# tries, and none fails for it, until the operator corrects them. Slow, so that a wrong password
# does not lock the integration account out with failed logins.
CSM_WRITEBACK_SLOW_RETRY_SECONDS = env.float("CSM_WRITEBACK_SLOW_RETRY_SECONDS", default=900.0)
# How often beat hands due notes (broker was down, worker died) to a worker again.
CSM_WRITEBACK_REDRIVE_SECONDS = env.float("CSM_WRITEBACK_REDRIVE_SECONDS", default=60.0)
