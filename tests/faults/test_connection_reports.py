"""Connection reports over real HTTP: a session made, joined by the customer and closed at the
sandbox, its report fetched by the worker's service; TeamViewer down costs a retry, not the report."""

from __future__ import annotations

import pytest
import requests
from django.utils import timezone

from csm_teamviewer.sandbox import faults
from sessions_app import task_queue
from sessions_app.models import Session
from sessions_app.services.connection_fetch import connection_reports_fetch

from .conftest import API

CREATE = {"incident_id": "INC-7301", "requester_name": "Hanako Yamada", "send_email": False}


@pytest.fixture
def handed(monkeypatch) -> list:
    ids: list = []
    monkeypatch.setattr(task_queue, "connections_fetch_enqueue", lambda session_id: ids.append(session_id) or True)
    return ids


def fetch_when_due(session_id: str) -> str:
    """What the worker's task does once the session says the next fetch is due (made due now)."""
    Session.objects.filter(pk=session_id).update(connections_due_at=timezone.now())
    return connection_reports_fetch(session_id=session_id).outcome


def test_the_customers_connection_is_reported_after_the_close(api, tv_agent, handed):
    created = api.post(f"{API}/sessions/", CREATE, format="json").json()
    requests.get(created["end_customer_link"], timeout=5).raise_for_status()  # the customer joins
    api.post(f"{API}/sessions/{created['id']}/close/", format="json")
    assert [str(session_id) for session_id in handed] == [created["id"]]

    assert fetch_when_due(created["id"]) == "stored"  # found; fetched once more before it is final
    assert fetch_when_due(created["id"]) == "final"

    body = api.get(f"{API}/sessions/{created['id']}/").json()
    assert body["connections_status"] == "final"
    [connection] = body["connections"]
    assert connection["supporter"] == tv_agent.email  # the sandbox names the token's owner
    assert connection["device"].startswith("Hanako Yamada (")
    assert connection["end"] is not None and connection["duration_seconds"] >= 0


def test_a_customer_who_never_came_is_said_so_and_teamviewer_down_costs_a_retry(
    api, tv_agent, handed, settings
):
    settings.CONNECTION_REPORT_WINDOW_SECONDS = 0  # the first fetch that answers is final
    created = api.post(f"{API}/sessions/", CREATE, format="json").json()
    api.post(f"{API}/sessions/{created['id']}/close/", format="json")
    # Down past the client's own retries of a GET.
    faults.inject(method="GET", path_prefix="reports/connections", status=503, times=None)

    assert fetch_when_due(created["id"]) == "retrying"
    faults.clear()
    assert fetch_when_due(created["id"]) == "final"

    body = api.get(f"{API}/sessions/{created['id']}/").json()
    assert (body["connections"], body["connections_status"]) == ([], "final")
