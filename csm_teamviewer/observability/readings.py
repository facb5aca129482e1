"""What the apps measure when asked: metric families at scrape time, checks for the deep health.

The shell knows no app's models, so each app registers its own in its ``AppConfig.ready``: a
function yielding Prometheus metric families (one aggregate query each), and named checks that
``/healthz/?deep=1`` runs. A reading that fails is logged and left out; the scrape goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.metrics_core import Metric

logger = logging.getLogger(__name__)

OK, DEGRADED, DOWN = "ok", "degraded", "down"


@dataclass(frozen=True)
class Check:
    """One deep-health line: ``ok``, ``degraded`` or ``down``, with what it measured."""

    status: str
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, **self.facts}


def graded(value: float | None, *, degraded: float, down: float) -> str:
    """``ok`` below ``degraded``, ``down`` from ``down`` on; nothing measured is ``ok``."""
    if value is None or value < degraded:
        return OK
    return DOWN if value >= down else DEGRADED


_families: list[Callable[[], Iterable[Metric]]] = []
_checks: dict[str, Callable[[], Check]] = {}


def register_families(reading: Callable[[], Iterable[Metric]]) -> None:
    if reading not in _families:
        _families.append(reading)


def register_check(name: str, check: Callable[[], Check]) -> None:
    _checks[name] = check


class ReadingsCollector:
    """A prometheus_client collector running every registered reading."""

    def collect(self) -> Iterator[Metric]:
        for reading in _families:
            try:
                yield from list(reading())
            except Exception:  # noqa: BLE001 - one failing reading must not hide the others
                logger.warning("Metrics: the reading %s failed.", reading.__qualname__, exc_info=True)


def run_checks() -> dict[str, Check]:
    results = {}
    for name, check in _checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # noqa: BLE001 - a check that cannot run says so
            logger.warning("Deep health: the check %s failed.", name, exc_info=True)
            results[name] = Check(DOWN, {"error": type(exc).__name__})
    return results
