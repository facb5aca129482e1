"""The write-back end to end: a real Celery worker on Redis and PostgreSQL, TeamViewer and CSM both
the project's own sandboxes, served over real HTTP by the live server.

The API is called in this process (the test client), as CSM's one-steps call it; every TeamViewer
and CSM call, this process's and the worker's, goes over HTTP to the sandboxes on the live
server. The worker subprocess is told where they are through its environment (``CSM_API_URL`` set
makes it a client of "a real CSM", which is the sandbox). Faults are rows in the database both
sides share (``csm_teamviewer.csm_sandbox.faults``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import cache
from rest_framework.test import APIClient

from csm_teamviewer.celery import app as celery_app
from csm_teamviewer.csm_sandbox import faults as csm_faults
from csm_teamviewer.csm_sandbox.models import Incident
from csm_teamviewer.sandbox import faults as tv_faults
from journal_app.models import JournalNote
from sessions_app.models import Session
from sessions_app.services.api_keys import api_key_create
from tests.faults.sandbox import agent_with_token, sandbox_settings
from tests.workers import celery_env, wait_for
from tokens_app.csm import csm_client
from tokens_app.teamviewer import teamviewer_app

API = "/api/v1"
CSM_SANDBOX = "/sandbox/csm/CherwellAPI"
SYNC_TASK = "sessions_app.tasks.sync_session_states"
# The client's read timeout in the worker: "slower than CSM's timeout" costs a second or two.
CSM_READ_TIMEOUT = 1.0


def csm_settings(base_url: str) -> dict[str, str]:
    """This server's CSM settings for the sandbox served at ``base_url``, as for a real CSM."""
    return {
        "CSM_API_URL": f"{base_url}{CSM_SANDBOX}",
        "CSM_CLIENT_ID": django_settings.CSM_SANDBOX_CLIENT_ID,
        "CSM_USERNAME": django_settings.CSM_SANDBOX_USERNAME,
        "CSM_PASSWORD": django_settings.CSM_SANDBOX_PASSWORD,
    }


@pytest.fixture
def live(live_server, settings, transactional_db) -> Iterator[str]:
    """Both sandboxes on the live server, and this process a client of them; the server's URL."""
    for name, value in {**sandbox_settings(live_server.url), **csm_settings(live_server.url)}.items():
        setattr(settings, name, value)
    settings.CSM_TIMEOUT = (2.0, CSM_READ_TIMEOUT)
    settings.API_THROTTLE_PER_KEY = settings.API_THROTTLE_PER_AGENT = ""
    cache.clear()
    yield live_server.url
    tv_faults.clear()
    csm_faults.clear()
    # A kept-alive connection holds one of the live server's threads (and its database
    # connection) open past the test.
    teamviewer_app().http.close()
    csm_client().http.close()


@pytest.fixture
def worker(
    requires_postgres, live, redis_url, queue_name, celery_processes, producer, tmp_path
) -> Callable[..., Any]:
    """``worker()`` starts a Celery worker (at DEBUG) on the test's database, queue and sandboxes."""

    started = 0

    def start(**extra_env: str):
        nonlocal started
        started += 1
        settings_env = {
            "CELERY_BROKER_URL": redis_url,
            # The worker hands the next note, a retry, a fetch again over itself: onto its own queue.
            "CELERY_TASK_DEFAULT_QUEUE": queue_name,
            "PUBLIC_BASE_URL": live,
            "TEAMVIEWER_API_URL": f"{live}/sandbox/teamviewer/api/v1",
            "TEAMVIEWER_AUTHORIZE_URL": f"{live}/sandbox/teamviewer/oauth2/authorize",
            **csm_settings(live),
            "CSM_CONNECT_TIMEOUT": "2",
            "CSM_READ_TIMEOUT": str(CSM_READ_TIMEOUT),
            "CSM_WRITEBACK_RETRY_BASE_SECONDS": "1",
            "CSM_WRITEBACK_RETRY_MAX_SECONDS": "2",
            # A report is looked for again a second later, and is final three seconds after the close.
            "CONNECTION_REPORT_RETRY_BASE_SECONDS": "1",
            "CONNECTION_REPORT_WINDOW_SECONDS": "3",
            # Four slashes: an absolute path (django-environ drops the first after the scheme's two).
            "EMAIL_URL": f"filemail:///{tmp_path / 'mail'}",
            "LOG_LEVEL": "DEBUG",
        }
        env = celery_env(**{**settings_env, **extra_env})
        return celery_processes.start(
            "worker",
            "--pool=solo",
            "-l",
            "debug",
            "-Q",
            queue_name,
            "-n",
            f"{queue_name}-{started}@%h",
            "--without-gossip",
            "--without-mingle",
            env=env,
        )

    start.log = celery_processes.log
    start.mail = tmp_path / "mail"
    return start


@pytest.fixture
def agent(live):
    """An agent holding a TeamViewer token at the sandbox, as after one sign-in."""
    return agent_with_token("agent.sato")


@pytest.fixture
def api(live, agent) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {api_key_create(name='CSM e2e')[1]}", HTTP_X_CSM_USER=agent.username
    )
    return client


# --- what the test reads --------------------------------------------------------------------


def journal_of(incident_id: str) -> list[str]:
    """The sandbox's journal of an incident, oldest first (what CSM holds)."""
    incident = Incident.objects.filter(public_id=incident_id).first()
    return (
        [] if incident is None else list(incident.journals.order_by("pk").values_list("details", flat=True))
    )


def notes_of(session_id: str) -> list[JournalNote]:
    return list(JournalNote.objects.filter(session_id=session_id).order_by("pk"))


def create(api: APIClient, incident_id: str, **fields: Any) -> dict[str, Any]:
    body = {"incident_id": incident_id, "requester_name": "Hanako Yamada", "send_email": False, **fields}
    response = api.post(f"{API}/sessions/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def close(api: APIClient, session_id: str) -> dict[str, Any]:
    response = api.post(f"{API}/sessions/{session_id}/close/", format="json")
    assert response.status_code == 200, response.content
    return response.json()


def customer_joins(session: dict[str, Any]) -> None:
    """The customer opens their link: at the TeamViewer sandbox, the session is online."""
    requests.get(session["end_customer_link"], timeout=5).raise_for_status()


def sync_states() -> None:
    """What beat does every SESSION_SYNC_INTERVAL_SECONDS: the worker asks TeamViewer about open sessions."""
    celery_app.send_task(SYNC_TASK)


def wait_written(
    worker: Callable[..., Any], session_id: str, count: int, *, seconds: float = 30
) -> list[JournalNote]:
    """The session's notes once ``count`` of them are all written (fails with the worker's log)."""

    def written() -> list[JournalNote] | None:
        notes = notes_of(session_id)
        done = len(notes) == count and all(note.status == JournalNote.Status.WRITTEN for note in notes)
        return notes if done else None

    return wait_for(
        written, what=f"{count} notes of session {session_id} written", log=worker.log, seconds=seconds
    )


def session_state(session_id: str) -> Session:
    return Session.objects.get(pk=session_id)


def log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
