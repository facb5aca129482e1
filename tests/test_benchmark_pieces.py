"""The benchmark's pieces work: the TeamViewer stand-in, the baseline routes, the query count, the report.

Nothing here is timed; ``scripts/bench`` measures.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import psutil
import pytest
import requests
from django.urls import Resolver404, resolve
from django.utils import timezone

from sessions_app.models import Session
from tests.benchmarks import report, standin
from tests.benchmarks.load import Batch
from tests.benchmarks.middleware import QUERIES_HEADER

BENCH_URLS = "tests.benchmarks.urls"
TIMEOUT = 10


@pytest.fixture
def stand_in():
    server = standin.start_in_thread(latency_ms=0)
    yield server
    server.shutdown()
    server.server_close()


def _post(url: str, **kwargs) -> requests.Response:
    return requests.post(url, timeout=TIMEOUT, **kwargs)


def test_stand_in_refreshes_a_token_once_and_refuses_the_spent_refresh_token(stand_in):
    token_url = f"{stand_in.base_url}/api/v1/oauth2/token"
    form = {"grant_type": "refresh_token", "refresh_token": "r1", "client_id": "c", "client_secret": "s"}

    first = _post(token_url, data=form)
    again = _post(token_url, data=form)

    assert first.status_code == 200
    assert set(first.json()) >= {"access_token", "refresh_token", "expires_in"}
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert requests.get(f"{stand_in.base_url}/_stats", timeout=TIMEOUT).json() == {"token:refresh_token": 2}


def test_stand_in_creates_gets_and_closes_a_session_behind_a_bearer_token(stand_in):
    api = f"{stand_in.base_url}/api/v1"
    bearer = {"Authorization": "Bearer t"}

    created = _post(f"{api}/sessions", json={"groupname": "CSM", "description": "d"}, headers=bearer)
    code = created.json()["code"]
    closed = requests.put(f"{api}/sessions/{code}", json={"state": "closed"}, headers=bearer, timeout=TIMEOUT)
    fetched = requests.get(f"{api}/sessions/{code}", headers=bearer, timeout=TIMEOUT)
    anonymous = _post(f"{api}/sessions", json={})

    assert created.status_code == 200
    assert created.headers["Location"].endswith(f"/api/v1/sessions/{code}")
    assert created.json()["end_customer_link"]
    assert closed.status_code == 204
    assert fetched.json()["state"] == "closed"
    assert anonymous.status_code == 401


def test_the_project_client_creates_a_session_at_the_stand_in(stand_in):
    from tokens_app.teamviewer import TeamViewerApp

    client = TeamViewerApp(
        api_url=f"{stand_in.base_url}/api/v1",
        authorize_url=f"{stand_in.base_url}/oauth2/authorize",
        client_id="c",
        client_secret="s",
        redirect_uri="http://127.0.0.1/cb",
        session_group="CSM",
        timeout=(5, 5),
    )

    session = client.api("t").create_session(description="d", end_customer_email="a@example.com")
    tokens = client.refresh_tokens(refresh_token="r2")

    assert session.code.startswith("s") and session.state == "open"
    assert tokens.access_token and tokens.refresh_token


def test_the_benchmark_urlconf_adds_the_baseline_beside_the_project_urls():
    assert resolve("/bench/baseline/create/", urlconf=BENCH_URLS).url_name == "bench-baseline-create"
    assert resolve("/bench/baseline/sessions/", urlconf=BENCH_URLS).url_name == "bench-baseline-sessions"
    assert resolve("/api/v1/sessions/", urlconf=BENCH_URLS).url_name == "sessions"
    with pytest.raises(Resolver404):
        resolve("/bench/baseline/create/")  # never in the production URLconf


@pytest.fixture
def bench_settings(settings):
    settings.ROOT_URLCONF = BENCH_URLS
    settings.MIDDLEWARE = ["tests.benchmarks.middleware.QueryCountMiddleware", *settings.MIDDLEWARE]
    return settings


def test_the_baseline_list_reads_the_incidents_rows_in_one_counted_query(bench_settings, client, agent):
    now = timezone.now()
    for number, state in enumerate((Session.State.OPEN, Session.State.CLOSED, Session.State.CLOSED)):
        Session.objects.create(
            incident_id="INC-B",
            agent=agent,
            code=f"s1-{number}",
            state=state,
            valid_until=now + timedelta(hours=1),
        )
    Session.objects.create(incident_id="INC-OTHER", agent=agent, valid_until=now, state=Session.State.OPEN)

    response = client.get("/bench/baseline/sessions/", {"incident_id": "INC-B"})

    assert response.status_code == 200
    assert sorted(row["code"] for row in response.json()) == ["s1-0", "s1-1", "s1-2"]
    assert response.json()[0]["agent"] == agent.username
    assert response[QUERIES_HEADER] == "1"


def test_the_baseline_create_makes_one_upstream_call_and_no_query(bench_settings, client, stand_in, db):
    bench_settings.TEAMVIEWER_API_URL = f"{stand_in.base_url}/api/v1"

    response = client.post("/bench/baseline/create/", {"description": "x"}, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["code"]
    assert response[QUERIES_HEADER] == "0"
    assert stand_in.state.calls == Counter({"sessions:create": 1})


def test_a_batch_summary_gives_median_p99_throughput_and_errors():
    batch = Batch(
        latencies=[i / 1000 for i in range(1, 101)], statuses=Counter({201: 99, 500: 1}), wall=2.0, cpu=0.5
    )

    summary = batch.summary(ok=(201,))

    assert summary["median_ms"] == 50.5
    assert summary["p99_ms"] == 99.0
    assert summary["rps"] == 50.0
    assert summary["cpu_ms"] == 5.0
    assert summary["errors"] == 1


def test_the_workers_cpu_time_is_read_from_the_masters_children():
    import subprocess
    import sys

    from tests.benchmarks.usage import workers_cpu_seconds

    # Spins past 0.2 s: the kernel counts CPU in clock ticks, which may fall just short of it.
    spin = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    master = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {spin!r}])"]
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while workers_cpu_seconds(master.pid) < 0.2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert workers_cpu_seconds(master.pid) >= 0.2
    finally:
        for child in psutil.Process(master.pid).children():
            child.kill()
        master.kill()
        master.wait()


def test_the_report_says_which_targets_are_missed():
    def entry(ratio_median: float, ratio_rps: float, queries: int, cpu_ms: float = 1) -> dict:
        ours = {"queries_max": queries, "median_ms": 1, "p99_ms": 1, "rps": 1, "errors": 0}
        return {
            "ours": {**ours, "requests": 10, "cpu_ms": cpu_ms},
            "baseline": {**ours, "requests": 10, "cpu_ms": 1},
            "ratio_median": ratio_median,
            "ratio_p99": 1,
            "ratio_rps": ratio_rps,
        }

    results = {
        "create": {"1": entry(1.2, 1, 9, cpu_ms=2), "32": entry(1, 0.4, 9, cpu_ms=3)},
        "list": {"1": entry(3.5, 1, 4), "100": entry(1.6, 1, 4)},
        "page": {"1": entry(1.0, 1, 3), "10": entry(1.0, 1, 4), "100": entry(1.0, 1, 5)},
        "cleanup": {"missing": "not there yet"},
        "token_refresh": {"upstream_refresh_calls": 1, "errors": 0},
        "memory": {"web": {"max_child_mib": 160.0}},
    }

    met = {check["name"]: check["met"] for check in report.targets(results)}

    assert met["worker CPU per create (ours/baseline)"] is False  # (2 + 3) / 2 = 2.5
    assert met["create median, 1 client (ours/baseline)"] is True
    assert met["create req/s, 32 clients (ours/baseline)"] is False
    assert met["list queries per request (1/10/100 sessions)"] is True
    assert met["list median, 1 session (ours/bare DRF)"] is False
    assert met["list median growth, 1 to 100 sessions (ours)"] is True  # both medians are 1 ms
    assert met["page queries per request (1/10/100 sessions)"] is False  # grew with the sessions
    assert met["cleanup of 1,000 at 50 ms (wall / one by one)"] is None
    assert met["token refresh: upstream refresh calls for 50 concurrent requests"] is True
    assert met["peak RSS of a web worker (MiB)"] is False
