"""The CSM journal outbox at scrape time: notes waiting and the oldest one's age (one aggregate)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from csm_teamviewer.observability.metrics import PREFIX
from csm_teamviewer.observability.readings import register_families

from .models import JournalNote


def journal_families() -> Iterator[Metric]:
    now = timezone.now()
    row = JournalNote.objects.filter(status=JournalNote.Status.PENDING).aggregate(
        depth=Count("pk"), oldest=Min("created_at")
    )
    oldest = max(0.0, (now - row["oldest"]).total_seconds()) if row["oldest"] else 0.0
    yield GaugeMetricFamily(
        f"{PREFIX}_journal_outbox_depth", "CSM journal notes waiting.", value=row["depth"]
    )
    yield GaugeMetricFamily(
        f"{PREFIX}_journal_outbox_oldest_age_seconds",
        "Age of the oldest CSM journal note waiting.",
        value=oldest,
    )


def register() -> None:
    register_families(journal_families)
