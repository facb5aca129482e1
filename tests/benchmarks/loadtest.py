"""Load test on loopback: concurrent clients mixing create/list/email/close over 50 incidents.

    python -m tests.benchmarks.loadtest --clients 200 --seconds 60 --json PATH [--base-url URL]

Without ``--base-url`` it starts its own stack: the TeamViewer sandbox and the web server as two
gunicorn servers (the web server calls the sandbox over HTTP, as it calls TeamViewer) and a
Celery worker, on a fresh database (PostgreSQL ``<name>_loadtest`` beside ``DATABASE_URL`` when it
is set, else SQLite) with a filesystem broker and a file email backend in a temporary folder.
Agents are given sandbox tokens up front. With ``--base-url`` the server is yours, and this
process must reach its database through ``DATABASE_URL`` (seeding and checks go through the ORM).

It prints the figures (requests, rps, status counts, p50/p99) and checks, from the records:
no 5xx and no broken connection; exactly one open TeamViewer session (the sandbox's own rows) per
incident and agent with a live session here, and none for the others; every invitation in the
outbox sent, each exactly once (the sent messages, matched by the session's link). Exit code 1
when a check fails. ``tests/faults/test_load_short.py`` runs a short form against a live server.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.net import free_port

from .loadtest_checks import AGENTS, check_emails, check_teamviewer, drain_outbox, file_messages, report, seed
from .loadtest_stack import ROOT, Stack, forget_queue, stack_environment

ACTIONS = ("create", "list", "email", "close")
WEIGHTS = (3, 3, 2, 2)
INCIDENTS = 50
REQUEST_TIMEOUT = 60
WORKER_ARGS = ["worker", "--pool=threads", "--concurrency=8", "--loglevel=warning"]


# --- the clients -------------------------------------------------------------------------------


@dataclass
class Target:
    base_url: str
    api_key: str
    agents: list[str]
    incidents: list[str] = field(
        default_factory=lambda: [f"INC-L{number:03d}" for number in range(INCIDENTS)]
    )


@dataclass
class Figures:
    clients: int
    seconds: float
    calls: list[tuple[str, int, float]] = field(default_factory=list)  # (action, status, seconds)
    broken: Counter = field(default_factory=Counter)  # transport errors by type
    samples_5xx: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        statuses = Counter(str(status) for _action, status, _elapsed in self.calls)
        actions = {}
        for name in ACTIONS:
            mine = [(status, elapsed) for action, status, elapsed in self.calls if action == name]
            actions[name] = {
                "requests": len(mine),
                "status": dict(sorted(Counter(str(status) for status, _ in mine).items())),
                **_latency([elapsed for _, elapsed in mine]),
            }
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": len(self.calls),
            "rps": round(len(self.calls) / self.seconds, 1) if self.seconds else 0.0,
            "status": dict(sorted(statuses.items())),
            "five_xx": sum(count for status, count in statuses.items() if status.startswith("5")),
            "transport_errors": dict(self.broken),
            "latency_ms": _latency([elapsed for _, _, elapsed in self.calls]),
            "actions": actions,
            "samples_5xx": self.samples_5xx[:5],
        }


def _latency(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}

    def rank(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {"p50_ms": rank(0.50), "p99_ms": rank(0.99), "max_ms": round(ordered[-1] * 1000, 1)}


class Client:
    """One simulated CSM caller: picks an agent, an incident and an action, again and again."""

    def __init__(self, target: Target, figures: Figures, known: dict, lock: threading.Lock, seed: int):
        self.target, self.figures, self.known, self.lock = target, figures, known, lock
        self.random = random.Random(seed)  # noqa: S311 - a load mix, not a secret
        self.http = requests.Session()

    def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            agent = self.random.choice(self.target.agents)
            incident = self.random.choice(self.target.incidents)
            action = self.random.choices(ACTIONS, WEIGHTS)[0]
            getattr(self, action)(agent, incident)
        self.http.close()

    def _call(
        self, action: str, agent: str, method: str, path: str, **kwargs: Any
    ) -> requests.Response | None:
        headers = {"Authorization": f"Token {self.target.api_key}", "X-CSM-User": agent}
        started = time.monotonic()
        try:
            response = self.http.request(
                method,
                f"{self.target.base_url}/api/v1{path}",
                headers=headers,
                timeout=REQUEST_TIMEOUT,
                **kwargs,
            )
        except requests.RequestException as exc:
            with self.lock:
                self.figures.broken[type(exc).__name__] += 1
            return None
        elapsed = time.monotonic() - started
        with self.lock:
            self.figures.calls.append((action, response.status_code, elapsed))
            if response.status_code >= 500:
                self.figures.samples_5xx.append(
                    f"{method} {path} {response.status_code} {response.text[:200]}"
                )
        return response

    def create(self, agent: str, incident: str) -> None:
        body = {
            "incident_id": incident,
            "requester_name": "Load Test",
            "requester_email": f"{incident.lower()}@example.test",
            "send_email": self.random.random() < 0.5,
            "language": self.random.choice(["ja", "en"]),
        }
        response = self._call("create", agent, "POST", "/sessions/", json=body)
        if response is not None and response.status_code in (200, 201):
            with self.lock:
                self.known[(incident, agent)] = response.json()["id"]

    def list(self, agent: str, incident: str) -> None:
        self._call("list", agent, "GET", "/sessions/", params={"incident_id": incident, "state": "open"})

    def _known(self, agent: str, incident: str) -> str | None:
        with self.lock:
            return self.known.get((incident, agent))

    def email(self, agent: str, incident: str) -> None:
        session_id = self._known(agent, incident)
        if session_id is None:
            return self.list(agent, incident)
        self._call("email", agent, "POST", f"/sessions/{session_id}/email/", json={})

    def close(self, agent: str, incident: str) -> None:
        session_id = self._known(agent, incident)
        if session_id is None:
            return self.list(agent, incident)
        response = self._call("close", agent, "POST", f"/sessions/{session_id}/close/", json={})
        if response is not None and response.status_code == 200:
            with self.lock:
                if self.known.get((incident, agent)) == session_id:
                    del self.known[(incident, agent)]


def run_load(target: Target, *, clients: int, seconds: float) -> Figures:
    """``clients`` threads calling the API for ``seconds``; returns every call's status and time."""
    figures, lock = Figures(clients=clients, seconds=seconds), threading.Lock()
    known: dict[tuple[str, str], str] = {}  # (incident, agent): the session id last seen
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=Client(target, figures, known, lock, seed=number).run, args=(deadline,), daemon=True
        )
        for number in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + REQUEST_TIMEOUT + 30)
    figures.seconds = time.monotonic() - started
    return figures


def print_figures(result: dict[str, Any]) -> None:
    latency = result["latency_ms"]
    print(
        f"{result['requests']} requests in {result['seconds']} s from {result['clients']} clients: "
        f"{result['rps']} req/s, p50 {latency['p50_ms']} ms, p99 {latency['p99_ms']} ms, max {latency['max_ms']} ms"
    )
    print(f"status: {result['status']}; transport errors: {result['transport_errors'] or 0}")
    for name, figures in result["actions"].items():
        print(
            f"  {name:<6} {figures['requests']:>6}  p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms  {figures['status']}"
        )
    print(f"TeamViewer: {result['teamviewer']}")
    print(f"emails: {result['emails']}")
    print("OK" if result["ok"] else "FAILED: " + "; ".join(result["problems"]))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--agents", type=int, default=AGENTS)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--base-url", help="a running server on DATABASE_URL's database (else one is started)"
    )
    parser.add_argument("--mail-dir", type=Path, help="with --base-url: its file email backend's folder")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, mail)")
    return parser.parse_args()


def _setup_django() -> None:
    import django
    from django.core.management import call_command

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csm_teamviewer.settings")
    django.setup()
    call_command("migrate", verbosity=0)


def main() -> int:
    args = _arguments()
    folder = Path(tempfile.mkdtemp(prefix="csm-loadtest-"))
    stack = Stack(folder)
    try:
        if args.base_url:
            _setup_django()
            base_url, mail_dir = args.base_url.rstrip("/"), args.mail_dir
        else:
            web_port, sandbox_port = free_port(), free_port()
            os.environ.update(stack_environment(folder, web_port=web_port, sandbox_port=sandbox_port))
            _setup_django()
            # TeamViewer's own front ends keep connections open far longer than gunicorn's 2 s default.
            sandbox = stack.gunicorn("sandbox", sandbox_port, workers=2, threads=16, keep_alive=75)
            web = stack.gunicorn("web", web_port, workers=3, threads=16)
            stack.start("worker", [sys.executable, "-m", "celery", "-A", "csm_teamviewer", *WORKER_ARGS])
            stack.wait_healthy(sandbox_port, sandbox)
            stack.wait_healthy(web_port, web)
            base_url, mail_dir = f"http://127.0.0.1:{web_port}", folder / "mail"
        key, agents = seed(agents=args.agents)
        print(
            f"load: {args.clients} clients for {args.seconds} s against {base_url} ({len(agents)} agents, {INCIDENTS} incidents)"
        )
        summary = run_load(
            Target(base_url, key, agents), clients=args.clients, seconds=args.seconds
        ).summary()
        drain_outbox()
        messages = file_messages(mail_dir) if mail_dir else None
        result = report(summary, check_teamviewer(agents), check_emails(messages))
    finally:
        stack.stop()
        forget_queue()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print_figures(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
