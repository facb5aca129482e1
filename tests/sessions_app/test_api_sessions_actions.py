"""Email, join and close on one session."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from responses import matchers

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.asserts import assert_error
from tests.factories import SessionFactory

from .conftest import API, TV_SESSIONS


def _url(session: Session, action: str) -> str:
    return f"{API}/sessions/{session.pk}/{action}/"


# --- email ------------------------------------------------------------------------------------


def test_email_queues_the_invitation_to_the_requester_and_answers_202(
    api, agent, open_session, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(_url(open_session, "email"), {}, format="json")
    assert response.status_code == 202
    assert response.json()["id"] == str(open_session.pk)
    assert response.json()["email_status"] == "queued"
    email = InvitationEmail.objects.get()
    assert (email.to, email.requested_by, email.status) == ("hanako@example.com", agent, "queued")
    assert len(callbacks) == 1
    assert AuditEvent.objects.get(action="email").outcome == "ok"


def test_email_to_another_address_in_another_language(api, open_session):
    response = api.post(
        _url(open_session, "email"), {"to": "boss@example.com", "language": "ja"}, format="json"
    )
    assert response.status_code == 202
    email = InvitationEmail.objects.get()
    assert (email.to, email.language) == ("boss@example.com", "ja")


def test_email_can_be_resent(api, open_session):
    api.post(_url(open_session, "email"), format="json")
    api.post(_url(open_session, "email"), format="json")
    assert InvitationEmail.objects.count() == 2


def test_another_agent_may_resend_the_invitation(other_api, open_session):
    assert other_api.post(_url(open_session, "email"), format="json").status_code == 202


@pytest.mark.parametrize(
    "body",
    [{"to": "not-an-address"}, {"to": "a@b"}, {"to": 42}, {"to": ["x@example.com"]}, {"language": "fr"}],
)
def test_email_with_bad_input_is_400_and_queues_nothing(api, open_session, body):
    response = api.post(_url(open_session, "email"), body, format="json")
    assert_error(response, status=400, code="invalid")
    assert set(response.json()["errors"]) & set(body)
    assert not InvitationEmail.objects.exists()


def test_email_without_any_address_is_400_naming_to(api, agent):
    session = SessionFactory(agent=agent, requester_email="")
    response = api.post(_url(session, "email"), {}, format="json")
    assert response.status_code == 400
    assert "to" in response.json()["errors"]
    assert AuditEvent.objects.get(action="email").outcome == "invalid"


@pytest.mark.parametrize(
    "fields",
    [{"state": "closed"}, {"state": "expired"}, {"valid_until": timezone.now() - timedelta(minutes=1)}],
)
def test_email_for_a_closed_or_expired_session_is_409(api, agent, fields):
    session = SessionFactory(agent=agent, **fields)
    response = api.post(_url(session, "email"), {}, format="json")
    assert_error(response, status=409, code="session_closed")
    assert not InvitationEmail.objects.exists()


def test_email_for_an_unknown_session_is_404(api):
    response = api.post(f"{API}/sessions/00000000-0000-0000-0000-000000000000/email/", {}, format="json")
    assert response.status_code == 404


# --- join -------------------------------------------------------------------------------------


def test_join_gives_the_agent_the_supporter_link(api, open_session):
    response = api.post(_url(open_session, "join"), format="json")
    assert response.status_code == 200
    assert response.json() == {"supporter_link": open_session.supporter_link}
    assert AuditEvent.objects.get(action="join").outcome == "ok"


def test_staff_may_join_any_session(staff_api, open_session):
    assert staff_api.post(_url(open_session, "join"), format="json").json()["supporter_link"]


def test_another_agent_may_not_join_and_is_audited(other_api, other_agent, open_session):
    response = other_api.post(_url(open_session, "join"), format="json")
    assert_error(response, status=403, code="permission_denied")
    assert open_session.supporter_link not in response.content.decode()
    event = AuditEvent.objects.get(action="join")
    assert (event.actor, event.outcome) == (other_agent, "permission_denied")


def test_join_of_a_closed_session_is_409(api, agent):
    session = SessionFactory(agent=agent, state="closed")
    assert_error(api.post(_url(session, "join"), format="json"), status=409, code="session_closed")


@pytest.mark.parametrize("session_id", ["00000000-0000-0000-0000-000000000000", "bad-id"])
def test_join_of_an_unknown_session_is_404(api, session_id):
    assert api.post(f"{API}/sessions/{session_id}/join/", format="json").status_code == 404


# --- close ------------------------------------------------------------------------------------


def test_close_closes_at_teamviewer_then_here(api, open_session, tv, tv_token):
    tv.put(
        f"{TV_SESSIONS}/{open_session.code}",
        status=204,
        match=[
            matchers.json_params_matcher({"state": "closed"}),
            matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"}),
        ],
    )
    response = api.post(_url(open_session, "close"), format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert response.json()["closed_at"]
    open_session.refresh_from_db()
    assert open_session.state == "closed"
    assert len(tv.calls) == 1
    assert AuditEvent.objects.get(action="close").outcome == "ok"


def test_closing_a_closed_session_is_200_without_calling_teamviewer(api, agent, tv):
    session = SessionFactory(agent=agent, state="closed", closed_at=timezone.now())
    response = api.post(_url(session, "close"), format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert not tv.calls
    assert AuditEvent.objects.get(action="close").outcome == "already_closed"


def test_close_twice_is_idempotent(api, open_session, tv, tv_token):
    tv.put(f"{TV_SESSIONS}/{open_session.code}", status=204)
    first = api.post(_url(open_session, "close"), format="json")
    second = api.post(_url(open_session, "close"), format="json")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["closed_at"] == second.json()["closed_at"]
    assert len(tv.calls) == 1


@pytest.mark.parametrize("tv_status", [404, 400])
def test_closing_a_session_teamviewer_no_longer_knows_closes_it_here(
    api, open_session, tv, tv_token, tv_status
):
    tv.put(
        f"{TV_SESSIONS}/{open_session.code}",
        status=tv_status,
        json={"error": "not_found", "error_description": "Unknown code"},
    )
    if tv_status == 400:  # the client asks TeamViewer whether the code exists
        tv.get(f"{TV_SESSIONS}/{open_session.code}", status=404, json={"error": "not_found"})
    response = api.post(_url(open_session, "close"), format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "closed"


def test_staff_close_uses_the_session_agents_token(staff_api, open_session, tv, tv_token):
    tv.put(
        f"{TV_SESSIONS}/{open_session.code}",
        status=204,
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"})],
    )
    assert staff_api.post(_url(open_session, "close"), format="json").status_code == 200


def test_another_agent_may_not_close(other_api, open_session, tv):
    response = other_api.post(_url(open_session, "close"), format="json")
    assert response.status_code == 403
    assert not tv.calls
    open_session.refresh_from_db()
    assert open_session.state == "open"


@pytest.mark.parametrize(
    ("tv_status", "payload", "headers", "code", "our_status"),
    [
        (
            400,
            {"error": "invalid_request", "error_description": "state cannot change"},
            {},
            "teamviewer_rejected",
            422,
        ),
        (403, {"error": "rate_limit_reached"}, {}, "teamviewer_rate_limited", 429),
        (429, {"error": "rate_limit_reached"}, {"Retry-After": "12"}, "teamviewer_rate_limited", 429),
        (500, {"error": "internal_error"}, {}, "teamviewer_unavailable", 502),
        (503, None, {}, "teamviewer_unavailable", 502),
    ],
)
def test_teamviewer_failures_on_close_keep_the_session_live(
    api, open_session, tv, tv_token, tv_status, payload, headers, code, our_status
):
    put_url = f"{TV_SESSIONS}/{open_session.code}"
    if payload is None:
        tv.put(put_url, status=tv_status, body="Service Unavailable", headers=headers)
    else:
        tv.put(put_url, status=tv_status, json=payload, headers=headers)
    if tv_status == 400:  # the client checks the code still exists: it does
        tv.get(put_url, json={"code": open_session.code, "state": "open"})
    response = api.post(_url(open_session, "close"), format="json")
    assert_error(response, status=our_status, code=code)
    if tv_status == 429:
        assert response["Retry-After"] == "12"
        assert response.json()["retry_after"] == 12
    open_session.refresh_from_db()
    assert (open_session.state, open_session.closed_at) == ("open", None)
    assert AuditEvent.objects.get(action="close").outcome == code


def test_a_teamviewer_401_on_close_after_a_refresh_is_409_with_a_login_that_closes(
    api, open_session, tv, tv_token
):
    tv.put(f"{TV_SESSIONS}/{open_session.code}", status=401, json={"error": "invalid_token"})
    tv.post(
        f"{TV_SESSIONS.rsplit('/', 1)[0]}/oauth2/token",
        json={"access_token": "a2", "refresh_token": "r2", "expires_in": 3600},
    )
    response = api.post(_url(open_session, "close"), format="json")
    assert response.status_code == 409
    assert response.json()["authorize_url"]
    open_session.refresh_from_db()
    assert open_session.state == "open"


@pytest.mark.parametrize(
    ("failure", "our_status"),
    [(requests.exceptions.ReadTimeout("slow"), 504), (requests.exceptions.ConnectionError("down"), 503)],
)
def test_teamviewer_timeout_on_close_keeps_the_session_live(
    api, open_session, tv, tv_token, failure, our_status
):
    tv.put(f"{TV_SESSIONS}/{open_session.code}", body=failure)
    response = api.post(_url(open_session, "close"), format="json")
    assert_error(response, status=our_status, code="teamviewer_unavailable")
    open_session.refresh_from_db()
    assert open_session.state == "open"


@pytest.mark.parametrize("session_id", ["00000000-0000-0000-0000-000000000000", "bad-id"])
def test_close_of_an_unknown_session_is_404(api, session_id, tv):
    assert api.post(f"{API}/sessions/{session_id}/close/", format="json").status_code == 404
    assert not tv.calls
