"""``csm_journal`` (and ``customer_waiting_since``) in the session's API body: one session, a list,
a create's answer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import JournalNoteFactory, SessionFactory
from tests.sessions_app.conftest import API, TV_SESSIONS, tv_session_body

URL = f"{API}/sessions/"


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        ((), "not_written"),
        (("written", "written"), "written"),
        (("written", "pending"), "pending"),
        (("pending", "failed", "written"), "failed"),
    ],
)
def test_csm_journal_sums_up_the_sessions_notes_in_detail_and_list(api, agent, statuses, state):
    session = SessionFactory(agent=agent)
    for status in statuses:
        JournalNoteFactory(session_id=session.pk, status=status)
    JournalNoteFactory(status="failed")  # another session's note says nothing of this one

    assert api.get(f"{URL}{session.pk}/").json()["csm_journal"] == state
    assert [row["csm_journal"] for row in api.get(URL).json()["results"]] == [state]


def test_the_list_reads_every_sessions_journal_state_in_its_own_query(api, agent, django_assert_max_num_queries):
    for number in range(10):
        session = SessionFactory(agent=agent, incident_id=f"INC-{number}", code=f"s{number}")
        JournalNoteFactory(session_id=session.pk, status="failed" if number % 2 else "written")
    api.get(URL)  # the key's last-used time is written once a minute: not in the count below

    with django_assert_max_num_queries(2):  # the key with its agent, the page
        results = api.get(URL, {"limit": 10}).json()["results"]

    assert sorted(row["csm_journal"] for row in results) == ["failed"] * 5 + ["written"] * 5


def test_customer_waiting_since_is_in_the_body(api, agent):
    since = datetime(2026, 12, 7, 9, 15, tzinfo=UTC)
    session = SessionFactory(agent=agent, state="active", customer_waiting_since=since)

    assert api.get(f"{URL}{session.pk}/").json()["customer_waiting_since"] == "2026-12-07T09:15:00Z"
    assert api.get(URL).json()["results"][0]["customer_waiting_since"] == "2026-12-07T09:15:00Z"


@pytest.mark.parametrize(("events", "state"), [(("created", "closed"), "pending"), (("closed",), "not_written")])
def test_a_creates_answer_says_whether_its_note_is_on_its_way(api, tv, tv_token, settings, events, state):
    settings.CSM_WRITEBACK_EVENTS = events
    tv.post(TV_SESSIONS, json=tv_session_body())

    response = api.post(URL, {"incident_id": "INC-1", "send_email": False}, format="json")

    assert response.status_code == 201
    assert response.json()["csm_journal"] == state
    assert api.get(f"{URL}{response.json()['id']}/").json()["csm_journal"] == state


def test_the_schema_documents_csm_journal_and_its_values(api):
    schemas = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]
    session = schemas["Session"]["properties"]
    [enum] = session["csm_journal"]["allOf"]  # drf-spectacular names the enum as its own component
    assert schemas[enum["$ref"].rsplit("/", 1)[1]]["enum"] == ["not_written", "pending", "written", "failed"]
    assert session["customer_waiting_since"]["format"] == "date-time"
