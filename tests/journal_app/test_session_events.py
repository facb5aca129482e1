"""Each session event sessions_app records writes exactly one note, in the event's transaction:
created (the create, reconciliation), emailed, customer online, closed (by whom), expired."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journal_app.facts import ConnectionFacts
from journal_app.models import JournalNote
from sessions_app.lifecycle import stale_age
from sessions_app.models import Session
from sessions_app.services import reconcile
from sessions_app.services.cleanup import sessions_cleanup
from sessions_app.services.emails import invitation_send
from sessions_app.services.journal import journal_report
from sessions_app.services.sessions import session_close
from sessions_app.services.sync import sessions_sync_batch
from tests.factories import InvitationEmailFactory, SessionFactory
from tests.sessions_app.conftest import API, TV_SESSIONS, tv_session_body
from tests.sessions_app.expiring import answer_closes, expired_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.CSM_JOURNAL_LANGUAGE = "en"


def notes(**filters) -> list[tuple[str, str, list[str]]]:
    """(event, incident, the text's fact lines) of each note, oldest first."""
    rows = JournalNote.objects.filter(**filters).order_by("pk")
    return [(note.event, note.incident_id, note.text.splitlines()[1:]) for note in rows]


def test_a_create_writes_its_created_note_in_its_one_statement(api, tv, tv_token, settings):
    settings.TIME_ZONE = "UTC"
    body = tv_session_body(valid_until="2026-12-08T03:00:00Z")
    tv.post(TV_SESSIONS, json=body)

    created = api.post(f"{API}/sessions/", {"incident_id": "INC-5", "send_email": False}, format="json").json()
    api.post(f"{API}/sessions/", {"incident_id": "INC-5", "send_email": False}, format="json")  # the same one

    assert notes(session_id=created["id"]) == [
        ("created", "INC-5", ["Session code: s12-345-678", "Customer link valid until: 2026-12-08 03:00 UTC",
                              "Agent: agent.smith"]),
    ]


@pytest.mark.postgres
def test_the_created_note_costs_the_create_no_statement_of_its_own(requires_postgres, api, tv, tv_token):
    tv.post(TV_SESSIONS, json=tv_session_body())
    api.get(f"{API}/sessions/")  # the key's last-used time is written once a minute: not counted below
    with CaptureQueriesContext(connection) as queries:
        response = api.post(f"{API}/sessions/", {"incident_id": "INC-5", "send_email": False}, format="json")

    statements = [query["sql"] for query in queries if "SAVEPOINT" not in query["sql"]]
    # The key with its agent and token, the reservation, the fill with its rows: as before.
    assert len(statements) == 3
    assert statements[-1].startswith("WITH opened AS") and '"journal_app_journalnote"' in statements[-1]
    assert response.json()["csm_journal"] == "pending" and JournalNote.objects.count() == 1


def test_reconciliation_recording_a_dead_creates_session_writes_its_created_note(agent, tv, tv_token):
    row = SessionFactory(agent=agent, state=Session.State.CREATING, code="", incident_id="INC-6")
    Session.objects.filter(pk=row.pk).update(created_at=timezone.now() - stale_age() - timedelta(seconds=1))
    marker = json.dumps({"csm_session_id": str(row.pk), "incident_id": "INC-6"})
    tv.get(TV_SESSIONS, json={"sessions": [tv_session_body("s66-666-666", custom_api=marker)]})

    assert reconcile.sessions_reconcile(agent=agent).recorded == 1

    [(event, incident, lines)] = notes(session_id=row.pk)
    assert (event, incident, lines[0]) == ("created", "INC-6", "Session code: s66-666-666")


def test_an_invitation_actually_sent_writes_one_emailed_note(agent):
    session = SessionFactory(agent=agent, incident_id="INC-8")
    email = InvitationEmailFactory(session=session, to="taro@example.com")

    assert invitation_send(email_id=email.pk).outcome == "sent"

    assert len(mail.outbox) == 1
    assert notes() == [("emailed", "INC-8", ["Session code: s98-765-432", "Sent to: taro@example.com"])]


def test_an_invitation_smtp_refused_writes_no_note(agent, smtp_down):
    email = InvitationEmailFactory(session=SessionFactory(agent=agent))

    assert invitation_send(email_id=email.pk).outcome == "retrying"
    assert notes() == []


def test_the_sync_first_seeing_the_customer_online_writes_one_note_and_keeps_the_time(agent, tv, tv_token, settings):
    settings.SESSION_SYNC_SECONDS = 0  # every run asks again
    session = SessionFactory(agent=agent, code="s77-777-777", incident_id="INC-7")
    tv.get(f"{TV_SESSIONS}/{session.code}", json=tv_session_body(session.code, online=True))

    sessions_sync_batch(limit=10, rate_limit=0)
    sessions_sync_batch(limit=10, rate_limit=0)  # still online: nothing new

    session.refresh_from_db()
    assert session.state == "active" and session.customer_waiting_since is not None
    [(event, incident, lines)] = notes()
    assert (event, incident, lines[0]) == ("customer_waiting", "INC-7", "Session code: s77-777-777")


def test_a_session_the_sync_finds_closed_at_teamviewer_writes_a_closed_note_saying_so(agent, tv, tv_token):
    session = SessionFactory(agent=agent, code="s78-787-878", incident_id="INC-7")
    tv.get(f"{TV_SESSIONS}/{session.code}", json=tv_session_body(session.code, state="Closed"))

    sessions_sync_batch(limit=10, rate_limit=0)

    assert notes() == [("closed", "INC-7", ["Session code: s78-787-878", "Closed at TeamViewer"])]


def test_closing_writes_one_closed_note_naming_who_closed_it(agent, staff, tv, tv_token):
    session = SessionFactory(agent=agent, code="s12-121-212", incident_id="INC-9")
    tv.put(f"{TV_SESSIONS}/{session.code}", status=204)

    session_close(session=session, actor=staff, via="admin")
    session_close(session=session, actor=agent, via="api")  # closed already: no second note

    assert notes() == [("closed", "INC-9", ["Session code: s12-121-212", "Closed by: admin.tanaka"])]


def test_the_cleanup_writes_one_expired_note_per_session_it_expires(agent, tv, tv_token):
    answer_closes(tv)
    first = expired_session(agent, "s31-313-131", incident_id="INC-31")
    second = expired_session(agent, "s32-323-232", incident_id="INC-32")
    SessionFactory(agent=agent, code="s33-333-333", incident_id="INC-33")  # still within its lifetime

    assert sessions_cleanup().expired == 2
    sessions_cleanup()

    assert sorted((event, incident) for event, incident, _lines in notes()) == [
        ("expired", "INC-31"),
        ("expired", "INC-32"),
    ]
    assert {note.session_id for note in JournalNote.objects.all()} == {first.pk, second.pk}


def test_a_create_meeting_its_pairs_session_past_its_lifetime_expires_it_with_one_note(api, agent, tv, tv_token):
    old = expired_session(agent, "s40-404-040", incident_id="INC-40")
    tv.post(TV_SESSIONS, json=tv_session_body("s41-414-141"))

    api.post(f"{API}/sessions/", {"incident_id": "INC-40", "send_email": False}, format="json")

    assert [event for event, _incident, _lines in notes(session_id=old.pk)] == ["expired"]


def test_the_connection_report_writes_one_note_with_each_connection_or_none(agent, settings):
    settings.TIME_ZONE = "UTC"
    session = SessionFactory(agent=agent, state="closed", incident_id="INC-50")
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    connection_facts = ConnectionFacts(start=start, end=start + timedelta(minutes=5), duration_seconds=300,
                                       supporter="Agent Smith", device="PC-1")

    journal_report(session, connections=[connection_facts])
    journal_report(session, connections=[])

    assert [lines[1:] for _event, _incident, lines in notes()] == [
        ["Connection 1: 2026-12-07 09:00 UTC – 2026-12-07 09:05 UTC (0:05:00)", "Supporter: Agent Smith",
         "Device: PC-1"],
        ["The customer never connected."],
    ]


def test_with_write_back_off_no_event_writes_a_note(api, agent, tv, tv_token, settings):
    settings.CSM_WRITEBACK_EVENTS = ()
    tv.post(TV_SESSIONS, json=tv_session_body())
    created = api.post(f"{API}/sessions/", {"incident_id": "INC-5", "send_email": False}, format="json").json()
    tv.put(f"{TV_SESSIONS}/s12-345-678", status=204)
    api.post(f"{API}/sessions/{created['id']}/close/")

    assert Session.objects.get(pk=created["id"]).state == "closed"
    assert notes() == []
