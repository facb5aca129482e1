"""The login's status, for the incident page when the pop-up cannot tell it (its opener is gone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.asserts import assert_error
from tests.factories import LoginFlowFactory
from tokens_app.models import LoginFlow

RESULT = {"ok": True, "action": "create", "session": {"code": "s12-345-678"}, "created": True}


def status_url(flow_id: str) -> str:
    return f"/oauth/teamviewer/flows/{flow_id}/"


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_the_agent_sees_a_finished_logins_status_and_the_resumed_actions_result(signed_in, agent):
    flow = LoginFlowFactory(agent=agent, action="create", status=LoginFlow.Status.COMPLETED, result=RESULT)
    response = signed_in.get(status_url(flow.flow_id))
    assert response.status_code == 200
    assert response.json() == {"status": "completed", "result": RESULT}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("status", [LoginFlow.Status.PENDING, LoginFlow.Status.STARTED])
def test_an_unfinished_login_reports_its_status_and_no_result(signed_in, agent, status):
    flow = LoginFlowFactory(agent=agent, status=status)
    assert signed_in.get(status_url(flow.flow_id)).json() == {"status": status.value, "result": {}}


def test_a_failed_login_reports_why(signed_in, agent):
    result = {"ok": False, "code": "access_denied", "detail": ""}
    flow = LoginFlowFactory(agent=agent, status=LoginFlow.Status.FAILED, result=result)
    assert signed_in.get(status_url(flow.flow_id)).json() == {"status": "failed", "result": result}


def test_a_login_that_ran_out_before_finishing_is_expired(signed_in, agent):
    flow = LoginFlowFactory(
        agent=agent, status=LoginFlow.Status.STARTED, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert signed_in.get(status_url(flow.flow_id)).json()["status"] == "expired"


def test_another_agents_login_is_not_found(client, agent, other_agent):
    flow = LoginFlowFactory(agent=agent, status=LoginFlow.Status.COMPLETED, result=RESULT)
    client.force_login(other_agent)
    response = client.get(status_url(flow.flow_id))
    assert_error(response, status=404, code="not_found")
    assert "s12-345-678" not in response.content.decode()


def test_an_anonymous_caller_learns_nothing(client, agent):
    flow = LoginFlowFactory(agent=agent, status=LoginFlow.Status.COMPLETED, result=RESULT)
    response = client.get(status_url(flow.flow_id))
    assert_error(response, status=401, code="not_authenticated")
    assert "s12-345-678" not in response.content.decode()


@pytest.mark.parametrize("flow_id", ["unknown-flow", "x" * 65, "a%00b", "%E2%9C%93"])
def test_unknown_or_malformed_flow_ids_are_not_found(signed_in, flow_id):
    response = signed_in.get(status_url(flow_id))
    assert_error(response, status=404, code="not_found")


def test_only_get_is_answered(signed_in, agent):
    flow = LoginFlowFactory(agent=agent)
    assert signed_in.post(status_url(flow.flow_id)).status_code == 405
