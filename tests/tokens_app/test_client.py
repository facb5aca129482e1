"""The TeamViewer client: what it sends, and how each kind of answer maps to a typed error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import time_machine
from responses import matchers

from csm_teamviewer.errors import (
    TeamViewerLicenseLimit,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRateLimited,
    TeamViewerRejected,
    TeamViewerUnavailable,
)
from tests.conftest import TV_API, TV_CLIENT_ID, TV_CLIENT_SECRET
from tokens_app.teamviewer import RemoteSession, teamviewer_app

from .conftest import AUTH_CODE, NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN, TOKEN_URL, form, sent_json, token_body

ACCESS_TOKEN = "api-access-token-c0ffee"
BEARER = f"Bearer {ACCESS_TOKEN}"
CODE = "s12-345-678"
SESSIONS_URL = f"{TV_API}/sessions"
SESSION_URL = f"{SESSIONS_URL}/{CODE}"
PING_URL = f"{TV_API}/ping"
REPORTS_URL = f"{TV_API}/reports/connections"
REVOKE_URL = f"{TV_API}/oauth2/revoke"
SESSION_BODY = {
    "code": CODE,
    "state": "open",
    "groupid": "g12345",
    "description": "INC-1001 printer",
    "end_customer_link": f"https://get.teamviewer.com/{CODE}",
    "supporter_link": f"https://get.teamviewer.com/{CODE}-secret",
    "webclient_supporter_link": f"https://login.teamviewer.com/{CODE}-secret",
    "online": False,
    "valid_until": "2026-12-01T09:30:00Z",
    "created_at": "2026-11-30T09:30:00Z",
}


@pytest.fixture
def client(tv):
    return teamviewer_app()


def create(client, **kwargs) -> RemoteSession:
    return client.api(ACCESS_TOKEN).create_session(**kwargs)


# --- rate limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [(403, {"error": "rate_limit_reached", "error_description": "Rate limit reached."}), (429, {})],
    ids=["403-rate_limit_reached", "429"],
)
def test_rate_limits_become_rate_limited_with_retry_after(client, tv, status, body):
    tv.post(SESSIONS_URL, status=status, json=body, headers={"Retry-After": "7"})

    with pytest.raises(TeamViewerRateLimited) as caught:
        create(client)

    assert caught.value.retry_after == 7
    assert caught.value.headers() == {"Retry-After": "7"}
    assert caught.value.body()["retry_after"] == 7
    assert caught.value.status_code == 429


def test_a_rate_limit_without_retry_after_waits_the_default(client, tv):
    tv.get(SESSION_URL, status=403, json={"error": "rate_limit_reached"})

    with pytest.raises(TeamViewerRateLimited) as caught:
        client.api(ACCESS_TOKEN).get_session(CODE)

    assert caught.value.retry_after == TeamViewerRateLimited.default_retry_after


def test_a_429_with_an_http_date_retry_after_counts_the_seconds_to_it(client, tv):
    now = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)
    tv.post(
        SESSIONS_URL,
        status=429,
        headers={"Retry-After": format_datetime(now + timedelta(seconds=30), usegmt=True)},
    )

    with time_machine.travel(now, tick=False), pytest.raises(TeamViewerRateLimited) as caught:
        create(client)

    assert caught.value.retry_after == 30


def test_a_retry_after_date_in_the_past_still_waits_a_second(client, tv):
    now = datetime(2026, 11, 30, 9, 0, 0, tzinfo=UTC)
    tv.post(
        SESSIONS_URL,
        status=429,
        headers={"Retry-After": format_datetime(now - timedelta(minutes=5), usegmt=True)},
    )

    with time_machine.travel(now, tick=False), pytest.raises(TeamViewerRateLimited) as caught:
        create(client)

    assert caught.value.retry_after == 1


# --- TeamViewer down, slow, or not itself ---------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_become_unavailable(client, tv, status):
    tv.post(SESSIONS_URL, status=status, json={"error": "internal_error"})

    with pytest.raises(TeamViewerUnavailable) as caught:
        create(client)

    assert caught.value.status_code in (502, 503, 504)
    assert caught.value.code == "teamviewer_unavailable"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.api(ACCESS_TOKEN).get_session(CODE),
        lambda c: create(c),
    ],
    ids=["GET", "POST"],
)
def test_a_timeout_becomes_unavailable_with_status_504(client, tv, call):
    tv.get(SESSION_URL, body=requests.exceptions.ReadTimeout())
    tv.post(SESSIONS_URL, body=requests.exceptions.ReadTimeout())

    with pytest.raises(TeamViewerUnavailable) as caught:
        call(client)

    assert caught.value.status_code == 504


def test_a_connection_failure_becomes_unavailable(client, tv):
    tv.post(SESSIONS_URL, body=requests.exceptions.ConnectionError("refused"))

    with pytest.raises(TeamViewerUnavailable) as caught:
        create(client)

    assert caught.value.status_code == 503


def test_an_html_page_with_200_becomes_unavailable(client, tv):
    tv.get(SESSION_URL, body="<html><body>Maintenance</body></html>", content_type="text/html")

    with pytest.raises(TeamViewerUnavailable):
        client.api(ACCESS_TOKEN).get_session(CODE)


def test_an_html_error_page_becomes_unavailable(client, tv):
    tv.post(SESSIONS_URL, status=400, body="<html>Bad gateway config</html>", content_type="text/html")

    with pytest.raises(TeamViewerUnavailable):
        create(client)


def test_a_json_list_with_200_becomes_unavailable(client, tv):
    tv.get(PING_URL, json=["token_valid"])

    with pytest.raises(TeamViewerUnavailable):
        client.api(ACCESS_TOKEN).ping()


# --- TeamViewer refuses ---------------------------------------------------------------------


def test_a_400_about_license_limitations_becomes_license_limit_with_teamviewers_text(client, tv):
    text = "The session could not be created due to license limitations (maximum concurrent sessions)."
    tv.post(
        SESSIONS_URL,
        status=400,
        json={"error": "invalid_request", "error_description": text, "error_code": 1},
    )

    with pytest.raises(TeamViewerLicenseLimit) as caught:
        create(client)

    assert caught.value.detail == text
    assert caught.value.code == "teamviewer_license_limit"


def test_another_400_becomes_rejected_with_teamviewers_description(client, tv):
    tv.post(
        SESSIONS_URL,
        status=400,
        json={"error": "invalid_request", "error_description": "groupname: the group does not exist."},
    )

    with pytest.raises(TeamViewerRejected) as caught:
        create(client)

    assert type(caught.value) is TeamViewerRejected
    assert caught.value.detail == "groupname: the group does not exist."
    assert caught.value.body()["teamviewer_error"] == "invalid_request"


@pytest.mark.parametrize(
    "answer",
    [{"json": {"error": "invalid_token", "error_description": "Token expired."}}, {"body": ""}],
    ids=["json", "no-body"],
)
def test_a_401_becomes_login_required(client, tv, answer):
    tv.post(SESSIONS_URL, status=401, **answer)

    with pytest.raises(TeamViewerLoginRequired):
        create(client)


def test_a_token_error_in_a_400_becomes_login_required(client, tv):
    tv.get(SESSION_URL, status=400, json={"error": "token_expired"})

    with pytest.raises(TeamViewerLoginRequired):
        client.api(ACCESS_TOKEN).get_session(CODE)


# --- sessions -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 404])
def test_get_session_for_an_unknown_code_is_not_found(client, tv, status):
    tv.get(
        SESSION_URL, status=status, json={"error": "invalid_request", "error_description": "Unknown code."}
    )

    with pytest.raises(TeamViewerNotFound) as caught:
        client.api(ACCESS_TOKEN).get_session(CODE)

    assert caught.value.detail == "Unknown code."


def test_get_session_sends_the_bearer_and_reads_the_session(client, tv):
    tv.get(SESSION_URL, json={**SESSION_BODY, "online": True})

    session = client.api(ACCESS_TOKEN).get_session(CODE)

    assert tv.calls[0].request.headers["Authorization"] == BEARER
    assert session.code == CODE
    assert session.online is True
    assert session.valid_until == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert session.supporter_link == SESSION_BODY["supporter_link"]
    assert session.webclient_supporter_link == SESSION_BODY["webclient_supporter_link"]


def test_a_capitalised_closed_state_compares_as_closed(client, tv):
    tv.get(SESSION_URL, json={**SESSION_BODY, "state": "Closed", "closed_at": "2026-11-30T10:00:00Z"})

    session = client.api(ACCESS_TOKEN).get_session(CODE)

    assert session.state == "closed"
    assert session.is_closed
    assert session.closed_at == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_times_without_a_zone_are_read_as_utc(client, tv):
    tv.get(SESSION_URL, json={**SESSION_BODY, "valid_until": "2026-12-01T09:30:00"})

    session = client.api(ACCESS_TOKEN).get_session(CODE)

    assert session.valid_until == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_close_session_puts_state_closed_with_the_bearer_and_accepts_204(client, tv):
    put = tv.put(SESSION_URL, status=204, match=[matchers.json_params_matcher({"state": "closed"})])

    assert client.api(ACCESS_TOKEN).close_session(CODE) is None

    assert put.call_count == 1
    assert put.calls[0].request.headers["Authorization"] == BEARER


def test_close_session_of_a_code_teamviewer_does_not_know_is_not_found(client, tv):
    tv.put(SESSION_URL, status=400, json={"error": "invalid_request", "error_description": "Invalid code."})
    tv.get(SESSION_URL, status=400, json={"error": "invalid_request", "error_description": "Invalid code."})

    with pytest.raises(TeamViewerNotFound):
        client.api(ACCESS_TOKEN).close_session(CODE)


def test_close_session_refused_for_a_known_code_stays_rejected(client, tv):
    tv.put(SESSION_URL, status=400, json={"error": "invalid_request", "error_description": "Not allowed."})
    tv.get(SESSION_URL, json=SESSION_BODY)

    with pytest.raises(TeamViewerRejected) as caught:
        client.api(ACCESS_TOKEN).close_session(CODE)

    assert type(caught.value) is TeamViewerRejected
    assert caught.value.detail == "Not allowed."


def test_create_session_sends_the_group_customer_and_utc_valid_until(client, tv, settings):
    settings.TEAMVIEWER_SESSION_GROUP = "Service Desk JP"
    client = teamviewer_app()
    post = tv.post(SESSIONS_URL, json=SESSION_BODY, headers={"Location": SESSION_URL})
    tokyo = timezone(timedelta(hours=9))

    session = create(
        client,
        description="INC-1001 printer",
        end_customer_name="Yamada Taro",
        end_customer_email="yamada@example.jp",
        valid_until=datetime(2026, 12, 1, 18, 30, tzinfo=tokyo),
        custom_api="INC-1001",
    )

    request = post.calls[0].request
    assert request.headers["Authorization"] == BEARER
    assert request.headers["Content-Type"] == "application/json"
    assert sent_json(request) == {
        "groupname": "Service Desk JP",
        "description": "INC-1001 printer",
        "end_customer": {"name": "Yamada Taro", "email": "yamada@example.jp"},
        "valid_until": "2026-12-01T09:30:00Z",
        "custom_api": "INC-1001",
    }
    assert session.code == CODE
    assert session.end_customer_link == SESSION_BODY["end_customer_link"]


def test_create_session_trims_fields_to_teamviewers_limits(client, tv):
    post = tv.post(SESSIONS_URL, json=SESSION_BODY)

    create(client, end_customer_name="n" * 150, end_customer_email="e" * 300, custom_api="c" * 5000)

    sent = sent_json(post.calls[0].request)
    assert len(sent["end_customer"]["name"]) == 100
    assert len(sent["end_customer"]["email"]) == 254
    assert len(sent["custom_api"]) == 4000


def test_create_session_takes_the_code_from_location_when_the_body_lacks_it(client, tv):
    body = {key: value for key, value in SESSION_BODY.items() if key != "code"}
    tv.post(SESSIONS_URL, json=body, headers={"Location": SESSION_URL})

    assert create(client).code == CODE


def test_create_session_without_any_code_is_unavailable(client, tv):
    tv.post(SESSIONS_URL, json={"state": "open"})

    with pytest.raises(TeamViewerUnavailable):
        create(client)


def test_listing_sessions_follows_next_offset(client, tv):
    first = tv.get(
        SESSIONS_URL,
        match=[matchers.query_param_matcher({"state": "open", "full_list": "true"})],
        json={
            "sessions": [{**SESSION_BODY, "code": "s11-111-111"}, {**SESSION_BODY, "code": "s22-222-222"}],
            "sessions_remaining": 1,
            "next_offset": "s22-222-222",
        },
    )
    second = tv.get(
        SESSIONS_URL,
        match=[matchers.query_param_matcher({"state": "open", "full_list": "true", "offset": "s22-222-222"})],
        json={"sessions": [{**SESSION_BODY, "code": "s33-333-333"}], "sessions_remaining": 0},
    )

    codes = [session.code for session in client.api(ACCESS_TOKEN).iter_sessions()]

    assert codes == ["s11-111-111", "s22-222-222", "s33-333-333"]
    assert first.call_count == second.call_count == 1
    assert second.calls[0].request.headers["Authorization"] == BEARER


def test_listing_stops_when_teamviewer_repeats_the_same_offset(client, tv):
    tv.get(SESSIONS_URL, json={"sessions": [SESSION_BODY], "next_offset": CODE})

    assert len(list(client.api(ACCESS_TOKEN).iter_sessions())) == 2
    assert len(tv.calls) == 2


# --- connection reports ---------------------------------------------------------------------


def report(report_id: str, minutes: int) -> dict:
    return {
        "id": report_id,
        "session_code": CODE,
        "username": "Agent Smith",
        "deviceid": "d123",
        "start_date": "2026-11-30T09:00:00Z",
        "end_date": f"2026-11-30T09:{minutes:02d}:00Z",
    }


@pytest.mark.parametrize("remaining_field", ["records_remaining", "reports_remaining"])
def test_connection_reports_page_with_offset_id_whichever_remaining_field_is_used(
    client, tv, remaining_field
):
    tv.get(
        REPORTS_URL,
        match=[matchers.query_param_matcher({"session_code": CODE})],
        json={"records": [report("r-1", 12)], remaining_field: 1, "next_offset": "r-1"},
    )
    second = tv.get(
        REPORTS_URL,
        match=[matchers.query_param_matcher({"session_code": CODE, "offset_id": "r-1"})],
        json={"records": [report("r-2", 5)], remaining_field: 0},
    )

    reports = client.api(ACCESS_TOKEN).connection_reports(CODE)

    assert [r.id for r in reports] == ["r-1", "r-2"]
    assert reports[0].duration == timedelta(minutes=12)
    assert reports[1].device_id == "d123"
    assert second.calls[0].request.headers["Authorization"] == BEARER


# --- revoke and ping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (204, {"body": ""}),
        (400, {"json": {"error": "invalid_request"}}),
        (401, {"json": {"error": "invalid_token"}}),
        (401, {"body": ""}),
    ],
    ids=["204", "400", "401", "401-no-body"],
)
def test_revoke_treats_success_and_an_already_invalid_token_as_done(client, tv, status, answer):
    revoke = tv.post(REVOKE_URL, status=status, **answer)

    assert client.revoke_token(access_token=ACCESS_TOKEN) is None
    assert revoke.calls[0].request.headers["Authorization"] == BEARER


def test_revoke_reports_teamviewer_being_down(client, tv):
    tv.post(REVOKE_URL, status=503, json={"error": "internal_error"})

    with pytest.raises(TeamViewerUnavailable):
        client.revoke_token(access_token=ACCESS_TOKEN)


@pytest.mark.parametrize(
    ("status", "answer", "valid"),
    [
        (200, {"json": {"token_valid": True}}, True),
        (200, {"json": {"token_valid": False}}, False),
        (401, {"json": {"error": "invalid_token"}}, False),
        (200, {"json": {"token_valid": "yes"}}, False),
    ],
    ids=["valid", "200-false", "401", "not-a-boolean"],
)
def test_ping_says_whether_teamviewer_accepts_the_token(client, tv, status, answer, valid):
    ping = tv.get(PING_URL, status=status, **answer)

    assert client.api(ACCESS_TOKEN).ping() is valid
    assert ping.calls[0].request.headers["Authorization"] == BEARER


# --- retries --------------------------------------------------------------------------------


def test_a_get_is_retried_on_503_and_gives_up_after_two_retries(client, tv):
    ping = tv.get(PING_URL, status=503, json={"error": "internal_error"})

    with pytest.raises(TeamViewerUnavailable):
        client.api(ACCESS_TOKEN).ping()

    assert ping.call_count == 3


def test_a_get_that_recovers_on_retry_succeeds(client, tv):
    tv.get(PING_URL, status=503, json={"error": "internal_error"})
    tv.get(PING_URL, json={"token_valid": True})

    assert client.api(ACCESS_TOKEN).ping() is True
    assert len(tv.calls) == 2


def test_a_post_creating_a_session_is_never_retried(client, tv):
    post = tv.post(SESSIONS_URL, status=503, json={"error": "internal_error"})

    with pytest.raises(TeamViewerUnavailable):
        create(client)

    assert post.call_count == 1


def test_a_put_closing_a_session_is_retried_on_502(client, tv):
    tv.put(SESSION_URL, status=502, body="<html>Bad gateway</html>")
    tv.put(SESSION_URL, status=204)

    client.api(ACCESS_TOKEN).close_session(CODE)

    assert len(tv.calls) == 2


# --- OAuth token calls ----------------------------------------------------------------------


def test_exchange_code_posts_the_form_and_reads_both_tokens(client, tv):
    tv.post(TOKEN_URL, json=token_body(expires_in=3600))
    before = datetime.now(UTC)

    token_set = client.exchange_code(code=AUTH_CODE, code_verifier="v" * 43)

    assert form(tv.calls[0].request) == {
        "grant_type": "authorization_code",
        "code": AUTH_CODE,
        "code_verifier": "v" * 43,
        "redirect_uri": client.http.redirect_uri,
        "client_id": TV_CLIENT_ID,
        "client_secret": TV_CLIENT_SECRET,
    }
    assert (token_set.access_token, token_set.refresh_token) == (NEW_ACCESS_TOKEN, NEW_REFRESH_TOKEN)
    assert before + timedelta(seconds=3590) < token_set.expires_at < before + timedelta(seconds=3610)
    assert NEW_ACCESS_TOKEN not in repr(token_set)


def test_a_token_answer_without_expires_in_lasts_an_hour(client, tv):
    tv.post(TOKEN_URL, json={"access_token": NEW_ACCESS_TOKEN, "refresh_token": NEW_REFRESH_TOKEN})
    before = datetime.now(UTC)

    token_set = client.exchange_code(code=AUTH_CODE, code_verifier="v" * 43)

    assert before + timedelta(minutes=59) < token_set.expires_at < before + timedelta(minutes=61)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"status": 400, "json": {"error": "invalid_grant"}}, TeamViewerRejected),
        ({"status": 401, "json": {"error": "invalid_client"}}, TeamViewerRejected),
        ({"status": 403, "json": {"error": "rate_limit_reached"}}, TeamViewerRateLimited),
        ({"status": 500, "json": {"error": "internal_error"}}, TeamViewerUnavailable),
        ({"status": 200, "body": "<html>login</html>", "content_type": "text/html"}, TeamViewerUnavailable),
        ({"status": 200, "json": {"token_type": "Bearer"}}, TeamViewerUnavailable),
        ({"body": requests.exceptions.ReadTimeout()}, TeamViewerUnavailable),
    ],
    ids=["invalid_grant", "invalid_client", "rate-limit", "500", "html", "no-access-token", "timeout"],
)
def test_exchange_code_failures_map_to_typed_errors(client, tv, answer, error):
    tv.post(TOKEN_URL, **answer)

    with pytest.raises(error):
        client.exchange_code(code=AUTH_CODE, code_verifier="v" * 43)


def test_a_wrong_client_secret_on_refresh_is_not_blamed_on_the_agent(client, tv):
    tv.post(TOKEN_URL, status=401, json={"error": "invalid_client"})

    with pytest.raises(TeamViewerRejected) as caught:
        client.refresh_tokens(refresh_token="r")

    assert not isinstance(caught.value, TeamViewerLoginRequired)
    assert caught.value.body()["teamviewer_error"] == "invalid_client"


def test_the_client_never_shows_its_secret(client):
    assert TV_CLIENT_SECRET not in repr(client)
