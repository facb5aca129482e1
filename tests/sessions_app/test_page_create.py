"""The incident page's create button: a form htmx posts (CSRF in a header), answered with the message
and the list as HTML over the same service as the REST API, or with the error beside the field."""

from __future__ import annotations

import json
import re

import pytest
import requests
from django.test import Client

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.asserts import assert_page_error
from tokens_app.models import LoginFlow

from .conftest import BEARER, TV_SESSIONS, tv_session_body
from .page_client import CREATE, notice, text_of


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
    assert_page_error(response, status=401, code="not_authenticated")
    assert notice(response) == "You are signed out. Reload the page to sign in again."


def test_create_without_a_teamviewer_token_waits_for_a_sign_in_that_resumes_it(page, agent, tv):
    response = page.post(CREATE, {"requester_email": "hanako@example.com"})
    assert_page_error(response, status=409, code="teamviewer_login_required")
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
    assert_page_error(response, status=429, code="teamviewer_rate_limited")
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
    assert_page_error(response, status=status, code="teamviewer_unavailable")
    assert notice(response) == "TeamViewer is not reachable right now. Try again shortly."
    assert not Session.objects.visible().exists()  # nothing half made is shown


def test_teamviewers_own_refusal_is_passed_on(page, tv, tv_token):
    tv.post(TV_SESSIONS, status=400, json={"error": "invalid_request", "error_description": "Group not found."})
    response = page.post(CREATE)
    assert_page_error(response, status=422, code="teamviewer_rejected")
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
    assert_page_error(response, status=400, code="invalid")
    assert notice(response) == "Some fields are not valid."
    # The form comes back as it was typed, the field marked and its error beside it.
    body = text_of(response)
    assert '<form id="create-form" class="create-form"' in body and 'hx-swap-oob="true"' in body
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', body, re.S)
    assert re.search(rf'<span class="field-error" id="{field}-error">[^<]+</span>', body)
    assert len(tv.calls) == 0


def test_a_wrong_field_the_form_does_not_show_is_named_in_the_message(page, tv, tv_token):
    response = page.post(CREATE, {"language": "fr"})
    assert_page_error(response, status=400, code="invalid")
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
