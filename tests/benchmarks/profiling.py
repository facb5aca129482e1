"""Profiles of the hot paths (create, list, page) with pyinstrument, in this process.

The requests go through Django's full handler (middleware included) on the benchmark's database,
against the same TeamViewer stand-in, so what the profile shows is what the server spends.
"""

from __future__ import annotations

import json
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
        written[name] = str(path)
    return written
