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
import base64
import email
import email.policy
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.net import free_port

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = ("create", "list", "email", "close")
WEIGHTS = (3, 3, 2, 2)
INCIDENTS = 50
AGENTS = 5
REQUEST_TIMEOUT = 60
START_SECONDS = 60
DRAIN_SECONDS = 180
CLOSED_FIRST = "The session is no longer open."
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
    figures, known, lock = Figures(clients=clients, seconds=seconds), {}, threading.Lock()
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


# --- seeding and checking (through the ORM, on the server's database) ---------------------------


def seed(*, agents: int = AGENTS) -> tuple[str, list[str]]:
    """An API key and ``agents`` agents, each holding a sandbox token."""
    from sessions_app.services.api_keys import api_key_create
    from tests.faults.sandbox import agent_with_token

    names = [agent_with_token(f"agent.load{number:02d}").username for number in range(agents)]
    return api_key_create(name="load test")[1], names


def check_teamviewer(agents: Iterable[str]) -> dict[str, Any]:
    """Our live sessions against the sandbox's open ones, per incident and agent."""
    from django.contrib.auth import get_user_model

    from csm_teamviewer.sandbox.models import Session as SandboxSession
    from sessions_app.models import Session
    from tests.faults.sandbox import incident_of

    users = {user.email: user.username for user in get_user_model().objects.filter(username__in=list(agents))}
    ours = defaultdict(list)
    for incident, username, code in Session.objects.filter(
        agent__username__in=users.values(), state__in=["open", "active"]
    ).values_list("incident_id", "agent__username", "code"):
        ours[(incident, username)].append(code)
    theirs = defaultdict(list)
    for remote in SandboxSession.objects.filter(owner_email__in=users, state="open"):
        theirs[(incident_of(remote), users[remote.owner_email])].append(remote.code)
    pairs = set(ours) | set(theirs)
    return {
        "pairs_live_here": len(ours),
        "open_at_teamviewer": sum(len(codes) for codes in theirs.values()),
        "pairs_with_two_or_more_at_teamviewer": sum(1 for codes in theirs.values() if len(codes) > 1),
        "pairs_not_matching": sum(
            1 for pair in pairs if sorted(ours.get(pair, [])) != sorted(theirs.get(pair, []))
        ),
        "reservations_left": Session.objects.filter(state="creating").count(),
        "closed_at_teamviewer": SandboxSession.objects.filter(owner_email__in=users, state="closed").count(),
    }


def check_emails(messages: list[tuple[str, str]] | None) -> dict[str, Any]:
    """Every outbox row sent, and each sent row matched by exactly one message (by its link).

    ``messages`` None: the sent messages cannot be seen from here, only the outbox is checked.
    """
    from sessions_app.models import InvitationEmail

    rows = InvitationEmail.objects.select_related("session")
    status = Counter(rows.values_list("status", flat=True))
    # Closed before a worker got to it: failed on purpose (nobody should join a closed session).
    closed_first = rows.filter(status="failed", last_error=CLOSED_FIRST).count()
    sent_per_link = Counter(row.session.end_customer_link for row in rows.filter(status="sent"))
    found: Counter = Counter()
    unmatched = 0
    if messages is None:
        return {"outbox_rows": sum(status.values()), "status": dict(status), "closed_first": closed_first}
    for _to, text in messages:
        links = [link for link in sent_per_link if link and link in text]
        if len(links) == 1:
            found[links[0]] += 1
        else:
            unmatched += 1
    return {
        "outbox_rows": sum(status.values()),
        "status": dict(status),
        "closed_first": closed_first,
        "messages": len(messages),
        "unmatched_messages": unmatched,
        "sessions_with_a_wrong_count": sum(
            1 for link, count in sent_per_link.items() if found[link] != count
        ),
    }


def problems(summary: dict[str, Any], teamviewer: dict[str, Any], emails: dict[str, Any]) -> list[str]:
    found = []
    if summary["five_xx"]:
        found.append(f"{summary['five_xx']} answers were 5xx")
    if summary["transport_errors"]:
        found.append(f"broken connections: {summary['transport_errors']}")
    if not summary["requests"]:
        found.append("no request was answered")
    for name in ("pairs_with_two_or_more_at_teamviewer", "pairs_not_matching", "reservations_left"):
        if teamviewer[name]:
            found.append(f"TeamViewer: {name} = {teamviewer[name]}")
    unsent = emails["outbox_rows"] - emails["status"].get("sent", 0) - emails["closed_first"]
    if unsent:
        found.append(
            f"{unsent} invitations neither sent nor refused for a closed session ({emails['status']})"
        )
    for name in ("unmatched_messages", "sessions_with_a_wrong_count"):
        if emails.get(name):
            found.append(f"emails: {name} = {emails[name]}")
    return found


def report(summary: dict, teamviewer: dict, emails: dict) -> dict[str, Any]:
    found = problems(summary, teamviewer, emails)
    return {**summary, "teamviewer": teamviewer, "emails": emails, "problems": found, "ok": not found}


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


# --- the stack, when this script starts its own ------------------------------------------------




def _database_url(folder: Path) -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith("postgres"):
        return f"sqlite:///{folder / 'load.sqlite3'}"
    import psycopg
    from psycopg import sql

    base, name = configured.rsplit("/", 1)
    name = f"{name.split('?')[0]}_loadtest"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{base}/{name}"


def _broker() -> dict[str, str]:
    """Redis (``TEST_REDIS_URL``) on a queue of this run's own when it answers, else the filesystem.

    The filesystem transport polls once a second: fine for one machine, too slow for this load.
    """
    url = os.environ.get("TEST_REDIS_URL", "")
    if url:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            return {"CELERY_BROKER_URL": url, "CELERY_TASK_DEFAULT_QUEUE": f"loadtest-{secrets.token_hex(6)}"}
        except redis.RedisError:
            pass
    return {"CELERY_BROKER_URL": "filesystem://"}


def _forget_queue() -> None:
    url, queue = os.environ.get("CELERY_BROKER_URL", ""), os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "")
    if url.startswith("redis") and queue.startswith("loadtest-"):
        import redis

        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{queue}*"):
            client.delete(key)


def stack_environment(folder: Path, *, web_port: int, sandbox_port: int) -> dict[str, str]:
    """Production settings (DEBUG off) on loopback, the sandbox as TeamViewer, mail into files."""
    env = {
        "DJANGO_SETTINGS_MODULE": "csm_teamviewer.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "VAR_DIR": str(folder / "var"),
        "DATABASE_URL": _database_url(folder),
        **_broker(),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
        "TEAMVIEWER_API_URL": f"http://127.0.0.1:{sandbox_port}/sandbox/teamviewer/api/v1",
        # Four slashes: django-environ drops the first of an absolute path.
        "EMAIL_URL": f"filemail:///{folder / 'mail'}",
        # The budgets guard against floods; this flood is on purpose.
        "API_THROTTLE_PER_KEY": "100000000/min",
        "API_THROTTLE_PER_AGENT": "100000000/min",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("TEAMVIEWER_CLIENT_ID", "TEAMVIEWER_CLIENT_SECRET", "CELERY_BROKER_WRITE_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    (folder / "mail").mkdir(parents=True, exist_ok=True)
    return env


class Stack:
    """The two gunicorn servers and the worker, stopped however the run ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            command, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT
        )  # noqa: S603
        self.procs.append(proc)
        return proc

    def gunicorn(
        self, name: str, port: int, *, workers: int, threads: int, keep_alive: int = 2
    ) -> subprocess.Popen:
        command = [sys.executable, "-m", "gunicorn", "csm_teamviewer.wsgi", "-b", f"127.0.0.1:{port}"]
        command += ["-k", "gthread", "--workers", str(workers), "--threads", str(threads), "--timeout", "120"]
        command += ["--keep-alive", str(keep_alive)]
        return self.start(name, command)

    def wait_healthy(self, port: int, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise SystemExit(f"the server on port {port} did not start; see {self.folder}")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def drain_outbox(*, seconds: float = DRAIN_SECONDS) -> None:
    """Wait for the worker to send what is queued, re-driving as beat would (it is not running)."""
    from sessions_app.models import InvitationEmail
    from sessions_app.services.emails import invitations_redrive

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and InvitationEmail.objects.filter(status="queued").exists():
        invitations_redrive()
        time.sleep(2)


def file_messages(folder: Path) -> list[tuple[str, str]]:
    """The (to, plain text) of every message the file email backend wrote."""
    messages = []
    for path in sorted(folder.glob("*")):
        for chunk in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                message = email.message_from_string(chunk, policy=email.policy.default)
                body = message.get_body(("plain",))
                messages.append((str(message["To"]), body.get_content() if body else ""))
    return messages


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
        _forget_queue()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print_figures(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
