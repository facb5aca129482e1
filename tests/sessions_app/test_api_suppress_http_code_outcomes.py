"""?suppress_http_code=1 on the actions' own outcomes: TeamViewer's errors, login required,
conflicts, successes; and which values turn it on."""

from __future__ import annotations

import pytest
import requests

from sessions_app.models import Session
from tests.asserts import assert_error
from tests.factories import SessionFactory

from .conftest import API, SESSION_FIELDS, TV_SESSIONS, client_for, tv_session_body
from .test_api_suppress_http_code import ENDPOINTS, FLOW_ID, SESSION_ID, assert_suppressed_as, both, call

CREATE = {"incident_id": "INC-2002", "requester_email": "customer@example.com"}


# --- TeamViewer --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/sessions/", f"/sessions/{SESSION_ID}/close/"])
def test_409_login_required_keeps_the_login_link(api, agent, path):
    SessionFactory(agent=agent, id=SESSION_ID)
    plain, suppressed = both(api, "post", path, body=CREATE if path == "/sessions/" else {})
    body = assert_error(plain, status=409, code="teamviewer_login_required")
    answer = suppressed.json()
    assert (suppressed.status_code, answer["http_status"], answer["code"]) == (200, 409, body["code"])
    assert answer.keys() == {*body, "http_status"}
    assert answer["authorize_url"].endswith(f"/oauth/teamviewer/start/{answer['login_flow']}/")


def test_429_teamviewer_rate_limited_keeps_retry_after(api, tv, tv_token):
    tv.post(TV_SESSIONS, status=429, json={"error": "rate_limit_reached"}, headers={"Retry-After": "30"})
    plain, suppressed = both(api, "post", "/sessions/", body=CREATE)
    assert_error(plain, status=429, code="teamviewer_rate_limited")
    assert_suppressed_as(plain, suppressed)
    assert suppressed["Retry-After"] == "30"


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"status": 500, "json": {"error": "internal_error"}}, 502),
        ({"body": requests.exceptions.ConnectionError("down")}, 503),
        ({"body": requests.exceptions.ReadTimeout("slow")}, 504),
    ],
)
def test_teamviewer_down_on_create(api, tv, tv_token, fault, status):
    # Once only: a failed create leaves its attempt to be settled, and a second meets that.
    tv.post(TV_SESSIONS, **fault)
    suppressed = call(api, "post", "/sessions/", "1", body=CREATE)
    body = suppressed.json()
    assert (suppressed.status_code, body["http_status"], body["code"]) == (
        200,
        status,
        "teamviewer_unavailable",
    )
    assert body["detail"]


def test_teamviewer_down_on_close(api, agent, tv, tv_token):
    session = SessionFactory(agent=agent, id=SESSION_ID)
    tv.put(f"{TV_SESSIONS}/{session.code}", body=requests.exceptions.ConnectionError("down"))
    plain, suppressed = both(api, "post", f"/sessions/{SESSION_ID}/close/")
    assert_error(plain, status=503, code="teamviewer_unavailable")
    assert_suppressed_as(plain, suppressed)


def test_403_licence_limit_on_create(api, tv, tv_token):
    tv.post(
        TV_SESSIONS,
        status=403,
        json={"error": "forbidden", "error_description": "Your license does not allow more sessions."},
    )
    plain, suppressed = both(api, "post", "/sessions/", body=CREATE)
    assert_error(plain, status=403, code="teamviewer_license_limit")
    assert_suppressed_as(plain, suppressed)


# --- conflicts and refusals of the session actions -----------------------------------------------


@pytest.mark.parametrize("path", [f"/sessions/{SESSION_ID}/email/", f"/sessions/{SESSION_ID}/join/"])
def test_409_for_a_closed_session(api, agent, path):
    SessionFactory(agent=agent, id=SESSION_ID, state=Session.State.CLOSED)
    plain, suppressed = both(api, "post", path)
    assert_error(plain, status=409, code="session_closed")
    assert_suppressed_as(plain, suppressed)


def test_403_for_joining_another_agents_session(other_api, agent):
    SessionFactory(agent=agent, id=SESSION_ID)
    plain, suppressed = both(other_api, "post", f"/sessions/{SESSION_ID}/join/")
    assert_error(plain, status=403, code="permission_denied")
    assert_suppressed_as(plain, suppressed)
    assert "secret" not in suppressed.content.decode()


def test_403_for_a_staff_launch(staff_api):
    plain, suppressed = both(staff_api, "post", "/launch/")
    assert_error(plain, status=403, code="staff_launch_refused")
    assert_suppressed_as(plain, suppressed)


def test_404_for_another_agents_login_flow(api, other_agent):
    from tests.factories import LoginFlowFactory

    LoginFlowFactory(agent=other_agent, flow_id=FLOW_ID)
    plain, suppressed = both(api, "get", f"/login-flows/{FLOW_ID}/")
    assert_error(plain, status=404, code="not_found")
    assert_suppressed_as(plain, suppressed)


# --- successes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/sessions/", f"/sessions/{SESSION_ID}/", "/me/teamviewer/", f"/login-flows/{FLOW_ID}/"]
)
def test_reads_are_the_same_body_with_http_status_200(api, agent, path):
    from tests.factories import LoginFlowFactory

    SessionFactory(agent=agent, id=SESSION_ID)
    LoginFlowFactory(agent=agent, flow_id=FLOW_ID)
    plain, suppressed = both(api, "get", path)
    assert plain.status_code == 200
    assert_suppressed_as(plain, suppressed)


def test_the_lists_next_link_keeps_the_parameter(api, agent):
    for number in range(3):
        SessionFactory(agent=agent, incident_id=f"INC-{number}")
    body = api.get(f"{API}/sessions/?limit=2&suppress_http_code=1").json()
    assert (body["http_status"], body["count"], len(body["results"])) == (200, 3, 2)
    assert "suppress_http_code=1" in body["next"]


def test_a_disconnect_answers_its_204_as_a_body(api, tv_token, tv):
    tv.post(f"{TV_SESSIONS.rsplit('/', 1)[0]}/oauth2/revoke", status=200, json={})
    suppressed = call(api, "delete", "/me/teamviewer/", "1")
    assert (suppressed.status_code, suppressed.json()) == (200, {"http_status": 204})
    plain = call(api, "delete", "/me/teamviewer/")
    assert (plain.status_code, plain.content) == (204, b"")
    assert_suppressed_as(plain, call(api, "delete", "/me/teamviewer/", "1"))


def test_a_create_answers_201_then_200_as_200_with_the_session(api, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    created = call(api, "post", "/sessions/", "1", body=CREATE)
    assert (created.status_code, created.json()["http_status"]) == (200, 201)
    assert created.json().keys() == {*SESSION_FIELDS, "http_status"}
    plain, again = both(api, "post", "/sessions/", body=CREATE)
    assert plain.status_code == 200 and plain.json()["id"] == created.json()["id"]
    assert_suppressed_as(plain, again)


def test_email_join_and_close_answer_as_200_with_their_own_status(api, agent, tv, tv_token):
    session = SessionFactory(agent=agent, id=SESSION_ID)
    emailed = call(api, "post", f"/sessions/{SESSION_ID}/email/", "1")
    assert (emailed.status_code, emailed.json()["http_status"], emailed.json()["id"]) == (
        200,
        202,
        SESSION_ID,
    )
    assert_suppressed_as(*both(api, "post", f"/sessions/{SESSION_ID}/join/"))
    tv.put(f"{TV_SESSIONS}/{session.code}", status=204)
    closed = call(api, "post", f"/sessions/{SESSION_ID}/close/", "1")
    assert (closed.status_code, closed.json()["http_status"], closed.json()["state"]) == (200, 200, "closed")


def test_login_and_launch_answer_as_200_and_stay_uncached(api):
    for path, status, fields in [
        ("/me/teamviewer/login/", 200, {"authorize_url", "login_flow"}),
        ("/launch/", 201, {"url"}),
    ]:
        plain, suppressed = both(api, "post", path)
        assert plain.status_code == status
        assert (
            suppressed.json().keys() == {*fields, "http_status"}
            and suppressed.json()["http_status"] == status
        )
        assert suppressed["Cache-Control"] == plain["Cache-Control"] == "no-store"


# --- the parameter's values ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on"])
def test_values_that_turn_it_on(api, value):
    answer = call(api, "get", "/sessions/unknown/", value)
    assert (answer.status_code, answer.json()["http_status"]) == (200, 404)


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off", ""])
def test_falsey_values_leave_it_off(api, value):
    answer = call(api, "get", "/sessions/unknown/", value)
    assert_error(answer, status=404, code="not_found")
    assert "http_status" not in answer.json()


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_another_value_is_a_400_naming_the_parameter_answered_as_200(client, method, path):
    answer = call(client, method, path, "maybe")
    body = answer.json()
    assert (answer.status_code, body["http_status"], body["code"]) == (200, 400, "invalid")
    assert list(body["errors"]) == ["suppress_http_code"]


def test_only_the_api_is_touched(client, db):
    health = client.get("/healthz/?suppress_http_code=1")
    assert "http_status" not in health.json()
    schema = client.get("/api/schema/?suppress_http_code=1")
    assert schema.status_code == 200 and b"http_status: " not in schema.content[:200]
    page = client.get("/incidents/INC-1/?suppress_http_code=1")
    assert page.status_code in (302, 401, 403)


def test_the_acting_agent_is_still_required(api_key):
    answer = call(client_for(api_key, ""), "get", "/sessions/", "1")
    assert (answer.status_code, answer.json()["http_status"], answer.json()["code"]) == (
        200,
        401,
        "not_authenticated",
    )


def test_the_parameters_message_speaks_the_callers_language(client):
    answer = client.get(f"{API}/sessions/?suppress_http_code=maybe", HTTP_ACCEPT_LANGUAGE="ja")
    assert "200" in answer.json()["errors"]["suppress_http_code"][0]
    assert "指定してください" in answer.json()["errors"]["suppress_http_code"][0]
