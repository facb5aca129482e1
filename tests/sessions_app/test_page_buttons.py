"""The incident page's buttons: forms htmx posts (CSRF in a header), answered with HTML fragments
over the same services as the REST API, and the fragment that follows a TeamViewer sign-in."""

from __future__ import annotations

import html
import json
import re

import pytest
import requests
from django.test import Client
from responses import matchers

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tokens_app import pending_actions
from tokens_app.models import LoginFlow

from .conftest import TV_SESSIONS, make_session, tv_session_body

PAGE = "/incidents/INC-1001/"
BASE = "/incidents/INC-1001/sessions"
CREATE = f"{BASE}/create/"
BEARER = matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"})


class PageClient:
    """A browser on the incident page: signed in, sending the CSRF header the page gives htmx."""

    def __init__(self, user) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)
        page = self.client.get(PAGE).content.decode()
        self.headers = json.loads(html.unescape(re.search(r"hx-headers='([^']*)'", page).group(1)))

    def post(self, url: str, form: dict | None = None, *, csrf: bool = True, **extra):
        if csrf:
            extra["HTTP_X_CSRFTOKEN"] = self.headers["X-CSRFToken"]
        return self.client.post(url, form or {}, HTTP_HX_REQUEST="true", **extra)

    def get(self, url: str, **extra):
        return self.client.get(url, HTTP_HX_REQUEST="true", **extra)


@pytest.fixture
def page(agent) -> PageClient:
    return PageClient(agent)


@pytest.fixture
def other_page(other_agent) -> PageClient:
    return PageClient(other_agent)


def url(session: Session, action: str) -> str:
    return f"{BASE}/{session.pk}/{action}/"


def text_of(response) -> str:
    return response.content.decode()


def notice(response) -> str:
    """The message the page shows, as text."""
    found = re.search(r'<p class="notice[^>]*>(.*?)</p>', text_of(response), re.S)
    assert found, text_of(response)
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


def assert_error(response, status: int, code: str) -> None:
    """An error answer: its status, its code on the message, and aimed at the message area."""
    assert response.status_code == status, text_of(response)
    assert f'data-code="{code}"' in text_of(response)
    assert response["HX-Retarget"] == "#message"


# --- create -------------------------------------------------------------------------------------


def test_create_makes_the_teamviewer_session_and_answers_the_message_and_the_list(
    page, agent, tv, tv_token, django_capture_on_commit_callbacks
):
    tv.post(TV_SESSIONS, json=tv_session_body(), match=[BEARER])
    form = {
        "requester_name": "山田 花子",
        "requester_email": "hanako@example.com",
        "description": "Printer offline",
        "send_email": "on",
        "language": "ja",
        "incident_id": "INC-OTHER",
    }
    with django_capture_on_commit_callbacks():
        response = page.post(CREATE, form)
    assert response.status_code == 201, text_of(response)
    assert notice(response) == "Session s12-345-678 created. The invitation email to hanako@example.com is on its way."
    assert '<div id="sessions" class="sessions" hx-swap-oob="true"' in text_of(response)
    assert '<h3 class="session-code" id="code-' in text_of(response)
    sent = json.loads(tv.calls[0].request.body)
    assert sent["end_customer"] == {"name": "山田 花子", "email": "hanako@example.com"}
    session = Session.objects.get()
    assert session.incident_id == "INC-1001"  # the page's incident, not the form's
    assert (session.agent, session.state, session.language) == (agent, Session.State.OPEN, "ja")
    assert InvitationEmail.objects.get().to == "hanako@example.com"
    assert AuditEvent.objects.get(action="create").via == "page"


def test_an_unticked_invitation_box_sends_no_email(page, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    response = page.post(CREATE, {"requester_email": "hanako@example.com"})
    assert notice(response) == "Session s12-345-678 created."
    assert not InvitationEmail.objects.exists()


def test_create_again_answers_200_with_the_agents_existing_session(page, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    first = page.post(CREATE)
    second = page.post(CREATE)
    assert (first.status_code, second.status_code) == (201, 200)
    assert notice(second) == "You already have an open session for this incident: s12-345-678."
    assert Session.objects.count() == 1 and len(tv.calls) == 1


def test_without_the_csrf_token_nothing_is_done(page, tv, tv_token):
    response = page.post(CREATE, csrf=False)
    assert response.status_code == 403
    assert len(tv.calls) == 0 and not Session.objects.exists()


def test_an_anonymous_caller_is_told_to_sign_in_again(tv):
    response = Client().post(CREATE, {})
    assert_error(response, 401, "not_authenticated")
    assert notice(response) == "You are signed out. Reload the page to sign in again."


def test_create_without_a_teamviewer_token_waits_for_a_sign_in_that_resumes_it(page, agent, tv):
    response = page.post(CREATE, {"requester_email": "hanako@example.com"})
    assert_error(response, 409, "teamviewer_login_required")
    flow = LoginFlow.objects.get()
    assert (flow.agent, flow.action) == (agent, "create")
    assert flow.action_args["incident_id"] == "INC-1001"
    assert flow.action_args["requester_email"] == "hanako@example.com"
    # The page's script opens the sign-in in a pop-up; the link is there for a blocked one.
    assert json.loads(response["HX-Trigger-After-Settle"]) == {"teamviewer-login": {"url": flow.authorize_url}}
    assert f'id="teamviewer-login-link" class="login-link" href="{flow.authorize_url}"' in text_of(response)
    assert f'hx-get="/incidents/INC-1001/logins/{flow.flow_id}/" hx-trigger="every 2s,' in text_of(response)
    assert not Session.objects.exists()


def test_teamviewer_limiting_requests_answers_429_with_the_wait(page, tv, tv_token):
    tv.post(TV_SESSIONS, status=429, headers={"Retry-After": "30"}, json={"error": "rate_limit_reached"})
    response = page.post(CREATE)
    assert_error(response, 429, "teamviewer_rate_limited")
    assert notice(response) == "TeamViewer is limiting requests. Try again in 30 seconds."
    assert response["Retry-After"] == "30"
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("answer", "status"),
    [({"status": 500, "body": "<html>oops</html>"}, 502), ({"body": requests.ConnectionError()}, 503)],
)
def test_teamviewer_down_answers_teamviewer_unavailable(page, tv, tv_token, answer, status):
    tv.post(TV_SESSIONS, **answer)
    response = page.post(CREATE)
    assert_error(response, status, "teamviewer_unavailable")
    assert notice(response) == "TeamViewer is not reachable right now. Try again shortly."
    assert not Session.objects.visible().exists()  # nothing half made is shown


def test_teamviewers_own_refusal_is_passed_on(page, tv, tv_token):
    tv.post(TV_SESSIONS, status=400, json={"error": "invalid_request", "error_description": "Group not found."})
    response = page.post(CREATE)
    assert_error(response, 422, "teamviewer_rejected")
    assert notice(response) == "Group not found."


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"requester_email": "not an address"}, "requester_email"),
        ({"requester_name": "x" * 101}, "requester_name"),
        ({"description": "bell\x07"}, "description"),
    ],
)
def test_a_wrong_field_is_named_beside_it_and_nothing_is_made(page, tv, tv_token, form, field):
    response = page.post(CREATE, form)
    assert_error(response, 400, "invalid")
    assert notice(response) == "Some fields are not valid."
    # The form comes back as it was typed, the field marked and its error beside it.
    body = text_of(response)
    assert '<form id="create-form" class="create-form"' in body and 'hx-swap-oob="true"' in body
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', body, re.S)
    assert re.search(rf'<span class="field-error" id="{field}-error">[^<]+</span>', body)
    assert len(tv.calls) == 0


def test_a_wrong_field_the_form_does_not_show_is_named_in_the_message(page, tv, tv_token):
    response = page.post(CREATE, {"language": "fr"})
    assert_error(response, 400, "invalid")
    assert notice(response).startswith("Some fields are not valid. ")
    assert "fr" in notice(response)
    assert len(tv.calls) == 0


def test_the_create_errors_speak_the_pages_language(page, tv, tv_token):
    response = page.post(CREATE, {"requester_email": "x"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert notice(response) == "入力内容に誤りがあります。"
    assert "有効なメールアドレスを入力してください。" in text_of(response)


def test_a_body_over_the_limit_is_refused_without_a_server_error(page, tv, tv_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = page.post(CREATE, {"description": "x" * 5000})
    assert response.status_code in (400, 413)
    assert not Session.objects.exists() and len(tv.calls) == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("--nope\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=nope"),
        ("%%%=%%%&&&", "application/x-www-form-urlencoded"),
        ("{not json", "application/json"),
    ],
)
def test_a_malformed_body_never_makes_a_server_error(page, tv, body, content_type):
    headers = {"HTTP_X_CSRFTOKEN": page.headers["X-CSRFToken"]}
    response = page.client.post(CREATE, body, content_type=content_type, **headers)
    assert response.status_code < 500, text_of(response)


# --- email, join, close -------------------------------------------------------------------------


def test_email_queues_the_invitation_and_answers_202(page, agent, open_session):
    response = page.post(url(open_session, "email"))
    assert response.status_code == 202
    assert notice(response) == f"The invitation email for session {open_session.code} is on its way."
    assert "Resend email" in text_of(response)
    email = InvitationEmail.objects.get()
    assert (email.to, email.requested_by) == ("hanako@example.com", agent)
    assert AuditEvent.objects.get(action="email").via == "page"


def test_email_to_an_address_typed_on_the_page(page, agent):
    session = make_session(agent, requester_email="")
    assert page.post(url(session, "email"), {"to": "boss@example.com"}).status_code == 202
    assert InvitationEmail.objects.get().to == "boss@example.com"


def test_email_to_a_wrong_address_is_refused(page, open_session):
    response = page.post(url(open_session, "email"), {"to": "nope"})
    assert_error(response, 400, "invalid")
    assert "Enter a valid email address." in notice(response)
    assert not InvitationEmail.objects.exists()


def test_a_session_of_another_incident_is_not_found_here(page, agent):
    elsewhere = make_session(agent, incident_id="INC-9999")
    for action in ("email", "join", "close"):
        assert_error(page.post(url(elsewhere, action)), 404, "not_found")


def test_join_gives_the_agent_the_supporter_link_and_audits_it(page, open_session):
    response = page.post(url(open_session, "join"))
    assert response.status_code == 200
    trigger = json.loads(response["HX-Trigger-After-Settle"])
    assert trigger == {"supporter-link": {"url": open_session.supporter_link}}
    # For a blocked window: the link, under its own name.
    assert f'<a href="{html.escape(open_session.supporter_link)}" target="_blank" rel="noopener">' in text_of(response)
    assert f"Join session {open_session.code}" in text_of(response)
    assert AuditEvent.objects.get(action="join").via == "page"


def test_join_is_refused_to_another_agent(other_page, open_session):
    response = other_page.post(url(open_session, "join"))
    assert_error(response, 403, "permission_denied")
    assert "secret=supporter" not in text_of(response) and "HX-Trigger-After-Settle" not in response


def test_close_closes_at_teamviewer_and_here(page, open_session, tv, tv_token):
    tv.put(
        f"{TV_SESSIONS}/{open_session.code}",
        status=204,
        match=[BEARER, matchers.json_params_matcher({"state": "closed"})],
    )
    response = page.post(url(open_session, "close"))
    assert response.status_code == 200
    assert notice(response) == f"Session {open_session.code} closed."
    assert '<span class="badge badge-closed">' in text_of(response)
    assert Session.objects.get().state == Session.State.CLOSED


def test_close_is_refused_to_another_agent(other_page, open_session, tv):
    assert_error(other_page.post(url(open_session, "close")), 403, "permission_denied")
    assert Session.objects.get().state == Session.State.OPEN and len(tv.calls) == 0


def test_close_without_a_usable_token_waits_for_a_sign_in_that_resumes_the_close(page, open_session, tv):
    response = page.post(url(open_session, "close"))
    assert_error(response, 409, "teamviewer_login_required")
    flow = LoginFlow.objects.get()
    assert (flow.action, flow.action_args) == ("close", {"session_id": str(open_session.pk)})


def test_the_buttons_answer_only_post(page, open_session):
    client = page.client
    assert client.get(CREATE).status_code == 405
    assert client.get(url(open_session, "close")).status_code == 405


# --- after the TeamViewer sign-in ------------------------------------------------------------------


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
    assert_error(other_page.get(login_url(create_flow)), 404, "not_found")


ODD_FORMS = [
    {"requester_name": ["one", "two"], "to": ["a@example.com", "b@example.com"]},
    {"requester_name": "\x00", "requester_email": "\x00@example.com", "to": "\x00@example.com"},
    {"description": "x" * 20_000, "to": "x" * 10_000},
    {"language": "\x00", "send_email": "maybe"},
    {"incident_id": "../..", "session_id": "1 OR 1=1", "agent": "someone.else"},
]


@pytest.mark.parametrize("form", ODD_FORMS)
def test_no_button_answers_a_server_error_whatever_the_form_holds(page, open_session, tv, tv_token, form):
    tv.put(f"{TV_SESSIONS}/{open_session.code}", status=204)
    for target in (CREATE, url(open_session, "email"), url(open_session, "join"), url(open_session, "close")):
        response = page.post(target, form)
        assert response.status_code < 500, (target, text_of(response))
