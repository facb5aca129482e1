"""The incident page's buttons on a session (email, join, close): forms htmx posts, answered with HTML
fragments over the same services as the REST API, whatever the form holds."""

from __future__ import annotations

import html
import json

import pytest
from responses import matchers

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.asserts import assert_page_error
from tests.factories import SessionFactory
from tokens_app.models import LoginFlow

from .conftest import BEARER, TV_SESSIONS
from .page_client import CREATE, LIST, notice, text_of


def url(session: Session, action: str) -> str:
    return f"{LIST}{session.pk}/{action}/"


def test_email_queues_the_invitation_and_answers_202(page, agent, open_session):
    response = page.post(url(open_session, "email"))
    assert response.status_code == 202
    assert notice(response) == f"The invitation email for session {open_session.code} is on its way."
    assert "Resend email" in text_of(response)
    email = InvitationEmail.objects.get()
    assert (email.to, email.requested_by) == ("hanako@example.com", agent)
    assert AuditEvent.objects.get(action="email").via == "page"


def test_email_to_an_address_typed_on_the_page(page, agent):
    session = SessionFactory(agent=agent, requester_email="")
    assert page.post(url(session, "email"), {"to": "boss@example.com"}).status_code == 202
    assert InvitationEmail.objects.get().to == "boss@example.com"


def test_email_to_a_wrong_address_is_refused(page, open_session):
    response = page.post(url(open_session, "email"), {"to": "nope"})
    assert_page_error(response, status=400, code="invalid")
    assert "Enter a valid email address." in notice(response)
    assert not InvitationEmail.objects.exists()


def test_a_session_of_another_incident_is_not_found_here(page, agent):
    elsewhere = SessionFactory(agent=agent, incident_id="INC-9999")
    for action in ("email", "join", "close"):
        assert_page_error(page.post(url(elsewhere, action)), status=404, code="not_found")


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
    assert_page_error(response, status=403, code="permission_denied")
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
    assert_page_error(other_page.post(url(open_session, "close")), status=403, code="permission_denied")
    assert Session.objects.get().state == Session.State.OPEN and len(tv.calls) == 0


def test_close_without_a_usable_token_waits_for_a_sign_in_that_resumes_the_close(page, open_session, tv):
    response = page.post(url(open_session, "close"))
    assert_page_error(response, status=409, code="teamviewer_login_required")
    flow = LoginFlow.objects.get()
    assert (flow.action, flow.action_args) == ("close", {"session_id": str(open_session.pk)})


def test_the_buttons_answer_only_post(page, open_session):
    client = page.client
    assert client.get(CREATE).status_code == 405
    assert client.get(url(open_session, "close")).status_code == 405


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
