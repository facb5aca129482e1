"""The figures: create, list and page, token refresh, memory, cleanup; ours beside the baseline's."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import load
from .load import Batch, Call
from .seed import LIST_SIZES, Seed
from .stack import ROOT
from .usage import workers_cpu_seconds

CREATE_CLIENTS = (1, 8, 32)
REFRESH_CLIENTS = 50
CREATE_OK = (200, 201)
READ_OK = (200,)


@dataclass(frozen=True)
class Plan:
    """How much to send: ``quick`` is a smoke run of the same figures."""

    quick: bool

    @property
    def rounds(self) -> int:
        # Ours and the baseline alternate, so a machine slowing down mid-run hits both alike.
        return 1 if self.quick else 2

    def create_requests(self, clients: int) -> int:
        return {1: 30, 8: 80, 32: 160}[clients] if self.quick else {1: 150, 8: 400, 32: 800}[clients]

    @property
    def read_requests(self) -> int:
        return 30 if self.quick else 200

    @property
    def max_seconds(self) -> float:
        return 20 if self.quick else 60


@dataclass(frozen=True)
class Target:
    """Where the server answers: its port, and who calls it."""

    port: int
    seed: Seed
    agent: str
    standin_port: int
    web_pid: int

    def api_headers(self, agent: str | None = None) -> dict[str, str]:
        return {
            "Authorization": f"Token {self.seed.api_key}",
            "X-CSM-User": agent or self.agent,
            "Content-Type": "application/json",
        }

    def run(self, make_call: Callable[[int], Call], *, clients: int, total: int, max_seconds: float) -> Batch:
        """One batch against the server, with the CPU time its workers spent on it."""
        before = workers_cpu_seconds(self.web_pid)
        batch = load.run(
            port=self.port, make_call=make_call, clients=clients, total=total, max_seconds=max_seconds
        )
        batch.cpu = workers_cpu_seconds(self.web_pid) - before
        return batch


def _always(call: Call) -> Callable[[int], Call]:
    """The same request every time."""
    return lambda _number: call


def _ratio(ours: float | None, base: float | None) -> float | None:
    return round(ours / base, 3) if ours and base else None


def _compare(ours: dict, base: dict) -> dict:
    return {
        "ours": ours,
        "baseline": base,
        "ratio_median": _ratio(ours["median_ms"], base["median_ms"]),
        "ratio_p99": _ratio(ours["p99_ms"], base["p99_ms"]),
        "ratio_rps": _ratio(ours["rps"], base["rps"]),
        "ratio_cpu": _ratio(ours["cpu_ms"], base["cpu_ms"]),
    }


# --- create -----------------------------------------------------------------------------------


def _create_call(target: Target, run: str) -> Callable[[int], Call]:
    def call(number: int) -> Call:
        # A new incident each time: every request takes the full create path (201), never the
        # idempotent one that answers an existing session.
        body = {
            "incident_id": f"BENCH-{run}-{number}",
            "requester_name": "Requester",
            "requester_email": "requester@example.com",
            "description": "Printer does not print",
        }
        return Call("POST", "/api/v1/sessions/", json.dumps(body).encode(), target.api_headers())

    return call


def _baseline_create_call(number: int) -> Call:
    body = json.dumps({"description": "Printer does not print"}).encode()
    return Call("POST", "/bench/baseline/create/", body, {"Content-Type": "application/json"})


def measure_create(target: Target, plan: Plan) -> dict:
    results = {}
    for clients in CREATE_CLIENTS:
        ours, base = Batch(), Batch()
        for _round in range(plan.rounds):
            sized = {"clients": clients, "total": plan.create_requests(clients)}
            base = base.merge(target.run(_baseline_create_call, **sized, max_seconds=plan.max_seconds))
            ours_call = _create_call(target, uuid.uuid4().hex[:8])
            ours = ours.merge(target.run(ours_call, **sized, max_seconds=plan.max_seconds))
        results[str(clients)] = _compare(ours.summary(ok=CREATE_OK), base.summary(ok=CREATE_OK))
    return results


def warm_up(target: Target, *, requests: int = 60, clients: int = 12) -> None:
    """Every worker thread imports, connects and builds its client before anything is timed."""
    incident = Seed.incident(LIST_SIZES[-1])
    reads = [_list_call(target, incident), _page_call(target, incident), _baseline_list_call(incident)]
    for make_call in (_create_call(target, "warm-" + uuid.uuid4().hex[:8]), _baseline_create_call):
        target.run(make_call, clients=clients, total=requests, max_seconds=60)
    for call in reads:
        target.run(_always(call), clients=clients, total=requests, max_seconds=60)


# --- list and page ----------------------------------------------------------------------------


def _list_call(target: Target, incident: str) -> Call:
    # limit=100: the list answers every row of the incident, as the baseline does.
    return Call("GET", f"/api/v1/sessions/?incident_id={incident}&limit=100", None, target.api_headers())


def _page_call(target: Target, incident: str) -> Call:
    return Call("GET", f"/incidents/{incident}/", None, {"Cookie": f"sessionid={target.seed.page_cookie}"})


def _baseline_list_call(incident: str) -> Call:
    return Call("GET", f"/bench/baseline/sessions/?incident_id={incident}")


def measure_reads(target: Target, plan: Plan) -> dict:
    """One client: the list and the page against the bare DRF view reading the same rows."""
    results: dict[str, dict] = {"list": {}, "page": {}}
    for size in LIST_SIZES:
        incident = Seed.incident(size)
        calls = {
            "baseline": _baseline_list_call(incident),
            "list": _list_call(target, incident),
            "page": _page_call(target, incident),
        }
        batches = {name: Batch() for name in calls}
        for _round in range(plan.rounds):
            for name, call in calls.items():
                batch = target.run(
                    _always(call),
                    clients=1,
                    total=plan.read_requests,
                    max_seconds=plan.max_seconds,
                )
                batches[name] = batches[name].merge(batch)
        base = batches["baseline"].summary(ok=READ_OK)
        for name in ("list", "page"):
            results[name][str(size)] = _compare(batches[name].summary(ok=READ_OK), base)
    return results


# --- token refresh ----------------------------------------------------------------------------


def standin_stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def measure_refresh(target: Target, agent: str) -> dict:
    """``REFRESH_CLIENTS`` creates at once by one agent whose access token has expired."""
    before = standin_stats(target.standin_port).get("token:refresh_token", 0)
    run = uuid.uuid4().hex[:8]
    make_call = _create_call(target, f"refresh-{run}")

    def as_refresh_agent(number: int) -> Call:
        call = make_call(number)
        return Call(call.method, call.path, call.body, target.api_headers(agent))

    batch = target.run(as_refresh_agent, clients=REFRESH_CLIENTS, total=REFRESH_CLIENTS, max_seconds=120)
    refreshes = standin_stats(target.standin_port).get("token:refresh_token", 0) - before
    return {
        "concurrent_requests": REFRESH_CLIENTS,
        "upstream_refresh_calls": refreshes,
        **batch.summary(ok=CREATE_OK),
    }


def drain_outbox(*, seconds: float) -> dict:
    """Wait (bounded) for the worker to send every queued invitation; what it managed."""
    from django.db.models import Count

    from sessions_app.models import InvitationEmail

    deadline = time.monotonic() + seconds
    began = time.monotonic()
    while time.monotonic() < deadline:
        if not InvitationEmail.objects.filter(status=InvitationEmail.Status.QUEUED).exists():
            break
        time.sleep(1)
    counts = dict(InvitationEmail.objects.values_list("status").annotate(n=Count("pk")))
    return {"invitations": counts, "drain_s": round(time.monotonic() - began, 1)}


# --- cleanup ----------------------------------------------------------------------------------

_CLEANUP = (
    "import json, sys\n"
    "from tests.benchmarks.cleanup import measure_cleanup\n"
    "limit = float(sys.argv[2]) or None\n"
    "print('RESULT ' + json.dumps(measure_cleanup(sessions=int(sys.argv[1]), latency_ms=50, rate_limit=limit), default=str))\n"
)


def measure_cleanup(
    env: dict[str, str], sizes: tuple[int, ...], *, rate_limit: float, timeout: float, log: Path
) -> dict:
    """The cleanup figures from ``tests/benchmarks/cleanup.py``, each in a process of its own,
    under ``rate_limit`` requests per second to TeamViewer (0: none)."""
    if not (ROOT / "tests" / "benchmarks" / "cleanup.py").exists():
        return {"missing": "tests/benchmarks/cleanup.py is not there yet"}
    results: dict[str, dict] = {}
    for size in sizes:
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CLEANUP, str(size), str(rate_limit)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            results[str(size)] = {"missing": f"did not finish within {timeout:.0f} s"}
            continue
        with log.open("a") as out:
            out.write(done.stdout + done.stderr)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            results[str(size)] = {"missing": f"failed: {tail[0][:300]}"}
        else:
            results[str(size)] = json.loads(lines[-1].removeprefix("RESULT "))
    return results


# --- the load test ----------------------------------------------------------------------------


def run_loadtest(*, clients: int, seconds: int, out: Path, log: Path, env: dict[str, str]) -> dict:
    """The load test's own JSON (it starts a stack of its own), with its exit code beside it."""
    if not (ROOT / "tests" / "benchmarks" / "loadtest.py").exists():
        return {"missing": "tests/benchmarks/loadtest.py is not there yet"}
    command = [sys.executable, "-m", "tests.benchmarks.loadtest", "--clients", str(clients)]
    command += ["--seconds", str(seconds), "--json", str(out)]
    out.unlink(missing_ok=True)
    try:
        with log.open("w") as output:
            done = subprocess.run(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, timeout=seconds + 600
            )
    except subprocess.TimeoutExpired:
        return {"missing": "the load test did not finish in time"}
    if not out.exists():
        return {"missing": f"the load test wrote no figures (exit {done.returncode}); see {log}"}
    return {"exit_code": done.returncode, **json.loads(out.read_text())}
