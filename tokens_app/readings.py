"""TeamViewer's reachability for ``/healthz/?deep=1``: one anonymous ``/ping``, its answer kept a
while (``HEALTH_TEAMVIEWER_CACHE_SECONDS``) so that frequent probes never burden TeamViewer."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from csm_teamviewer.errors import TeamViewerError, TeamViewerRateLimited
from csm_teamviewer.observability.readings import DEGRADED, DOWN, OK, Check, register_check

from .teamviewer.http import ping_anonymously


def teamviewer_check() -> Check:
    key = f"health:teamviewer:{settings.TEAMVIEWER_API_URL}"
    kept = cache.get(key)
    if kept is not None:
        return Check(*kept)
    check = _ping()
    cache.set(key, (check.status, check.facts), settings.HEALTH_TEAMVIEWER_CACHE_SECONDS)
    return check


def _ping() -> Check:
    started = time.perf_counter()
    status, facts = OK, {"checked_at": timezone.now().isoformat()}
    try:
        ping_anonymously(settings.TEAMVIEWER_API_URL, timeout=settings.HEALTH_TEAMVIEWER_TIMEOUT_SECONDS)
    except TeamViewerRateLimited:
        status = DEGRADED  # it answers, but will not serve us for a while
        facts["error"] = TeamViewerRateLimited.code
    except TeamViewerError as exc:
        status = DOWN
        facts["error"] = exc.code
    seconds = time.perf_counter() - started
    if status == OK and seconds >= settings.HEALTH_TEAMVIEWER_SLOW_SECONDS:
        status = DEGRADED
    return Check(status, {"seconds": round(seconds, 3), **facts})


def register() -> None:
    register_check("teamviewer", teamviewer_check)
