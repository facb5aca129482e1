"""The message that waits for a TeamViewer sign-in started from the page, and what it shows once the
sign-in ends: the resumed action's result, a refusal, a timeout."""

from __future__ import annotations

import pytest

from tests.asserts import assert_page_error
from tokens_app import pending_actions
from tokens_app.models import LoginFlow

from .conftest import TV_SESSIONS, tv_session_body
from .page_client import CREATE, notice, text_of


def login_url(flow: LoginFlow, incident_id: str = "INC-1001") -> str:
    return f"/incidents/{incident_id}/logins/{flow.flow_id}/"


def finish(flow: LoginFlow, status: str, result: dict) -> None:
    flow.status, flow.result = status, result
    flow.save()


@pytest.fixture
def create_flow(page, tv) -> LoginFlow:
    page.post(CREATE, {"requester_email": "hanako@example.com", "send_email": "on"})
    return LoginFlow.objects.get()


def test_while_the_sign_in_runs_the_waiting_message_gets_no_content(page, create_flow):
    assert page.get(login_url(create_flow)).status_code == 204


def test_a_completed_sign_in_shows_what_the_resumed_create_made(page, agent, create_flow, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    result = pending_actions.run("create", agent=agent, args=create_flow.action_args)
    finish(create_flow, LoginFlow.Status.COMPLETED, {"ok": True, "action": "create", **result})
    response = page.get(login_url(create_flow))
    assert response.status_code == 200
    assert notice(response) == "Session s12-345-678 created. The invitation email to hanako@example.com is on its way."
    assert '<span class="badge badge-open">' in text_of(response)


def test_a_resumed_create_that_failed_shows_why(page, create_flow):
    failure = {"ok": False, "action": "create", "code": "teamviewer_rate_limited", "detail": "x", "retry_after": 20}
    finish(create_flow, LoginFlow.Status.COMPLETED, failure)
    response = page.get(login_url(create_flow), HTTP_ACCEPT_LANGUAGE="ja")
    assert notice(response) == "TeamViewer へのリクエストが制限されています。20 秒後にもう一度お試しください。"


def test_a_refused_sign_in_says_nothing_was_done(page, create_flow):
    finish(create_flow, LoginFlow.Status.FAILED, {"ok": False, "code": "access_denied", "detail": ""})
    assert notice(page.get(login_url(create_flow))) == "The TeamViewer sign-in was refused, so nothing was done."


def test_a_sign_in_that_ran_out_says_so(page, create_flow):
    LoginFlow.objects.update(expires_at="2000-01-01T00:00:00Z")
    notice_text = notice(page.get(login_url(create_flow)))
    assert notice_text == "The TeamViewer sign-in took too long, so nothing was done. Try again."


def test_stopping_to_wait_leaves_the_sign_in_as_it_is(page, create_flow):
    response = page.get(login_url(create_flow) + "?stop=1")
    assert notice(response) == "Stopped waiting for the TeamViewer sign-in. Nothing was done."
    assert LoginFlow.objects.get().status == LoginFlow.Status.PENDING


@pytest.mark.parametrize("flow_id", ["nope", "%00", "x" * 100])
def test_an_unknown_sign_in_is_not_found(page, flow_id):
    response = page.get(f"/incidents/INC-1001/logins/{flow_id}/")
    assert response.status_code == 404


def test_another_agents_sign_in_is_not_found(other_page, create_flow):
    assert_page_error(other_page.get(login_url(create_flow)), status=404, code="not_found")
