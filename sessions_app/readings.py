"""What ``/metrics`` reads from the sessions at scrape time, and the deep health's checks on them.

Sessions by state (one grouped count), the invitation outbox (depth, oldest age: one aggregate),
and two lags from one aggregate over live sessions: the cleanup's (how long the oldest session
past ``valid_until`` has been left open) and the state sync's (the longest a live session has gone
unasked).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from csm_teamviewer.observability.metrics import PREFIX
from csm_teamviewer.observability.readings import Check, graded, register_check, register_families

from .lifecycle import SessionState
from .models import InvitationEmail, Session


def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since else 0.0


def outbox_reading(now: datetime) -> tuple[int, float]:
    """(queued invitations, seconds the oldest has waited)."""
    row = InvitationEmail.objects.filter(status=InvitationEmail.Status.QUEUED).aggregate(
        depth=Count("pk"), oldest=Min("created_at")
    )
    return row["depth"], _age(row["oldest"], now)


def lags(now: datetime) -> tuple[float, float]:
    """(cleanup lag, state-sync lag) in seconds."""
    row = Session.objects.live().aggregate(
        past_due=Min("valid_until", filter=Q(valid_until__lte=now)),
        unasked=Min(Coalesce("synced_at", "created_at"), filter=Q(valid_until__gt=now) & ~Q(code="")),
    )
    return _age(row["past_due"], now), _age(row["unasked"], now)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, value=value)


def session_families() -> Iterator[Metric]:
    now = timezone.now()
    counts = dict(Session.objects.order_by().values_list("state").annotate(n=Count("pk")))
    by_state = GaugeMetricFamily(f"{PREFIX}_sessions", "Sessions by state now.", labels=["state"])
    for state in SessionState.values:
        by_state.add_metric([state], counts.get(state, 0))
    yield by_state
    depth, oldest = outbox_reading(now)
    yield _gauge("invitation_outbox_depth", "Invitations waiting to be sent.", depth)
    yield _gauge("invitation_outbox_oldest_age_seconds", "Age of the oldest invitation waiting.", oldest)
    cleanup_lag, sync_lag = lags(now)
    yield _gauge("cleanup_lag_seconds", "Age of the oldest live session past valid_until.", cleanup_lag)
    yield _gauge("state_sync_lag_seconds", "Longest a live session has gone without a state sync.", sync_lag)


def outbox_check() -> Check:
    depth, oldest = outbox_reading(timezone.now())
    status = graded(
        oldest, degraded=settings.HEALTH_OUTBOX_DEGRADED_SECONDS, down=settings.HEALTH_OUTBOX_DOWN_SECONDS
    )
    return Check(status, {"depth": depth, "oldest_age_seconds": round(oldest, 1)})


def cleanup_check() -> Check:
    lag, _sync_lag = lags(timezone.now())
    status = graded(
        lag, degraded=settings.HEALTH_CLEANUP_DEGRADED_SECONDS, down=settings.HEALTH_CLEANUP_DOWN_SECONDS
    )
    return Check(status, {"lag_seconds": round(lag, 1)})


def register() -> None:
    register_families(session_families)
    register_check("invitation_outbox", outbox_check)
    register_check("cleanup", cleanup_check)
