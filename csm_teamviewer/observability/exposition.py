"""``/metrics``: the counters of every process (multiprocess mode) and the apps' readings."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from .access import operator_refusal
from .multiprocess import multiprocess_dir
from .readings import ReadingsCollector


class _ThisProcess:
    """The default registry's figures, when each process is on its own (no multiprocess folder)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def scrape() -> bytes:
    registry = CollectorRegistry()
    folder = multiprocess_dir()
    if folder is not None:
        MultiProcessCollector(registry, path=str(folder))
    else:
        registry.register(_ThisProcess())
    registry.register(ReadingsCollector())
    return generate_latest(registry)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refusal = operator_refusal(request)
    if refusal is not None:
        return refusal
    return HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
