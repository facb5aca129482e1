"""Profiles of the hot paths (create, list, page), in this process: where the time goes
(pyinstrument, wall clock) and where the CPU goes (cProfile timed by ``time.process_time``; the
targets are CPU per request, and waiting on the database or TeamViewer costs none).

The requests go through Django's full handler (middleware included) on the benchmark's database,
against the same TeamViewer stand-in, so what the profile shows is what the server spends.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
import uuid
from pathlib import Path

from .seed import LIST_SIZES, Seed

REQUESTS = 100


def profile_hot_paths(*, seed: Seed, agent: str, out: Path) -> dict[str, str]:
    from django.test import Client
    from pyinstrument import Profiler

    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {seed.api_key}", HTTP_X_CSM_USER=agent)
    page = Client(HTTP_HOST="127.0.0.1")
    page.cookies["sessionid"] = seed.page_cookie
    incident = Seed.incident(LIST_SIZES[-1])
    run = uuid.uuid4().hex[:8]

    def create(number: int) -> None:
        body = {"incident_id": f"PROFILE-{run}-{number}", "requester_email": "requester@example.com"}
        api.post("/api/v1/sessions/", json.dumps(body), content_type="application/json")

    paths = {
        "create": create,
        "list": lambda _n: api.get("/api/v1/sessions/", {"incident_id": incident, "limit": 100}),
        "page": lambda _n: page.get(f"/incidents/{incident}/"),
    }
    written = {}
    for name, request in paths.items():
        request(-1)  # warm: imports, connections, templates
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for number in range(REQUESTS):
            request(number)
        profiler.stop()
        path = out / f"profile-{name}.txt"
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        (out / f"profile-{name}.html").write_text(profiler.output_html())
        (out / f"profile-{name}-cpu.txt").write_text(_cpu_profile(request, out / f"profile-{name}-cpu.prof"))
        written[name] = str(path)
    return written


def _cpu_profile(request, dump: Path) -> str:
    """The CPU ``REQUESTS`` more calls take, by function (cumulative, then own time); the raw
    figures go to ``dump`` (``python -m pstats`` reads them: callers, callees)."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for number in range(REQUESTS, 2 * REQUESTS):
        request(number)
    profiler.disable()
    profiler.dump_stats(dump)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).strip_dirs()
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(40)
    return text.getvalue()
