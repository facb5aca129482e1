"""The sandbox's sessions API, its customer and supporter pages, and connection reports."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from csm_teamviewer.sandbox.models import Session

from .conftest import BANNER, BASE, assert_teamviewer_error

pytestmark = pytest.mark.urls("tests.sandbox.urls")

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def test_the_full_flow_creates_gets_lists_and_closes_a_session(sandbox, settings):
    settings.SANDBOX_PAGE_SIZE = 2
    token = sandbox.access_token()
    codes = [sandbox.create_session(token, description=f"case {n}")["code"] for n in range(3)]

    fetched = sandbox.api("GET", f"sessions/{codes[0]}", token).json()
    first = sandbox.api("GET", "sessions", token, full_list="true").json()
    second = sandbox.api("GET", "sessions", token, full_list="true", offset=first["next_offset"]).json()
    closed = sandbox.api("PUT", f"sessions/{codes[0]}", token, {"state": "closed"})
    after = sandbox.api("GET", f"sessions/{codes[0]}", token).json()

    assert (fetched["code"], fetched["state"], fetched["description"]) == (codes[0], "open", "case 0")
    assert [item["code"] for item in first["sessions"]] == codes[:2]
    assert (first["sessions_remaining"], first["next_offset"]) == (1, codes[1])
    assert [item["code"] for item in second["sessions"]] == codes[2:]
    assert second["sessions_remaining"] == 0 and "next_offset" not in second
    assert closed.status_code == 204 and closed.content == b""
    assert after["state"] == "closed" and TIME.match(after["closed_at"])
    open_now = sandbox.api("GET", "sessions", token).json()["sessions"]
    both = sandbox.api("GET", "sessions", token, state="open,closed").json()
    assert [item["code"] for item in open_now] == codes[1:]
    assert both["sessions_remaining"] == 1


def test_create_answers_200_with_a_location_and_teamviewers_session_shape(sandbox):
    token = sandbox.access_token()
    body = {"groupname": "CSM", "description": "Printer", "custom_api": '{"incident": 42}',
            "end_customer": {"name": "Ann", "email": "ann@example.com"}, "waiting_message": "Hold on"}

    response = sandbox.api("POST", "sessions", token, body)

    session = response.json()
    assert response.status_code == 200
    assert response["Location"] == f"http://testserver{BASE}/api/v1/sessions/{session['code']}"
    assert re.match(r"^s\d\d-\d{3}-\d{3}$", session["code"])
    assert re.match(r"^g\d{8}$", session["groupid"]) and re.match(r"^u\d{8}$", session["assigned_userid"])
    compact = session["code"].replace("-", "")
    assert session["end_customer_link"] == f"http://testserver{BASE}/join/{compact}"
    assert session["supporter_link"].startswith(f"http://testserver{BASE}/support/{compact}-")
    assert session["webclient_supporter_link"].startswith(session["supporter_link"])
    assert session["end_customer"] == {"name": "Ann", "email": "ann@example.com"}
    assert (session["state"], session["online"], session["custom_api"]) == ("open", False, '{"incident": 42}')
    assert session["waiting_message"] == "Hold on" and "closed_at" not in session
    assert TIME.match(session["created_at"]) and TIME.match(session["valid_until"])
    valid_for = Session.objects.get().valid_until - timezone.now()
    assert timedelta(hours=23, minutes=59) < valid_for <= timedelta(hours=24)


def test_create_keeps_a_given_valid_until_and_groupid(sandbox):
    token = sandbox.access_token()

    session = sandbox.create_session(token, groupname=None, groupid="g123", valid_until="2999-01-02T03:04:05Z")

    assert (session["groupid"], session["valid_until"]) == ("g123", "2999-01-02T03:04:05Z")


def test_create_without_a_group_is_400(sandbox):
    response = sandbox.api("POST", "sessions", sandbox.access_token(), {"description": "no group"})

    body = assert_teamviewer_error(response, 400, "invalid_request")
    assert "groupid or groupname" in body["error_description"]


def test_create_with_a_bad_end_customer_email_is_400_naming_the_field(sandbox):
    body = {"groupname": "CSM", "end_customer": {"name": "Ann", "email": "not-an-email"}}

    response = sandbox.api("POST", "sessions", sandbox.access_token(), body)

    body = assert_teamviewer_error(response, 400, "invalid_request")
    assert "end_customer.email" in body["error_description"]


@pytest.mark.parametrize(
    "fields",
    [
        {"end_customer": "Ann <ann@example.com>"},
        {"end_customer": {"name": "A" * 101}},
        {"end_customer": {"email": "a" * 250 + "@example.com"}},
        {"custom_api": "x" * 4001},
        {"valid_until": "tomorrow"},
        {"valid_until": "2001-01-01T00:00:00Z"},
        {"description": 42},
        {"groupid": "group-1"},
        {"groupid": "g1", "groupname": "CSM"},
        {"colour": "blue"},
    ],
)
def test_create_refuses_invalid_fields_with_400(sandbox, fields):
    body = {"groupname": "CSM", **fields}

    assert_teamviewer_error(
        sandbox.api("POST", "sessions", sandbox.access_token(), body), 400, "invalid_request"
    )


@pytest.mark.parametrize(("method", "path"), [("POST", "sessions"), ("PUT", "sessions/s12-345-678")])
@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", b"\xff\xfe", "[" * 60000, "x" * 70000])
def test_malformed_bodies_are_400_invalid_request_never_500(sandbox, method, path, payload):
    assert_teamviewer_error(
        sandbox.api(method, path, sandbox.access_token(), payload), 400, "invalid_request"
    )


def test_an_unknown_session_is_404_on_get_and_put(sandbox):
    token = sandbox.access_token()

    assert_teamviewer_error(sandbox.api("GET", "sessions/s00-000-000", token), 404, "not_found")
    assert_teamviewer_error(
        sandbox.api("PUT", "sessions/s00-000-000", token, {"state": "closed"}), 404, "not_found"
    )


def test_put_changes_fields_and_closing_twice_keeps_the_first_closing_time(sandbox):
    token = sandbox.access_token()
    code = sandbox.create_session(token)["code"]
    change = {"description": "New", "end_customer": {"name": "Bob", "email": "bob@example.com"}}

    assert sandbox.api("PUT", f"sessions/{code}", token, change).status_code == 204
    sandbox.api("PUT", f"sessions/{code}", token, {"state": "Closed"})
    first_close = sandbox.api("GET", f"sessions/{code}", token).json()["closed_at"]
    Session.objects.update(closed_at=timezone.now() - timedelta(hours=1))
    assert sandbox.api("PUT", f"sessions/{code}", token, {"state": "closed"}).status_code == 204

    session = sandbox.api("GET", f"sessions/{code}", token).json()
    assert (session["description"], session["end_customer"]["name"]) == ("New", "Bob")
    assert session["closed_at"] != first_close  # the moved-back time was kept, not overwritten
    assert_teamviewer_error(
        sandbox.api("PUT", f"sessions/{code}", token, {"state": "gone"}), 400, "invalid_request"
    )
    assert_teamviewer_error(sandbox.api("PUT", f"sessions/{code}", token, {}), 400, "invalid_request")


def test_the_list_shows_only_the_token_owners_sessions_as_short_items_by_default(sandbox):
    mine = sandbox.access_token(email="ann@example.com")
    theirs = sandbox.access_token(email="bob@example.com")
    code = sandbox.create_session(mine)["code"]
    sandbox.create_session(theirs)

    listed = sandbox.api("GET", "sessions", mine).json()

    assert listed["sessions"] == [{"code": code, "state": "open", "groupid": listed["sessions"][0]["groupid"]}]
    assert listed["sessions_remaining"] == 0
    assert_teamviewer_error(sandbox.api("GET", "sessions", mine, state="waiting"), 400, "invalid_request")
    assert_teamviewer_error(
        sandbox.api("GET", "sessions", mine, offset="s99-999-999"), 400, "invalid_request"
    )
    assert_teamviewer_error(sandbox.api("GET", "sessions", mine, full_list="maybe"), 400, "invalid_request")


def test_the_list_filters_by_groupid(sandbox):
    token = sandbox.access_token()
    csm = sandbox.create_session(token, groupname="CSM")
    sandbox.create_session(token, groupname="Other")

    listed = sandbox.api("GET", "sessions", token, groupid=csm["groupid"]).json()["sessions"]

    assert [item["code"] for item in listed] == [csm["code"]]


def test_joining_puts_the_session_online_and_writes_one_connection_report(sandbox):
    token = sandbox.access_token()
    session = sandbox.create_session(token)
    join_path = session["end_customer_link"].removeprefix("http://testserver")

    page = sandbox.client.get(join_path)
    sandbox.client.get(join_path)  # reloading the page is the same connection

    html = page.content.decode()
    assert page.status_code == 200 and BANNER in html
    assert f"You joined session {session['code']}" in html
    assert sandbox.api("GET", f"sessions/{session['code']}", token).json()["online"] is True
    records = sandbox.api("GET", "reports/connections", token, session_code=session["code"]).json()
    assert records["records_remaining"] == 0 and len(records["records"]) == 1
    record = records["records"][0]
    assert (record["session_code"], record["username"]) == (session["code"], "agent@example.com")
    assert TIME.match(record["start_date"]) and "end_date" not in record


def test_closing_ends_the_connection_and_the_customer_link_says_closed(sandbox):
    token = sandbox.access_token()
    session = sandbox.create_session(token)
    join_path = session["end_customer_link"].removeprefix("http://testserver")
    sandbox.client.get(join_path)

    sandbox.api("PUT", f"sessions/{session['code']}", token, {"state": "closed"})

    record = sandbox.api("GET", "reports/connections", token).json()["records"][0]
    assert TIME.match(record["end_date"])
    assert sandbox.api("GET", f"sessions/{session['code']}", token).json()["online"] is False
    page = sandbox.client.get(join_path)
    assert page.status_code == 410 and "is closed" in page.content.decode()


def test_a_reports_notes_and_billing_state_are_changed_by_put_and_listed(sandbox):
    token = sandbox.access_token()
    session = sandbox.create_session(token)
    sandbox.client.get(session["end_customer_link"].removeprefix("http://testserver"))
    report_id = sandbox.api("GET", "reports/connections", token).json()["records"][0]["id"]

    changed = sandbox.api("PUT", f"reports/connections/{report_id}", token, {"notes": "Fixed.", "billing_state": "Billed"})
    record = sandbox.api("GET", "reports/connections", token).json()["records"][0]

    assert changed.status_code == 204
    assert (record["notes"], record["billing_state"]) == ("Fixed.", "Billed")
    stranger = sandbox.access_token(email="someone@example.com")
    assert_teamviewer_error(
        sandbox.api("PUT", f"reports/connections/{report_id}", stranger, {"notes": "x"}), 404, "not_found"
    )
    assert_teamviewer_error(
        sandbox.api("PUT", f"reports/connections/{report_id}", token, {"billing_state": "Free"}), 400, "invalid_request"
    )
    assert_teamviewer_error(
        sandbox.api("PUT", f"reports/connections/{report_id}", token, {"duration": 5}), 400, "invalid_request"
    )


def test_an_expired_or_unknown_customer_link_does_not_connect(sandbox):
    token = sandbox.access_token()
    session = sandbox.create_session(token)
    Session.objects.update(valid_until=timezone.now() - timedelta(seconds=1))

    expired = sandbox.client.get(session["end_customer_link"].removeprefix("http://testserver"))
    unknown = sandbox.client.get(f"{BASE}/join/s00000000")
    garbage = sandbox.client.get(f"{BASE}/join/not-a-code")

    assert expired.status_code == 410 and "has expired" in expired.content.decode()
    assert unknown.status_code == 404 and garbage.status_code == 404
    assert sandbox.api("GET", "reports/connections", token).json()["records"] == []


def test_the_supporter_link_opens_the_supporters_page_and_a_forged_one_does_not(sandbox):
    session = sandbox.create_session(sandbox.access_token())
    support_path = session["supporter_link"].removeprefix("http://testserver")

    page = sandbox.client.get(support_path)
    web = sandbox.client.get(session["webclient_supporter_link"].removeprefix("http://testserver"))
    forged = sandbox.client.get(f"{BASE}/support/{session['code'].replace('-', '')}-0000000000000000")

    assert page.status_code == 200 and BANNER in page.content.decode()
    assert f"Supporter connected to session {session['code']}" in page.content.decode()
    assert "web client" in web.content.decode()
    assert forged.status_code == 404


def test_connection_reports_page_by_offset_id_and_show_only_the_owners(sandbox, settings):
    settings.SANDBOX_REPORT_PAGE_SIZE = 1
    token = sandbox.access_token()
    other = sandbox.access_token(email="bob@example.com")
    links = [sandbox.create_session(t)["end_customer_link"] for t in (token, token, other)]
    for link in links:
        sandbox.client.get(link.removeprefix("http://testserver"))

    first = sandbox.api("GET", "reports/connections", token).json()
    second = sandbox.api("GET", "reports/connections", token, offset_id=first["next_offset"]).json()

    assert len(first["records"]) == 1 and first["records_remaining"] == 1
    assert first["next_offset"] == first["records"][0]["id"]
    assert len(second["records"]) == 1 and second["records_remaining"] == 0 and "next_offset" not in second
    assert second["records"][0]["id"] != first["records"][0]["id"]
    assert_teamviewer_error(
        sandbox.api("GET", "reports/connections", token, offset_id="nope"), 400, "invalid_request"
    )
    assert sandbox.api("GET", "reports/connections", token, has_code="false").json()["records"] == []
