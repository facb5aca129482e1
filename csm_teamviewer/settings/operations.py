"""What operators watch: who may read ``/metrics`` and ``/healthz/?deep=1``, the deep check's
thresholds, and the log format (plain, or one JSON object a line)."""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .environment import BASE_DIR, env
from .teamviewer import CLEANUP_INTERVAL_SECONDS

# prometheus_client's own variable: the folder where every process of this deployment (gunicorn's
# workers, Celery's worker and beat) keeps its figures, so that /metrics sums them all. gunicorn
# (gunicorn.conf.py) uses VAR_DIR/metrics when it is unset. Relative: from the checkout; empty (a
# copied .env.example) counts as unset, as prometheus_client would otherwise write to the cwd.
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if PROMETHEUS_MULTIPROC_DIR:
    PROMETHEUS_MULTIPROC_DIR = str(BASE_DIR / PROMETHEUS_MULTIPROC_DIR)
    os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
else:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)

# A bearer token for /metrics and /healthz/?deep=1 (Authorization: Bearer <token>), and/or the
# addresses (IPs or CIDRs, comma-separated) that may read them without it. Neither: both closed.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")


def _networks(name: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    try:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in env.list(name, default=[])
            if item.strip()
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be comma-separated IP addresses or CIDRs ({exc}).") from None


METRICS_ALLOWED_IPS = _networks("METRICS_ALLOWED_IPS")

# The deep health check: TeamViewer's /ping (one short call, its answer kept a minute), the
# invitation outbox's oldest waiting row, and how far the cleanup is behind (the oldest live
# session past valid_until). Each is ok below its "degraded" threshold, down at its "down" one.
HEALTH_TEAMVIEWER_TIMEOUT_SECONDS = env.float("HEALTH_TEAMVIEWER_TIMEOUT_SECONDS", default=3.0)
HEALTH_TEAMVIEWER_SLOW_SECONDS = env.float("HEALTH_TEAMVIEWER_SLOW_SECONDS", default=1.0)
HEALTH_TEAMVIEWER_CACHE_SECONDS = env.float("HEALTH_TEAMVIEWER_CACHE_SECONDS", default=60.0)
HEALTH_OUTBOX_DEGRADED_SECONDS = env.float("HEALTH_OUTBOX_DEGRADED_SECONDS", default=600.0)
HEALTH_OUTBOX_DOWN_SECONDS = env.float("HEALTH_OUTBOX_DOWN_SECONDS", default=3600.0)
# Twice and six times the cleanup's interval by default: one missed run is not yet a problem.
HEALTH_CLEANUP_DEGRADED_SECONDS = env.float(
    "HEALTH_CLEANUP_DEGRADED_SECONDS", default=2.0 * CLEANUP_INTERVAL_SECONDS
)
HEALTH_CLEANUP_DOWN_SECONDS = env.float("HEALTH_CLEANUP_DOWN_SECONDS", default=6.0 * CLEANUP_INTERVAL_SECONDS)

# "plain" (a line of text) or "json" (one JSON object a line, for a log shipper).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain").strip().lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'plain' or 'json'.")


def logging_config(level: str) -> dict[str, Any]:
    """settings.LOGGING: every line carries the request id (``-`` outside a request or task)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "csm_teamviewer.observability.request_ids.RequestIdFilter"}},
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
            "json": {"()": "csm_teamviewer.observability.logs.JsonLineFormatter"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # authlib logs the PKCE verifier and tokens at DEBUG: never below INFO.
            "authlib": {"level": "INFO"},
            # urllib3 logs full request URLs (with OAuth codes) at DEBUG.
            "urllib3": {"level": "INFO"},
        },
    }
