"""TeamViewer slow, failing, limiting or unreadable, through the REST API and the incident page.

Each fault is injected into the sandbox that stands in for TeamViewer over real HTTP. What must
hold: a clear error code (interface.md), retries only where repeating is safe (a create's POST is
sent once; a close's PUT is repeated through gateway errors), and no stuck state: nothing half
made blocks the next create, which succeeds once the fault is gone, with exactly one TeamViewer
session for the incident and agent.
"""

from __future__ import annotations

import pytest

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.sandbox import faults
from csm_teamviewer.sandbox.models import Session as SandboxSession
from sessions_app.models import Session
from tests.asserts import assert_error

from .conftest import API, wait_until
from .sandbox import open_at_sandbox

INCIDENT = "INC-7001"
CREATE = {"incident_id": INCIDENT, "requester_email": "hanako@example.com", "send_email": False}
RATE_LIMITED = {"error": "rate_limit_reached", "error_description": "Too many calls", "error_code": 17}

# (fault, our status, our code)
CREATE_FAULTS = {
    "500": (dict(status=500), 502, "teamviewer_unavailable"),
    "502 html": (
        dict(status=502, body="<html><h1>502 Bad Gateway</h1></html>"),
        502,
        "teamviewer_unavailable",
    ),
    "503": (dict(status=503), 502, "teamviewer_unavailable"),
    "429": (dict(status=429, retry_after=30), 429, "teamviewer_rate_limited"),
    "403 rate limit": (dict(status=403, body=RATE_LIMITED), 429, "teamviewer_rate_limited"),
    "200 html": (dict(status=200, body="<html>Maintenance</html>"), 502, "teamviewer_unavailable"),
    "200 broken json": (dict(status=200, body='{"code": "s12-3'), 502, "teamviewer_unavailable"),
}


def _create(api):
    return api.post(f"{API}/sessions/", CREATE, format="json")


@pytest.mark.parametrize("name", CREATE_FAULTS)
def test_a_create_teamviewer_fails_is_a_clear_error_sent_once_and_the_next_create_succeeds(
    api, tv_agent, name
):
    fault_args, our_status, our_code = CREATE_FAULTS[name]
    fault = faults.inject(method="POST", path_prefix="sessions", times=3, **fault_args)

    failed = _create(api)

    body = assert_error(failed, status=our_status, code=our_code)
    if our_status == 429:
        assert failed["Retry-After"] == str(body["retry_after"])
    fault.refresh_from_db()
    assert fault.remaining == 2  # the POST went once: a create is never repeated blindly
    assert not Session.objects.visible().filter(incident_id=INCIDENT).exists()  # nothing half made is shown

    faults.clear()
    created = _create(api)

    assert created.status_code == 201, created.content
    [remote] = open_at_sandbox(tv_agent, INCIDENT)
    assert created.json()["code"] == remote.code
    assert _create(api).status_code == 200  # and that one is the incident's session from now on


def test_a_create_slower_than_the_timeout_is_504_and_the_late_session_is_not_left_open(api, tv_agent):
    # TeamViewer makes the session after our client gave up: only it knows the session exists.
    faults.inject(method="POST", path_prefix="sessions", status=None, delay=2.0)

    slow = _create(api)

    assert_error(slow, status=504, code="teamviewer_unavailable")
    assert not Session.objects.visible().filter(incident_id=INCIDENT).exists()
    [late] = wait_until(lambda: open_at_sandbox(tv_agent, INCIDENT), what="the late session at the sandbox")

    created = _create(api)

    assert created.status_code == 201, created.content
    [remote] = open_at_sandbox(tv_agent, INCIDENT)
    assert remote.code == created.json()["code"] != late.code
    late.refresh_from_db()
    assert late.state == "closed"
    assert AuditEvent.objects.filter(outcome="orphan_closed", incident_id=INCIDENT).count() == 1


@pytest.fixture
def live(api, tv_agent):
    response = _create(api)
    assert response.status_code == 201, response.content
    return response.json()


def _close(api, session: dict):
    return api.post(f"{API}/sessions/{session['id']}/close/", format="json")


def test_a_close_is_repeated_through_gateway_errors_and_closes(api, live):
    fault = faults.inject(method="PUT", path_prefix="sessions", status=502, times=2)

    closed = _close(api, live)

    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    fault.refresh_from_db()
    assert fault.remaining == 0
    assert SandboxSession.objects.get(code=live["code"]).state == "closed"


CLOSE_FAULTS = {
    "503 throughout": (dict(status=503, times=None), 502, "teamviewer_unavailable"),
    "429": (dict(status=429, retry_after=12), 429, "teamviewer_rate_limited"),
    "403 rate limit": (dict(status=403, body=RATE_LIMITED), 429, "teamviewer_rate_limited"),
    "slower than the timeout": (dict(status=None, delay=2.0), 504, "teamviewer_unavailable"),
}


@pytest.mark.parametrize("name", CLOSE_FAULTS)
def test_a_close_teamviewer_fails_keeps_the_session_live_until_a_later_close(api, live, name):
    fault_args, our_status, our_code = CLOSE_FAULTS[name]
    faults.inject(method="PUT", path_prefix="sessions", **fault_args)

    failed = _close(api, live)

    assert_error(failed, status=our_status, code=our_code)
    assert Session.objects.get(pk=live["id"]).state == "open"

    faults.clear()
    closed = _close(api, live)

    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    wait_until(
        lambda: SandboxSession.objects.get(code=live["code"]).state == "closed",
        what="the close at the sandbox",
    )


def test_email_and_join_need_no_teamviewer_and_work_while_it_is_down(api, live, live_tv):
    faults.inject(status=503, times=None)

    email = api.post(f"{API}/sessions/{live['id']}/email/", {}, format="json")
    join = api.post(f"{API}/sessions/{live['id']}/join/", format="json")
    listed = api.get(f"{API}/sessions/", {"incident_id": INCIDENT})

    assert email.status_code == 202 and email.json()["email_status"] == "queued"
    assert len(live_tv) == 1  # handed to the worker, which needs no TeamViewer either
    assert join.status_code == 200 and join.json()["supporter_link"]
    assert listed.status_code == 200 and listed.json()["count"] == 1


@pytest.mark.parametrize(
    ("fault_args", "status", "code"),
    [
        (dict(status=503, times=None), 502, "teamviewer_unavailable"),
        (dict(status=200, body="<html>Maintenance</html>", times=None), 502, "teamviewer_unavailable"),
        (dict(status=429, retry_after=20, times=None), 429, "teamviewer_rate_limited"),
    ],
)
def test_the_incident_page_shows_and_its_buttons_answer_clearly_while_teamviewer_fails(
    client, api, live, tv_agent, fault_args, status, code
):
    client.force_login(tv_agent)
    faults.inject(**fault_args)
    page = f"/incidents/{INCIDENT}/"

    shown = client.get(page)
    listed = client.get(f"{page}sessions/")
    create_other = client.post("/incidents/INC-7002/sessions/create/", {})
    close = client.post(f"{page}sessions/{live['id']}/close/", {})

    assert shown.status_code == 200 and live["code"] in shown.content.decode()
    assert listed.status_code == 200  # the state sync failing changes nothing on the page
    for answer in (create_other, close):
        assert answer.status_code == status, answer.content
        assert f'data-code="{code}"' in answer.content.decode()
    assert Session.objects.get(pk=live["id"]).state == "open"
    assert not Session.objects.visible().filter(incident_id="INC-7002").exists()
