"""A sign-in a one-step can follow without reading an error body: POST me/teamviewer/login/ to
start one, GET login-flows/{id}/ to learn how it went and what its create or close became."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from responses import matchers

from sessions_app.models import Session
from tests.asserts import assert_error
from tests.factories import LoginFlowFactory, SessionFactory
from tokens_app.models import LoginFlow, TeamViewerToken

from .conftest import API, SESSION_FIELDS, TV_SESSIONS, tv_session_body
from .test_api_login_resume import BODY, _login

LOGIN = f"{API}/me/teamviewer/login/"
STATUS_FIELDS = {"login_flow", "status", "action", "expires_at", "session", "created", "error"}
# What no status answer may carry, whoever asks.
SECRETS = ("state", "code_verifier", "access_token", "refresh_token", "authorize_url")


def flow_url(flow_id: str) -> str:
    return f"{API}/login-flows/{flow_id}/"


def _status(api, flow_id: str) -> dict:
    response = api.get(flow_url(flow_id))
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body.keys() == STATUS_FIELDS
    assert not set(SECRETS) & set(body)
    return body


# --- starting a sign-in ---------------------------------------------------------------------------


def test_login_starts_a_sign_in_with_nothing_to_carry_out(api, agent, client):
    response = api.post(LOGIN, format="json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body.keys() == {"authorize_url", "login_flow"}
    flow = LoginFlow.objects.get(flow_id=body["login_flow"])
    assert (flow.agent, flow.action, flow.status) == (agent, "", LoginFlow.Status.PENDING)
    assert body["authorize_url"] == flow.authorize_url
    # The link is the sign-in's start page: it sends the browser to TeamViewer.
    start = client.get(body["authorize_url"].removeprefix("http://127.0.0.1:8000"))
    assert start.status_code == 302 and "code_challenge=" in start["Location"]


def test_login_when_already_connected_still_starts_a_new_sign_in(api, agent, tv_token):
    first = api.post(LOGIN, format="json").json()
    second = api.post(LOGIN, format="json").json()
    assert first["login_flow"] != second["login_flow"]
    assert LoginFlow.objects.filter(agent=agent, action="").count() == 2
    assert TeamViewerToken.objects.filter(agent=agent).exists()  # nothing is disconnected by it


def test_login_takes_an_empty_body_or_none(api):
    assert api.post(LOGIN, {}, format="json").status_code == 200
    assert api.post(LOGIN, content_type="application/json").status_code == 200


def test_completing_a_login_without_action_connects_the_agent(api, agent, tv):
    flow_id = api.post(LOGIN, format="json").json()["login_flow"]
    assert _status(api, flow_id)["status"] == "pending"
    _login(tv, flow_id)
    body = _status(api, flow_id)
    assert (body["status"], body["action"], body["session"], body["created"], body["error"]) == (
        "completed",
        None,
        None,
        None,
        None,
    )
    assert api.get(f"{API}/me/teamviewer/").json()["connected"] is True


# --- following a create that needed a sign-in -----------------------------------------------------


def test_a_create_that_needed_a_login_is_followed_to_its_session(
    api, agent, tv, django_capture_on_commit_callbacks
):
    flow_id = api.post(f"{API}/sessions/", BODY, format="json").json()["login_flow"]
    pending = _status(api, flow_id)
    assert (pending["status"], pending["action"], pending["session"]) == ("pending", "create", None)
    tv.post(
        TV_SESSIONS,
        json=tv_session_body("s55-555-555"),
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-new"})],
    )
    with django_capture_on_commit_callbacks(execute=True):
        _login(tv, flow_id)
    body = _status(api, flow_id)
    session = Session.objects.get()
    assert (body["status"], body["action"], body["created"], body["error"]) == (
        "completed",
        "create",
        True,
        None,
    )
    # The session as the sessions API shows it to this agent now, supporter link included.
    assert body["session"] == api.get(f"{API}/sessions/{session.pk}/").json()
    assert body["session"].keys() == SESSION_FIELDS
    assert body["session"]["supporter_link"] == session.supporter_link


def test_the_session_is_shown_as_it_is_now_not_as_it_was(api, agent):
    session = SessionFactory(agent=agent, state=Session.State.CLOSED)
    stored = {
        "ok": True,
        "action": "create",
        "session": {"id": str(session.pk), "state": "open"},
        "created": True,
    }
    flow = LoginFlowFactory(agent=agent, action="create", status=LoginFlow.Status.COMPLETED, result=stored)
    assert _status(api, flow.flow_id)["session"]["state"] == "closed"


def test_a_deleted_session_is_shown_as_the_login_left_it(api, agent):
    gone = {"id": "11111111-2222-3333-4444-555555555555", "state": "open"}
    stored = {"ok": True, "action": "close", "session": gone}
    flow = LoginFlowFactory(agent=agent, action="close", status=LoginFlow.Status.COMPLETED, result=stored)
    body = _status(api, flow.flow_id)
    assert (body["session"], body["created"]) == (gone, None)


def test_a_started_login_is_still_pending(api, agent):
    flow = LoginFlowFactory(agent=agent, started=True, action="create")
    assert _status(api, flow.flow_id)["status"] == "pending"


@pytest.mark.parametrize("started", [False, True])
def test_a_login_that_ran_out_is_expired(api, agent, started):
    flow = LoginFlowFactory(agent=agent, started=started, expires_at=timezone.now() - timedelta(seconds=1))
    assert _status(api, flow.flow_id)["status"] == "expired"


def test_a_refused_login_is_failed_with_the_reason(api, agent):
    result = {"ok": False, "code": "access_denied", "detail": ""}
    flow = LoginFlowFactory(agent=agent, action="create", status=LoginFlow.Status.FAILED, result=result)
    body = _status(api, flow.flow_id)
    assert (body["status"], body["error"], body["session"]) == (
        "failed",
        {"code": "access_denied", "detail": ""},
        None,
    )


def test_a_login_whose_create_failed_is_failed_with_the_creates_error(api, agent):
    result = {
        "ok": False,
        "action": "create",
        "code": "teamviewer_rate_limited",
        "detail": "Slow down.",
        "retry_after": 60,
    }
    flow = LoginFlowFactory(agent=agent, action="create", status=LoginFlow.Status.COMPLETED, result=result)
    body = _status(api, flow.flow_id)
    assert body["status"] == "failed"
    assert body["error"] == {"code": "teamviewer_rate_limited", "detail": "Slow down.", "retry_after": 60}


# --- nobody else's --------------------------------------------------------------------------------


def test_another_agents_login_is_not_found_and_shows_nothing(other_api, agent):
    session = SessionFactory(agent=agent)
    stored = {"ok": True, "action": "create", "session": {"id": str(session.pk)}, "created": True}
    flow = LoginFlowFactory(agent=agent, action="create", status=LoginFlow.Status.COMPLETED, result=stored)
    response = other_api.get(flow_url(flow.flow_id))
    assert_error(response, status=404, code="not_found")
    assert str(session.pk) not in response.content.decode()


def test_staff_cannot_read_an_agents_login_either(staff_api, agent):
    flow = LoginFlowFactory(agent=agent)
    assert_error(staff_api.get(flow_url(flow.flow_id)), status=404, code="not_found")


@pytest.mark.parametrize("flow_id", ["unknown-flow", "x" * 65, "a%00b", "%E2%9C%93", "..%2F"])
def test_unknown_or_malformed_ids_are_not_found(api, flow_id):
    assert_error(api.get(flow_url(flow_id)), status=404, code="not_found")


def test_the_answer_never_carries_the_flows_secrets(api, agent):
    flow = LoginFlowFactory(agent=agent)
    text = api.get(flow_url(flow.flow_id)).content.decode()
    assert flow.state not in text and flow.code_verifier not in text
