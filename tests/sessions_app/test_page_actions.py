"""The incident page's buttons: JSON endpoints with CSRF over the same services as the REST API."""

from __future__ import annotations

import json

import pytest
import requests
from django.test import Client
from responses import matchers

from sessions_app.models import AuditEvent, InvitationEmail, Session
from tokens_app.models import LoginFlow

from .conftest import TV_SESSIONS, make_session, tv_session_body

BASE = "/incidents/INC-1001/sessions"
CREATE = f"{BASE}/create/"
BEARER = matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"})


class PageClient:
    """A browser on the incident page: signed in, with the CSRF token the page hands its script."""

    def __init__(self, user) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)
        self.client.get("/incidents/INC-1001/")
        self.token = self.client.cookies["csrftoken"].value

    def post(self, url: str, body=None, *, csrf: bool = True, **headers):
        if csrf:
            headers["HTTP_X_CSRFTOKEN"] = self.token
        data = body if isinstance(body, str) else json.dumps({} if body is None else body)
        return self.client.post(url, data, content_type="application/json", **headers)


@pytest.fixture
def page(agent) -> PageClient:
    return PageClient(agent)


@pytest.fixture
def other_page(other_agent) -> PageClient:
    return PageClient(other_agent)


def url(session: Session, action: str) -> str:
    return f"{BASE}/{session.pk}/{action}/"


# --- create -------------------------------------------------------------------------------------


def test_create_makes_the_teamviewer_session_through_the_same_service_and_answers_201(
    page, agent, tv, tv_token, django_capture_on_commit_callbacks
):
    tv.post(TV_SESSIONS, json=tv_session_body(), match=[BEARER])
    body = {
        "requester_name": "山田 花子",
        "requester_email": "hanako@example.com",
        "description": "Printer offline",
        "send_email": True,
        "language": "ja",
        "incident_id": "INC-OTHER",
    }
    with django_capture_on_commit_callbacks():
        response = page.post(CREATE, body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["created"] is True
    assert data["session"]["code"] == "s12-345-678"
    assert data["session"]["incident_id"] == "INC-1001"  # the page's incident, not the body's
    sent = json.loads(tv.calls[0].request.body)
    assert sent["end_customer"] == {"name": "山田 花子", "email": "hanako@example.com"}
    session = Session.objects.get()
    assert (session.agent, session.state, session.language) == (agent, Session.State.OPEN, "ja")
    assert InvitationEmail.objects.get().to == "hanako@example.com"
    assert AuditEvent.objects.get(action="create").via == "page"


def test_create_again_answers_200_with_the_agents_existing_session(page, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    first = page.post(CREATE, {"send_email": False})
    second = page.post(CREATE, {"send_email": False})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["created"] is False
    assert second.json()["session"]["id"] == first.json()["session"]["id"]
    assert len(tv.calls) == 1


def test_without_the_csrf_token_nothing_is_done(page, tv, tv_token):
    response = page.post(CREATE, {}, csrf=False)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert len(tv.calls) == 0 and not Session.objects.exists()


def test_an_anonymous_caller_is_refused_as_not_authenticated(tv):
    client = Client()
    response = client.post(CREATE, "{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_authenticated"


def test_create_without_a_teamviewer_token_answers_login_required_with_a_resuming_link(page, agent, tv):
    response = page.post(CREATE, {"requester_email": "hanako@example.com"})
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "teamviewer_login_required"
    flow = LoginFlow.objects.get(flow_id=data["login_flow"])
    assert data["authorize_url"] == flow.authorize_url
    assert (flow.agent, flow.action) == (agent, "create")
    assert flow.action_args["incident_id"] == "INC-1001"
    assert flow.action_args["requester_email"] == "hanako@example.com"
    assert not Session.objects.exists()


def test_teamviewer_limiting_requests_answers_429_with_retry_after(page, tv, tv_token):
    tv.post(TV_SESSIONS, status=429, headers={"Retry-After": "30"}, json={"error": "rate_limit_reached"})
    response = page.post(CREATE, {})
    assert response.status_code == 429
    assert (response.json()["code"], response.json()["retry_after"]) == ("teamviewer_rate_limited", 30)
    assert response["Retry-After"] == "30"
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("answer", "status"),
    [({"status": 500, "body": "<html>oops</html>"}, 502), ({"body": requests.ConnectionError()}, 503)],
)
def test_teamviewer_down_answers_teamviewer_unavailable(page, tv, tv_token, answer, status):
    tv.post(TV_SESSIONS, **answer)
    response = page.post(CREATE, {})
    assert response.status_code == status
    assert response.json()["code"] == "teamviewer_unavailable"
    assert not Session.objects.visible().exists()


def test_teamviewers_own_refusal_is_passed_on(page, tv, tv_token):
    tv.post(TV_SESSIONS, status=400, json={"error": "invalid_request", "error_description": "Group not found."})
    response = page.post(CREATE, {})
    assert response.status_code == 422
    assert response.json() == {"code": "teamviewer_rejected", "detail": "Group not found.", "teamviewer_error": "invalid_request"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requester_email": "not an address"}, "requester_email"),
        ({"requester_name": "x" * 101}, "requester_name"),
        ({"description": "bell\x07"}, "description"),
        ({"send_email": "yes"}, "send_email"),
        ({"language": "fr"}, "language"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_made(page, tv, tv_token, body, field):
    response = page.post(CREATE, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert len(tv.calls) == 0


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{not json", "null"])
def test_a_body_that_is_not_a_json_object_is_refused(page, tv, tv_token, body):
    response = page.post(CREATE, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_the_create_errors_speak_the_pages_language(page, tv, tv_token):
    response = page.post(CREATE, {"requester_email": "x"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.json()["detail"] == "入力内容に誤りがあります。"


# --- email, join, close -------------------------------------------------------------------------


def test_email_queues_the_invitation_and_answers_202(page, agent, open_session):
    response = page.post(url(open_session, "email"))
    assert response.status_code == 202
    assert response.json()["session"]["email_status"] == "queued"
    email = InvitationEmail.objects.get()
    assert (email.to, email.requested_by) == ("hanako@example.com", agent)
    assert AuditEvent.objects.get(action="email").via == "page"


def test_email_to_an_address_typed_on_the_page(page, agent):
    session = make_session(agent, requester_email="")
    assert page.post(url(session, "email"), {"to": "boss@example.com"}).status_code == 202
    assert InvitationEmail.objects.get().to == "boss@example.com"


def test_email_to_a_wrong_address_is_refused(page, open_session):
    response = page.post(url(open_session, "email"), {"to": "nope"})
    assert response.status_code == 400 and "to" in response.json()["errors"]
    assert not InvitationEmail.objects.exists()


def test_a_session_of_another_incident_is_not_found_here(page, agent):
    elsewhere = make_session(agent, incident_id="INC-9999")
    for action in ("email", "join", "close"):
        response = page.post(url(elsewhere, action))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


def test_join_gives_the_agent_the_supporter_link_and_audits_it(page, open_session):
    response = page.post(url(open_session, "join"))
    assert response.status_code == 200
    assert response.json()["supporter_link"] == open_session.supporter_link
    assert AuditEvent.objects.get(action="join").via == "page"


def test_join_is_refused_to_another_agent(other_page, open_session):
    response = other_page.post(url(open_session, "join"))
    assert response.status_code == 403
    assert "secret=supporter" not in response.content.decode()


def test_close_closes_at_teamviewer_and_here(page, open_session, tv, tv_token):
    tv.put(
        f"{TV_SESSIONS}/{open_session.code}",
        status=204,
        match=[BEARER, matchers.json_params_matcher({"state": "closed"})],
    )
    response = page.post(url(open_session, "close"))
    assert response.status_code == 200
    assert response.json()["session"]["state"] == "closed"
    assert Session.objects.get().state == Session.State.CLOSED


def test_close_is_refused_to_another_agent(other_page, open_session, tv):
    assert other_page.post(url(open_session, "close")).status_code == 403
    assert Session.objects.get().state == Session.State.OPEN and len(tv.calls) == 0


def test_close_without_a_usable_token_answers_login_required_that_resumes_the_close(page, agent, open_session, tv):
    response = page.post(url(open_session, "close"))
    assert response.status_code == 409
    flow = LoginFlow.objects.get(flow_id=response.json()["login_flow"])
    assert (flow.action, flow.action_args) == ("close", {"session_id": str(open_session.pk)})


def test_the_actions_answer_only_post(page, open_session):
    client = page.client
    assert client.get(CREATE).status_code == 405
    assert client.get(url(open_session, "close")).status_code == 405
