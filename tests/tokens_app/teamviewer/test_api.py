"""The Web API calls with a given access token: what each sends and how it reads the answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from responses import matchers

from csm_teamviewer.errors import (
    TeamViewerNotFound,
    TeamViewerRejected,
    TeamViewerUnavailable,
)
from tokens_app.teamviewer import ConnectionReport, teamviewer_app

from ..conftest import sent_json
from .conftest import (
    ACCESS_TOKEN,
    BEARER,
    CODE,
    PING_URL,
    REPORTS_URL,
    REVOKE_URL,
    SESSION_BODY,
    SESSION_URL,
    SESSIONS_URL,
    create,
)

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


@pytest.mark.parametrize("remaining_field", ["records_remaining", "reports_remaining"])
def test_a_page_with_nothing_remaining_is_the_last_even_when_it_names_an_offset(client, tv, remaining_field):
    tv.get(
        REPORTS_URL,
        match=[matchers.query_param_matcher({"session_code": CODE})],
        json={"records": [report("r-1", 12)], remaining_field: 0, "next_offset": "r-1"},
    )

    reports = client.api(ACCESS_TOKEN).connection_reports(CODE)

    assert [r.id for r in reports] == ["r-1"]
    assert len(tv.calls) == 1


def test_a_report_reads_the_device_name_and_falls_back_on_a_reported_duration():
    named = ConnectionReport.from_json({**report("r-1", 12), "devicename": "Hanako's PC", "userid": "u1"})
    running = ConnectionReport.from_json({"id": "r-2", "start_date": "2026-11-30T09:00:00Z", "duration": "95"})
    bogus = ConnectionReport.from_json({"id": "r-3", "duration": True})

    assert (named.device_name, named.user_id, named.duration) == ("Hanako's PC", "u1", timedelta(minutes=12))
    assert running.end_date is None and running.duration == timedelta(seconds=95)
    assert bogus.duration is None


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
