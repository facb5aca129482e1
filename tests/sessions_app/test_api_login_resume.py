"""Login required → authorize_url → the login completes → the create or close happens by itself."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

from django.utils import timezone
from responses import matchers

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import InvitationEmail, Session
from tests.asserts import assert_error
from tests.factories import TeamViewerTokenFactory
from tokens_app.models import LoginFlow, TeamViewerToken
from tokens_app.services import login_flow_begin, login_flow_complete

from .conftest import API, TV_SESSIONS, TV_TOKEN_URL, tv_session_body

URL = f"{API}/sessions/"
BODY = {
    "incident_id": "INC-7",
    "requester_name": "Taro",
    "requester_email": "taro@example.com",
    "language": "en",
}
NEW_TOKENS = {
    "access_token": "tv-access-new",
    "refresh_token": "tv-refresh-new",
    "expires_in": 86400,
    "token_type": "bearer",
}


def _login(tv, flow_id: str) -> LoginFlow:
    """The agent signs in at TeamViewer: the service calls the callback view makes."""
    tv.post(TV_TOKEN_URL, json=NEW_TOKENS)
    flow, _ = login_flow_begin(flow_id=flow_id)
    return login_flow_complete(state=flow.state, code="the-code", browser_flow_id=flow.flow_id)


def test_create_without_a_token_is_409_with_an_authorize_url_and_no_session(api, tv):
    response = api.post(URL, BODY, format="json")
    body = assert_error(response, status=409, code="teamviewer_login_required")
    flow = LoginFlow.objects.get(flow_id=body["login_flow"])
    assert body["authorize_url"] == flow.authorize_url
    assert flow.action == "create"
    assert flow.action_args["incident_id"] == "INC-7"
    assert not Session.objects.exists()
    assert not tv.calls
    assert AuditEvent.objects.get(action="create").outcome == "teamviewer_login_required"


def test_completing_the_login_creates_the_session_by_itself(
    api, agent, tv, django_capture_on_commit_callbacks
):
    flow_id = api.post(URL, BODY, format="json").json()["login_flow"]
    tv.post(
        TV_SESSIONS,
        json=tv_session_body("s55-555-555"),
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-new"})],
    )
    with django_capture_on_commit_callbacks():
        flow = _login(tv, flow_id)
    session = Session.objects.get()
    assert (session.agent, session.incident_id, session.code, session.state) == (
        agent,
        "INC-7",
        "s55-555-555",
        "open",
    )
    assert flow.status == "completed"
    assert flow.result["ok"] is True
    assert flow.result["session"]["id"] == str(session.pk)
    assert flow.result["session"]["supporter_link"] == session.supporter_link
    email = InvitationEmail.objects.get()
    assert (email.to, email.language) == ("taro@example.com", "en")
    assert [e.action for e in AuditEvent.objects.exclude(action="api_key_created").order_by("at", "pk")] == ["create", "login", "create"]
    assert AuditEvent.objects.filter(action="create", outcome="ok", via="login").exists()
    # The CSM retry after the login finds the session the login made.
    again = api.post(URL, BODY, format="json")
    assert (again.status_code, again.json()["id"]) == (200, str(session.pk))


def test_the_login_through_the_pages_creates_the_session(api, client, tv):
    authorize_url = api.post(URL, BODY, format="json").json()["authorize_url"]
    start = client.get(urlparse(authorize_url).path)
    assert start.status_code == 302
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    tv.post(TV_TOKEN_URL, json=NEW_TOKENS)
    tv.post(TV_SESSIONS, json=tv_session_body("s66-666-666"))
    done = client.get("/oauth/teamviewer/callback/", {"state": state, "code": "the-code"})
    assert done.status_code == 200
    assert Session.objects.get().code == "s66-666-666"


def test_an_expired_unrefreshable_token_is_login_required_too(api, agent, tv):
    TeamViewerTokenFactory(agent=agent, refresh_token="", expires_at=timezone.now() - timedelta(hours=1))
    response = api.post(URL, BODY, format="json")
    assert response.status_code == 409
    assert response.json()["authorize_url"]
    assert not TeamViewerToken.objects.exists()


def test_a_token_teamviewer_refuses_is_refreshed_once_and_the_create_goes_through(api, tv, tv_token):
    tv.post(
        TV_SESSIONS,
        status=401,
        json={"error": "invalid_token"},
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-agent.smith"})],
    )
    tv.post(TV_TOKEN_URL, json=NEW_TOKENS)
    tv.post(
        TV_SESSIONS,
        json=tv_session_body(),
        match=[matchers.header_matcher({"Authorization": "Bearer tv-access-new"})],
    )
    response = api.post(URL, BODY, format="json")
    assert response.status_code == 201
    assert Session.objects.count() == 1


def test_teamviewer_401_even_after_a_refresh_is_409_login_required_and_no_session(api, tv, tv_token):
    tv.post(TV_SESSIONS, status=401, json={"error": "invalid_token"})
    tv.post(TV_TOKEN_URL, json=NEW_TOKENS)
    response = api.post(URL, BODY, format="json")
    assert_error(response, status=409, code="teamviewer_login_required")
    assert not Session.objects.exists()
    assert not TeamViewerToken.objects.exists()
    assert AuditEvent.objects.filter(action="disconnect", outcome="token_forgotten").exists()


def test_close_without_a_token_resumes_after_login_in_one_click(api, agent, open_session, tv):
    response = api.post(f"{API}/sessions/{open_session.pk}/close/", format="json")
    assert response.status_code == 409
    assert response.json()["authorize_url"]
    open_session.refresh_from_db()
    assert open_session.state == "open"  # nothing lost while the agent signs in
    tv.put(
        f"{TV_SESSIONS}/{open_session.code}",
        status=204,
        match=[
            matchers.json_params_matcher({"state": "closed"}),
            matchers.header_matcher({"Authorization": "Bearer tv-access-new"}),
        ],
    )
    flow = _login(tv, response.json()["login_flow"])
    open_session.refresh_from_db()
    assert open_session.state == "closed"
    assert open_session.closed_at is not None
    assert flow.result["session"]["state"] == "closed"
    # The token, who it signs in as (unanswered here: the sign-in stands), then the one close.
    assert [c.request.method for c in tv.calls] == ["POST", "GET", "PUT"]
    assert AuditEvent.objects.filter(action="close", outcome="ok", via="login").count() == 1


def test_a_staff_close_without_the_agents_token_is_409_without_a_link_for_staff(staff_api, open_session, tv):
    response = staff_api.post(f"{API}/sessions/{open_session.pk}/close/", format="json")
    assert_error(response, status=409, code="teamviewer_login_required")
    assert "agent.smith" in response.json()["detail"]
    assert "authorize_url" not in response.json()
    assert not LoginFlow.objects.exists()
