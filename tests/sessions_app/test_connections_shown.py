"""A session's connection reports where people read them: the API body (one session and the
list, without a query per session), the incident page in both languages, and the admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from sessions_app.models import Session
from sessions_app.serializers import SessionSerializer
from sessions_app.services.connections import store_connection_reports
from sessions_app.session_body import session_data, session_list_data, session_list_values
from tests.factories import SessionFactory
from tokens_app.teamviewer import ConnectionReport

from .conftest import API
from .page_client import PAGE, text_of

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def reported(session: Session, *lengths_in_minutes: int, final: bool = True) -> Session:
    """``session`` closed, with one stored connection of each length (none: the customer never came)."""
    Session.objects.filter(pk=session.pk).update(state="closed", closed_at=timezone.now())
    session.refresh_from_db()
    reports = [
        ConnectionReport(
            id=f"{session.code}-r{n}",
            session_code=session.code,
            username="Agent Smith",
            device_id="987654321",
            device_name="Hanako's PC" if n == 0 else "",
            start_date=START + timedelta(hours=n),
            end_date=START + timedelta(hours=n, minutes=minutes),
            notes="Printer driver reinstalled.\nRebooted." if n == 0 else "",
        )
        for n, minutes in enumerate(lengths_in_minutes)
    ]
    store_connection_reports(session, reports, final=final)
    session.refresh_from_db()
    return session


def test_the_body_lists_each_connection_and_says_the_report_is_final(api, agent):
    session = reported(SessionFactory(agent=agent), 12, 5)

    body = api.get(f"{API}/sessions/{session.pk}/").json()

    assert body["connections_status"] == "final"
    assert body["connections"] == [
        {
            "start": "2026-11-30T09:00:00Z",
            "end": "2026-11-30T09:12:00Z",
            "duration_seconds": 720,
            "supporter": "Agent Smith",
            "device": "Hanako's PC (987654321)",
            "notes": "Printer driver reinstalled.\nRebooted.",
        },
        {
            "start": "2026-11-30T10:00:00Z",
            "end": "2026-11-30T10:05:00Z",
            "duration_seconds": 300,
            "supporter": "Agent Smith",
            "device": "987654321",
            "notes": "",
        },
    ]


@pytest.mark.parametrize(
    ("state", "final", "status"),
    [("open", False, "not_fetched"), ("closed", False, "pending"), ("closed", True, "final")],
)
def test_an_empty_list_says_whether_the_customer_never_came_or_the_report_is_still_coming(
    api, agent, state, final, status
):
    session = SessionFactory(agent=agent, state=state, connections_final=final)

    body = api.get(f"{API}/sessions/{session.pk}/").json()

    assert (body["connections"], body["connections_status"]) == ([], status)


def test_the_hand_built_body_with_connections_is_what_drf_renders_of_the_declared_fields(agent, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    session = reported(SessionFactory(agent=agent), 12, 5)
    declared = serializers.Serializer.to_representation(SessionSerializer(context={"viewer": agent}), session)
    listed = session_list_data(session_list_values(Session.objects.filter(pk=session.pk)), viewer=agent)

    assert session_data(session, viewer=agent) == declared
    assert listed == [declared]
    assert declared["connections"][0]["start"] == "2026-11-30T18:00:00+09:00"


def test_the_list_reads_every_sessions_connections_in_one_query(api, agent, other_agent, django_assert_max_num_queries):
    for number in range(30):
        owner = agent if number % 2 else other_agent
        session = SessionFactory(agent=owner, incident_id="INC-7", code=f"s{number}", state="closed")
        if number % 3:
            reported(session, number, 1)
    api.get(f"{API}/sessions/")  # the key's last-used time is written once a minute: not in the count below
    # The key with its agent, the page, the page's connections (no COUNT: it all fits).
    with django_assert_max_num_queries(3):
        results = api.get(f"{API}/sessions/", {"incident_id": "INC-7", "limit": 30}).json()["results"]

    assert len(results) == 30
    assert sorted(len(result["connections"]) for result in results) == [0] * 10 + [2] * 20
    by_code = {result["code"]: result for result in results}
    assert by_code["s4"]["connections"][0]["duration_seconds"] == 4 * 60


def test_the_schema_documents_each_connections_fields():
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schemas = yaml.safe_load(out.getvalue())["components"]["schemas"]

    assert schemas["Session"]["properties"]["connections"]["items"] == {"$ref": "#/components/schemas/Connection"}
    assert set(schemas["Connection"]["properties"]) == {
        "start", "end", "duration_seconds", "supporter", "device", "notes"
    }
    assert set(schemas["ConnectionsStatusEnum"]["enum"]) == {
        "not_fetched", "pending", "final", "failed"
    }


# --- the incident page --------------------------------------------------------------------------


def page_in(agent, language: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(agent)
    return text_of(client.get(PAGE))


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Connections", "Duration", "Supporter", "Device", "Notes"]),
        ("ja", ["接続", "接続時間", "サポーター", "デバイス", "メモ"]),
    ],
)
def test_the_page_shows_each_connection_of_a_closed_session(agent, language, words):
    reported(SessionFactory(agent=agent), 12)

    page = page_in(agent, language)

    assert all(f">{word}<" in page for word in words)
    assert '<time datetime="PT0H12M0S">0:12:00</time>' in page
    assert "Agent Smith" in page and "Hanako&#x27;s PC (987654321)" in page
    assert "Printer driver reinstalled.<br>Rebooted." in page


@pytest.mark.parametrize(
    ("final", "error", "language", "said"),
    [
        (True, "", "en", "The customer never connected."),
        (True, "", "ja", "お客様は一度も接続しませんでした。"),
        (False, "", "en", "Connection report pending"),
        (False, "", "ja", "接続レポートを待っています"),
        (True, "TeamViewer refused", "en", "The connection report could not be fetched from TeamViewer."),
        (True, "TeamViewer refused", "ja", "TeamViewer から接続レポートを取得できませんでした。"),
    ],
)
def test_the_page_says_why_a_closed_session_lists_no_connection(agent, final, error, language, said):
    SessionFactory(agent=agent, state="closed", closed_at=timezone.now(), connections_final=final, connections_error=error)

    page = page_in(agent, language)

    assert said in page
    assert "<table" not in page


def test_a_live_session_shows_no_connection_report(agent):
    SessionFactory(agent=agent)

    page = page_in(agent, "en")

    assert 'class="connections"' not in page and "Connection report pending" not in page


def test_the_page_reads_all_connections_in_one_query_however_many_sessions(agent, django_assert_max_num_queries):
    client = Client()
    client.force_login(agent)
    reported(SessionFactory(agent=agent, code="s0"), 3)
    client.get(PAGE)
    with django_assert_max_num_queries(50) as one:
        client.get(PAGE)
    for number in range(1, 10):
        reported(SessionFactory(agent=agent, code=f"s{number}"), 3, 4)

    with django_assert_max_num_queries(len(one.captured_queries)):
        page = text_of(client.get(PAGE))
    assert page.count("<tr><td>") == 19


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_lists_connections_on_the_session_and_on_their_own(agent, admin_client):
    session = reported(SessionFactory(agent=agent), 12)

    inline = admin_client.get(reverse("admin:sessions_app_session_change", args=[session.pk]))
    listed = admin_client.get(reverse("admin:sessions_app_sessionconnection_changelist"))
    one = admin_client.get(
        reverse("admin:sessions_app_sessionconnection_change", args=[session.connections.get().pk])
    )

    for response in (inline, listed, one):
        assert response.status_code == 200
        assert "Agent Smith" in response.content.decode()
    assert "Hanako&#x27;s PC (987654321)" in inline.content.decode()
    assert "INC-1001" in listed.content.decode()
    assert admin_client.get(reverse("admin:sessions_app_sessionconnection_add")).status_code == 403
