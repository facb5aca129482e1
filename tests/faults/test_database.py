"""The database out of reach for a moment: every interface answers 503, never 500, then recovers.

On PostgreSQL the outage is real: this process's connection points at a closed port, or the
database refuses new connections for a while (what a restart or a failover looks like to the
live server). On SQLite the cursor fails the way a lost database does.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
import requests
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone
from psycopg import sql
from rest_framework.test import APIClient

from sessions_app.models import Session
from tests.asserts import assert_error
from tests.factories import SessionFactory

from .conftest import API, client_as

INCIDENT = "INC-7201"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database_unreachable(monkeypatch) -> Iterator[None]:
    if connection.vendor != "postgresql":

        def lost(*args, **kwargs):
            raise OperationalError("disk I/O error")

        monkeypatch.setattr(connection, "_cursor", lost)
        yield
        monkeypatch.undo()
        return
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = str(_closed_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.fixture
def live_session(tv_agent) -> Session:
    return SessionFactory(
        agent=tv_agent,
        incident_id=INCIDENT,
        code="s72-010-001",
        end_customer_link="https://get.teamviewer.test/s72010001",
        supporter_link="https://start.teamviewer.test/s72010001",
        valid_until=timezone.now() + timedelta(hours=1),
    )


def _calls(api: APIClient, page: Client, session: Session) -> dict[str, object]:
    base = f"{API}/sessions/{session.pk}"
    return {
        "list": lambda: api.get(f"{API}/sessions/", {"incident_id": INCIDENT}),
        "create": lambda: api.post(f"{API}/sessions/", {"incident_id": "INC-7202"}, format="json"),
        "read": lambda: api.get(f"{base}/"),
        "email": lambda: api.post(f"{base}/email/", {}, format="json"),
        "join": lambda: api.post(f"{base}/join/", format="json"),
        "close": lambda: api.post(f"{base}/close/", format="json"),
        "me": lambda: api.get(f"{API}/me/teamviewer/"),
        "page create": lambda: page.post(f"/incidents/{INCIDENT}/sessions/create/", {}, "application/json"),
    }


def test_every_interface_answers_503_while_the_database_is_unreachable_and_recovers(
    api_key, tv_agent, live_session, monkeypatch
):
    api = client_as(api_key, tv_agent.username)
    api.raise_request_exception = False  # a 500 must show as a 500, not as a raised error
    page = Client(raise_request_exception=False)
    page.force_login(tv_agent)
    calls = _calls(api, page, live_session)

    with database_unreachable(monkeypatch):
        answers = {name: call() for name, call in calls.items()}
        shown = page.get(f"/incidents/{INCIDENT}/")
        health = page.get("/healthz/")

    for answer in answers.values():
        assert_error(answer, status=503, code="service_unavailable")
        assert answer["Retry-After"] == "5"
    assert shown.status_code == 503 and b"service_unavailable" in shown.content
    assert health.status_code == 503 and health.json()["database"] == "down"

    assert calls["list"]().status_code == 200
    assert calls["join"]().status_code == 200
    assert calls["email"]().status_code == 202
    assert page.get(f"/incidents/{INCIDENT}/").status_code == 200
    assert page.get("/healthz/").json()["database"] == "ok"
    Session.objects.get(pk=live_session.pk)  # nothing was lost


def _as_admin(statement, *params) -> None:
    # From the server's maintenance database: PostgreSQL will not lock out the current database.
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(statement, params or None)


@contextmanager
def connections_refused() -> Iterator[None]:
    """PostgreSQL refuses new connections to the test database and drops those it has."""
    name = connection.settings_dict["NAME"]
    connection.close()
    _as_admin(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
    _as_admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", name)
    try:
        yield
    finally:
        _as_admin(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(name)))


def test_the_live_server_answers_503_while_postgresql_refuses_connections_and_recovers(
    requires_postgres, live_server, api_key, tv_agent, live_session
):
    headers = {"Authorization": f"Token {api_key}", "X-CSM-User": tv_agent.username}
    url = f"{live_server.url}{API}/sessions/"

    def get() -> requests.Response:
        return requests.get(url, params={"incident_id": INCIDENT}, headers=headers, timeout=10)

    def post() -> requests.Response:
        return requests.post(url, json={"incident_id": "INC-7203"}, headers=headers, timeout=10)

    assert get().status_code == 200
    with connections_refused():
        during = [get(), post(), requests.get(f"{live_server.url}/healthz/", timeout=10)]
    after = get()

    for answer in during[:2]:
        assert_error(answer, status=503, code="service_unavailable")
    assert during[2].status_code == 503
    assert during[2].json()["database"] == "down"
    assert after.status_code == 200 and after.json()["count"] == 1


@pytest.mark.parametrize(("path", "json_body"), [("/api/v1/sessions/", True), ("/incidents/INC-1/", False)])
def test_a_database_error_outside_any_view_is_a_503_too(rf, path, json_body):
    # What Django's handler500 meets when a middleware (a session saved on the way out) fails.
    from csm_teamviewer.error_responses import server_error

    try:
        raise OperationalError("the database system is starting up")
    except OperationalError:
        response = server_error(rf.get(path))

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert (b'"code": "service_unavailable"' in response.content) or (
        b"service_unavailable" in response.content
    )
    assert response["Content-Type"].startswith("application/json" if json_body else "text/html")
