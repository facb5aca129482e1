"""``/metrics`` from a real gunicorn with two workers and a real Celery worker on Redis, sharing one
multiprocess folder: a create, a close and a failed invitation are each counted once, whichever
process did the work; the request's id is on its JSON log line and on the task's.

The server runs the built-in TeamViewer sandbox (no client ID) on the test database; the agent is
given a sandbox token up front. SMTP points at a closed port and one attempt is the maximum, so the
invitation fails on the worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from sessions_app.models import InvitationEmail
from sessions_app.services.api_keys import api_key_create
from tests.faults.sandbox import agent_with_token
from tests.net import free_port
from tests.workers import celery_env, outbox_listening, stop, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

TOKEN = "scrape-token-for-the-test"  # noqa: S105 - a test value
REQUEST_ID = "create-request-7f3a"


@pytest.fixture
def stack(requires_postgres, redis_url, queue_name, celery_processes, tmp_path) -> Iterator[dict]:
    port = free_port()
    env = celery_env(
        PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
        CELERY_BROKER_URL=redis_url,
        CELERY_TASK_DEFAULT_QUEUE=queue_name,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        METRICS_TOKEN=TOKEN,
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        EMAIL_URL=f"smtp://127.0.0.1:{free_port()}",
        EMAIL_TIMEOUT="2",
        INVITATION_MAX_ATTEMPTS="1",
        VAR_DIR=str(tmp_path / "var"),
        API_THROTTLE_PER_KEY="",
        API_THROTTLE_PER_AGENT="",
    )
    for name in ("TEAMVIEWER_CLIENT_ID", "TEAMVIEWER_CLIENT_SECRET", "TEAMVIEWER_API_URL", "CACHE_URL"):
        env.pop(name, None)
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "csm_teamviewer.wsgi", "-b", f"127.0.0.1:{port}"]
    command += ["-k", "gthread", "--workers", "2", "--threads", "2"]
    with log.open("ab") as out:
        # From the checkout, so that gunicorn reads gunicorn.conf.py (its child_exit hook).
        web = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    worker = celery_processes.start(
        "worker", "--pool=prefork", "--concurrency=1", "-Q", queue_name, "-n", f"{queue_name}@%h",
        "--without-gossip", "--without-mingle", env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    statuses: list[int] = []

    def healthy() -> bool:
        try:
            # A long read timeout: every request the server took is counted there, so here too.
            statuses.append(requests.get(f"{base}/healthz/", timeout=(1, 60)).status_code)
        except requests.RequestException:
            return False
        return statuses[-1] == 200

    wait_for(healthy, what="gunicorn", log=log, proc=web)
    # What a request notifies before the worker listens goes out by the listener's re-drive, which
    # knows no request id.
    wait_for(outbox_listening, what="the worker's outbox listener", log=celery_processes.log, proc=worker)
    try:
        yield {"base": base, "web": web, "worker": worker, "log": log, "health_answers": statuses,
               "folder": tmp_path / "metrics"}  # fmt: skip
    finally:
        stop(web)


def scrape(base: str) -> dict[tuple[str, frozenset], float]:
    response = requests.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def json_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


def test_a_create_a_close_and_a_failed_invitation_are_each_counted_once_across_processes(stack):
    key = api_key_create(name="metrics test")[1]
    agent = agent_with_token("agent.sato")
    headers = {"Authorization": f"Token {key}", "X-CSM-User": agent.username}
    base = stack["base"]

    created = requests.post(
        f"{base}/api/v1/sessions/",
        json={"incident_id": "INC-42", "requester_email": "customer@example.test"},
        headers={**headers, "X-Request-ID": REQUEST_ID},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    assert created.headers["X-Request-ID"] == REQUEST_ID
    session_id = created.json()["id"]
    wait_for(
        lambda: InvitationEmail.objects.filter(session_id=session_id, status="failed").exists(),
        what="the invitation to fail on the worker",
        log=celery_processes_log(stack),
        seconds=60,
    )
    closed = requests.post(f"{base}/api/v1/sessions/{session_id}/close/", headers=headers, timeout=30)
    assert closed.status_code == 200, closed.text
    for _ in range(20):  # spread over both workers: each one's figures must reach the sum
        assert requests.get(f"{base}/healthz/", timeout=5).status_code == 200

    samples = scrape(base)

    assert value(samples, "csm_teamviewer_sessions_created_total", via="api") == 1
    assert value(samples, "csm_teamviewer_sessions_closed_total", via="api") == 1
    assert value(samples, "csm_teamviewer_invitations_failed_total") == 1
    assert value(samples, "csm_teamviewer_invitations_sent_total") == 0
    route = {"endpoint": "sessions_api:sessions", "method": "POST"}
    assert value(samples, "csm_teamviewer_http_requests_total", **route, status="201") == 1
    health = sum(1 for status in stack["health_answers"] if status == 200) + 20
    assert (
        value(samples, "csm_teamviewer_http_requests_total", endpoint="healthz", method="GET", status="200")
        == health
    )
    assert (
        value(samples, "csm_teamviewer_teamviewer_requests_total", operation="create_session", outcome="ok")
        == 1
    )
    assert (
        value(samples, "csm_teamviewer_teamviewer_requests_total", operation="close_session", outcome="ok")
        == 1
    )
    # The gauge read at scrape time: the one session, now closed.
    assert value(samples, "csm_teamviewer_sessions", state="closed") == 1
    assert value(samples, "csm_teamviewer_sessions", state="open") == 0
    # Both gunicorn workers and the Celery worker's pool process wrote figures to the folder.
    web_workers = {child.pid for child in psutil.Process(stack["web"].pid).children()}
    pool = {child.pid for child in psutil.Process(stack["worker"].pid).children()}
    writers = {int(path.stem.rsplit("-", 1)[1]) for path in stack["folder"].glob("counter_*.db")}
    assert web_workers <= writers, (web_workers, writers)
    assert pool & writers, (pool, writers)


def test_without_the_token_metrics_are_refused(stack):
    assert requests.get(f"{stack['base']}/metrics", timeout=10).status_code == 403
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.get(f"{stack['base']}/metrics", headers=wrong, timeout=10).status_code == 403


def test_the_request_line_and_the_tasks_it_enqueued_carry_the_request_id(stack):
    key = api_key_create(name="log test")[1]
    agent = agent_with_token("agent.sato")
    headers = {"Authorization": f"Token {key}", "X-CSM-User": agent.username, "X-Request-ID": REQUEST_ID}
    created = requests.post(
        f"{stack['base']}/api/v1/sessions/",
        json={"incident_id": "INC-43", "requester_email": "customer@example.test"},
        headers=headers,
        timeout=30,
    )
    assert created.status_code == 201, created.text

    request_lines = [
        line for line in json_lines(stack["log"]) if line.get("logger") == "csm_teamviewer.requests"
    ]
    mine = [line for line in request_lines if line["request_id"] == REQUEST_ID]
    assert len(mine) == 1
    assert (mine[0]["endpoint"], mine[0]["status"], mine[0]["agent"]) == (
        "sessions_api:sessions",
        201,
        "agent.sato",
    )
    # Every request has a line and an id, generated where the caller gave none.
    assert all(line["request_id"] not in ("", "-") for line in request_lines)
    task_lines = wait_for(
        lambda: [
            line
            for line in json_lines(celery_processes_log(stack))
            if line.get("request_id") == REQUEST_ID and line.get("logger", "").startswith("sessions_app")
        ],
        what="the invitation task's log line with the request id",
        log=celery_processes_log(stack),
        seconds=60,
    )
    assert any("Invitation" in line["message"] for line in task_lines)


def celery_processes_log(stack: dict) -> Path:
    return stack["log"].parent / "celery.log"
