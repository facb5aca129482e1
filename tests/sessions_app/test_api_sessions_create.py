from __future__ import annotations

import json

import pytest
import requests
from responses import matchers

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.asserts import assert_error
from tests.factories import SessionFactory, TeamViewerTokenFactory

from .conftest import API, SESSION_FIELDS, TV_SESSIONS, tv_session_body

URL = f"{API}/sessions/"
BODY = {
    "incident_id": "INC-1001",
    "requester_name": "Hanako Yamada",
    "requester_email": "hanako@example.com",
    "description": "Printer offline",
}


def test_create_makes_a_teamviewer_session_and_answers_201_with_it(api, agent, tv, tv_token):
    tv.post(
        TV_SESSIONS,
        json=tv_session_body(),
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"})],
    )
    response = api.post(URL, {**BODY, "send_email": False}, format="json")
    assert response.status_code == 201
    session = Session.objects.get()
    body = response.json()
    assert body["id"] == str(session.pk)
    assert body["code"] == "s12-345-678"
    assert body["state"] == "open"
    assert body["agent"] == "agent.smith"
    assert body["supporter_link"] == "https://start.teamviewer.test/s12-345-678?secret=supporter"
    assert body["end_customer_link"] == "https://get.teamviewer.test/s12-345-678"
    assert body["email_status"] == "not_sent"
    assert set(body) == SESSION_FIELDS


def test_create_sends_teamviewer_the_customer_the_group_and_our_ids(api, tv, tv_token, settings):
    settings.SESSION_LIFETIME_HOURS = 0.5
    tv.post(TV_SESSIONS, json=tv_session_body())
    api.post(URL, {**BODY, "send_email": False}, format="json")
    sent = json.loads(tv.calls[0].request.body)
    session = Session.objects.get()
    assert sent["groupname"] == settings.TEAMVIEWER_SESSION_GROUP
    assert sent["description"] == "Printer offline"
    assert sent["end_customer"] == {"name": "Hanako Yamada", "email": "hanako@example.com"}
    assert json.loads(sent["custom_api"]) == {"csm_session_id": str(session.pk), "incident_id": "INC-1001"}
    assert sent["valid_until"].endswith("Z")


def test_create_with_a_requester_email_queues_the_invitation_in_the_outbox(
    api, tv, tv_token, django_capture_on_commit_callbacks, settings
):
    # Without NOTIFY (its statement hands the rows over itself: tests/sessions_app/test_api_hand_over.py).
    settings.OUTBOX_NOTIFY = False
    tv.post(TV_SESSIONS, json=tv_session_body())
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(URL, {**BODY, "language": "en"}, format="json")
    assert response.status_code == 201
    assert response.json()["email_status"] == "queued"
    email = InvitationEmail.objects.get()
    assert (email.to, email.language, email.status) == ("hanako@example.com", "en", "queued")
    # Handed to a worker once the transaction commits, in one message: the invitation and the
    # journal's note.
    assert len(callbacks) == 1


def test_create_without_send_email_or_without_address_queues_nothing(api, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body("s11-111-111"))
    tv.post(TV_SESSIONS, json=tv_session_body("s22-222-222"))
    api.post(URL, {**BODY, "send_email": False}, format="json")
    api.post(URL, {"incident_id": "INC-2"}, format="json")
    assert Session.objects.count() == 2
    assert not InvitationEmail.objects.exists()


def test_a_second_create_for_the_same_incident_answers_200_with_the_same_session(api, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    first = api.post(URL, {**BODY, "send_email": False}, format="json")
    second = api.post(URL, {**BODY, "send_email": False}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert len(tv.calls) == 1


def test_another_agent_on_the_same_incident_gets_a_session_of_their_own(
    api, other_api, other_agent, tv, tv_token
):
    TeamViewerTokenFactory(agent=other_agent)
    tv.post(TV_SESSIONS, json=tv_session_body("s11-111-111"))
    tv.post(TV_SESSIONS, json=tv_session_body("s22-222-222"))
    mine = api.post(URL, {**BODY, "send_email": False}, format="json")
    theirs = other_api.post(URL, {**BODY, "send_email": False}, format="json")
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["code"] != theirs.json()["code"]


def test_a_closed_session_does_not_stop_a_new_one(api, agent, tv, tv_token):
    SessionFactory(agent=agent, state=Session.State.CLOSED, code="s00-000-001")
    tv.post(TV_SESSIONS, json=tv_session_body())
    response = api.post(URL, {**BODY, "send_email": False}, format="json")
    assert response.status_code == 201
    assert response.json()["code"] == "s12-345-678"


def test_create_is_audited(api, agent, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    api.post(URL, {**BODY, "send_email": False}, format="json")
    api.post(URL, {**BODY, "send_email": False}, format="json")
    events = list(AuditEvent.objects.filter(action="create").order_by("at", "pk"))
    assert [(e.actor, e.incident_id, e.outcome, e.via, e.session_code) for e in events] == [
        (agent, "INC-1001", "ok", "api", "s12-345-678"),
        (agent, "INC-1001", "existing", "api", "s12-345-678"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "incident_id"),
        ({"incident_id": ""}, "incident_id"),
        ({"incident_id": "   "}, "incident_id"),
        ({"incident_id": "x" * 65}, "incident_id"),
        ({"incident_id": "INC\n1"}, "incident_id"),
        ({"incident_id": ["INC-1"]}, "incident_id"),
        ({"incident_id": {"id": 1}}, "incident_id"),
        ({"incident_id": 1001}, "incident_id"),
        ({"incident_id": None}, "incident_id"),
        ({"incident_id": "INC-1", "requester_name": 7}, "requester_name"),
        ({"incident_id": "INC-1", "description": True}, "description"),
        ({"incident_id": "INC-1", "requester_name": "n" * 101}, "requester_name"),
        ({"incident_id": "INC-1", "requester_name": "a\nb"}, "requester_name"),
        ({"incident_id": "INC-1", "requester_email": "not-an-address"}, "requester_email"),
        ({"incident_id": "INC-1", "requester_email": "a@b"}, "requester_email"),
        ({"incident_id": "INC-1", "requester_email": 12}, "requester_email"),
        ({"incident_id": "INC-1", "requester_email": ("x" * 250) + "@example.com"}, "requester_email"),
        ({"incident_id": "INC-1", "description": "d" * 1001}, "description"),
        ({"incident_id": "INC-1", "description": "nul\x00byte"}, "description"),
        ({"incident_id": "INC-1", "language": "de"}, "language"),
        ({"incident_id": "INC-1", "send_email": "maybe"}, "send_email"),
        ({"incident_id": "INC-1", "send_email": {"yes": True}}, "send_email"),
        ({"incident_id": "INC-1", "send_email": "true"}, "send_email"),
        ({"incident_id": "INC-1", "send_email": 1}, "send_email"),
        ({"incident_id": "INC-1", "send_email": None}, "send_email"),
    ],
)
def test_invalid_create_input_is_400_invalid_naming_the_field(api, tv, body, field):
    response = api.post(URL, body, format="json")
    assert_error(response, status=400, code="invalid")
    assert field in response.json()["errors"]
    assert not Session.objects.exists()
    assert not tv.calls


def test_create_ignores_unknown_fields_and_takes_null_for_empty(api, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    response = api.post(
        URL,
        {"incident_id": "INC-1", "requester_name": None, "requester_email": None, "colour": "blue"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["requester_name"] == ""


def test_create_accepts_a_japanese_name_with_a_full_width_space(api, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    response = api.post(URL, {"incident_id": "INC-1", "requester_name": "山田\u3000花子"}, format="json")
    assert response.status_code == 201
    assert response.json()["requester_name"] == "山田\u3000花子"


@pytest.mark.parametrize(
    ("status", "payload", "headers", "code", "our_status"),
    [
        (
            400,
            {"error": "invalid_request", "error_description": "groupname is too long"},
            {},
            "teamviewer_rejected",
            422,
        ),
        (
            400,
            {"error": "invalid_request", "error_description": "license limitations reached"},
            {},
            "teamviewer_license_limit",
            403,
        ),
        (
            403,
            {"error": "rate_limit_reached", "error_description": "Slow down"},
            {},
            "teamviewer_rate_limited",
            429,
        ),
        (403, {"error": "blocked", "error_description": "IP blocked"}, {}, "teamviewer_rejected", 422),
        (404, {"error": "not_found", "error_description": "No such route"}, {}, "teamviewer_rejected", 422),
        (429, {"error": "rate_limit_reached"}, {"Retry-After": "30"}, "teamviewer_rate_limited", 429),
        (500, {"error": "internal_error"}, {}, "teamviewer_unavailable", 502),
        (502, None, {}, "teamviewer_unavailable", 502),
    ],
)
def test_teamviewer_failures_on_create_give_a_clear_error_and_leave_no_session(
    api, tv, tv_token, status, payload, headers, code, our_status
):
    if payload is None:
        tv.post(TV_SESSIONS, status=status, body="<html>Bad gateway</html>", headers=headers)
    else:
        tv.post(TV_SESSIONS, status=status, json=payload, headers=headers)
    response = api.post(URL, BODY, format="json")
    assert_error(response, status=our_status, code=code)
    assert not Session.objects.visible().exists()  # an uncertain create keeps a hidden row
    assert not InvitationEmail.objects.exists()
    event = AuditEvent.objects.get(action="create")
    assert (event.outcome, event.incident_id) == (code, "INC-1001")


def test_teamviewer_rejection_passes_its_own_message_on(api, tv, tv_token):
    tv.post(
        TV_SESSIONS,
        status=400,
        json={"error": "invalid_request", "error_description": "groupname is too long"},
    )
    response = api.post(URL, BODY, format="json")
    assert response.json()["detail"] == "groupname is too long"


def test_teamviewer_rate_limit_becomes_429_with_retry_after(api, tv, tv_token):
    tv.post(TV_SESSIONS, status=429, json={"error": "rate_limit_reached"}, headers={"Retry-After": "30"})
    response = api.post(URL, BODY, format="json")
    assert response.status_code == 429
    assert response.json()["retry_after"] == 30
    assert response["Retry-After"] == "30"


def test_teamviewer_403_rate_limit_without_retry_after_still_says_when_to_retry(api, tv, tv_token):
    tv.post(TV_SESSIONS, status=403, json={"error": "rate_limit_reached"})
    response = api.post(URL, BODY, format="json")
    assert response.status_code == 429
    assert response.json()["retry_after"] >= 1
    assert response["Retry-After"] == str(response.json()["retry_after"])


@pytest.mark.parametrize(
    ("failure", "our_status"),
    [(requests.exceptions.ReadTimeout("slow"), 504), (requests.exceptions.ConnectionError("down"), 503)],
)
def test_teamviewer_timeout_or_outage_on_create_leaves_no_session(api, tv, tv_token, failure, our_status):
    tv.post(TV_SESSIONS, body=failure)
    response = api.post(URL, BODY, format="json")
    assert_error(response, status=our_status, code="teamviewer_unavailable")
    assert not Session.objects.visible().exists()


def test_a_failed_create_can_be_retried(api, tv, tv_token):
    tv.post(TV_SESSIONS, status=500, json={"error": "internal_error"})
    assert api.post(URL, BODY, format="json").status_code == 502
    tv.replace("POST", TV_SESSIONS, json=tv_session_body())
    # A 500 may come after TeamViewer made the session: the retry looks for it first.
    listing = tv.get(TV_SESSIONS, json={"sessions": []})
    assert api.post(URL, BODY, format="json").status_code == 201
    assert Session.objects.get().state == "open"
    assert listing.call_count == 1


def test_create_without_the_trailing_slash_works_too(api, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    response = api.post(URL.rstrip("/"), BODY, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "odd", [{"code": "s" + "1" * 40}, {"end_customer_link": "https://get.teamviewer.test/" + "x" * 600}]
)
def test_a_teamviewer_answer_too_long_to_store_is_502_and_leaves_no_session(api, tv, tv_token, odd):
    tv.post(TV_SESSIONS, json=tv_session_body(**odd))
    response = api.post(URL, BODY, format="json")
    assert_error(response, status=502, code="teamviewer_unavailable")
    assert not Session.objects.visible().exists()


@pytest.mark.postgres
def test_a_create_takes_three_statements_its_token_read_with_the_key_and_the_agent(
    requires_postgres, transactional_db, api, tv, tv_token, django_assert_num_queries
):
    tv.post(TV_SESSIONS, json=tv_session_body())
    api.get(f"{API}/me/teamviewer/")  # the key's last-used time is written once a minute
    # In autocommit, as in production: the key with its agent and the agent's token; the
    # reservation; the record.
    with django_assert_num_queries(3):
        assert api.post(URL, {**BODY, "send_email": False}, format="json").status_code == 201
    assert tv.calls[-1].request.headers["Authorization"] == "Bearer tv-access-agent.smith"
