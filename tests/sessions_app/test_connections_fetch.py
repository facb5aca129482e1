"""Fetching a closed session's connection reports (services/connection_fetch.py, tasks.py), with
TeamViewer mocked at its HTTP boundary."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app import tasks
from sessions_app.models import Session, SessionConnection
from sessions_app.services.connection_fetch import connection_reports_fetch
from tokens_app.models import TeamViewerToken

from .conftest import BEARER, TV_TOKEN_URL
from .connection_reports import REPORTS_URL, answer_reports, closed_session, due, report


def fetch(session: Session) -> tuple[str, float | None]:
    result = connection_reports_fetch(session_id=session.pk)
    session.refresh_from_db()
    return result.outcome, result.retry_in


def rows(session: Session) -> list[tuple]:
    return list(
        SessionConnection.objects.filter(session=session).values_list(
            "report_id", "duration_seconds", "supporter", "device_name", "device_id", "notes"
        )
    )


def report_audits() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.REPORT).values_list("outcome", "detail"))


@pytest.mark.parametrize("remaining_field", ["records_remaining", "reports_remaining"])
def test_every_page_of_reports_is_stored_whichever_name_the_remaining_count_has(
    agent, tv, tv_token, settings, remaining_field
):
    settings.CONNECTION_REPORT_RETRY_BASE_SECONDS = 60
    session = closed_session(agent)
    first, second = answer_reports(
        tv,
        {"records": [report("r-1", minutes=12)], remaining_field: 1, "next_offset": "r-1"},
        # The last page may still name an offset: its count of zero ends the paging.
        {"records": [report("r-2", minutes=5, devicename="", notes="")], remaining_field: 0, "next_offset": "r-2"},
    )

    outcome, retry_in = fetch(session)

    assert outcome == "stored" and retry_in == 60  # the first fetch is never final: fetched again
    assert rows(session) == [
        ("r-1", 720, "Agent Smith", "Hanako's PC", "987654321", "Printer driver reinstalled."),
        ("r-2", 300, "Agent Smith", "", "987654321", ""),
    ]
    assert len(tv.calls) == 2
    assert all(BEARER(mock.calls[0].request)[0] for mock in (first, second))  # the agent's token
    assert (session.connections_count, session.connections_final, session.connections_attempts) == (2, False, 1)
    assert session.connections_due_at > timezone.now() + timedelta(seconds=50)


def test_a_fetch_again_updates_the_rows_never_doubles_them_and_the_same_reports_again_are_final(
    agent, tv, tv_token
):
    session = closed_session(agent)
    answer_reports(tv, {"records": [report("r-1", minutes=None, notes="")], "records_remaining": 0})
    assert fetch(session)[0] == "stored"
    assert rows(session)[0][1] is None  # still running at TeamViewer: no end, no duration yet

    tv.reset()
    answer_reports(tv, {"records": [report("r-1", minutes=20)], "records_remaining": 0})
    assert fetch(due(session))[0] == "stored"  # ended now: seen once ended, fetched once more
    tv.reset()
    answer_reports(tv, {"records": [report("r-1", minutes=20)], "records_remaining": 0})
    outcome, retry_in = fetch(due(session))

    assert (outcome, retry_in) == ("final", None)
    assert rows(session) == [("r-1", 1200, "Agent Smith", "Hanako's PC", "987654321", "Printer driver reinstalled.")]
    assert (session.connections_count, session.connections_final, session.connections_due_at) == (1, True, None)
    assert session.connections_status == "final"
    assert report_audits() == [("connected", "1 connection(s), 1200 s in all")]


def test_no_report_yet_is_fetched_again_at_growing_intervals(agent, tv, tv_token, settings):
    settings.CONNECTION_REPORT_RETRY_BASE_SECONDS = 60
    session = closed_session(agent)
    answer_reports(tv, {"records": [], "records_remaining": 0})

    waits = [fetch(due(session))[1] for _ in range(3)]

    assert waits == [60, 120, 240]
    assert (session.connections_final, session.connections_count, session.connections_attempts) == (False, 0, 3)
    assert session.connections_status == "pending"
    assert report_audits() == []


def test_the_last_fetch_falls_at_the_windows_end(agent, tv, tv_token, settings):
    settings.CONNECTION_REPORT_RETRY_BASE_SECONDS = 3600
    settings.CONNECTION_REPORT_WINDOW_SECONDS = 3600
    session = closed_session(agent, minutes_ago=59)
    answer_reports(tv, {"records": [], "records_remaining": 0})

    _outcome, retry_in = fetch(session)

    assert 0 < retry_in <= 60


def test_an_empty_report_at_the_windows_end_is_final_the_customer_never_connected(agent, tv, tv_token, settings):
    settings.CONNECTION_REPORT_WINDOW_SECONDS = 3600
    session = closed_session(agent, minutes_ago=61)
    answer_reports(tv, {"records": [], "records_remaining": 0})

    assert fetch(session) == ("final", None)
    assert (session.connections_final, session.connections_count, session.connections_error) == (True, 0, "")
    assert session.connections_fetched_at is not None
    assert report_audits() == [("never_connected", "0 connection(s), 0 s in all")]


def test_a_revoked_sign_in_gives_the_fetch_up_with_the_reason(agent, tv, tv_token):
    session = closed_session(agent)
    tv.get(REPORTS_URL, status=401, json={"error": "invalid_token"})
    tv.post(TV_TOKEN_URL, status=400, json={"error": "invalid_grant"})

    assert fetch(session) == ("given_up", None)
    assert session.connections_final and session.connections_due_at is None
    assert "sign-in is no longer valid" in session.connections_error
    assert session.connections_status == "failed"
    assert not TeamViewerToken.objects.filter(agent=agent).exists()  # only a new sign-in will do
    [(outcome, detail)] = report_audits()
    assert outcome == "unavailable" and "sign-in" in detail


def test_teamviewer_refusing_the_call_gives_up_with_its_words(agent, tv, tv_token):
    session = closed_session(agent)
    tv.get(REPORTS_URL, status=403, json={"error": "permission_denied", "error_description": "No ViewOwnConnections."})

    assert fetch(session)[0] == "given_up"
    assert "No ViewOwnConnections." in session.connections_error


@pytest.mark.parametrize(
    ("answer", "wait"),
    [
        ({"status": 503, "body": "<html>down</html>"}, 60),
        ({"status": 429, "json": {"error": "rate_limit_reached"}, "headers": {"Retry-After": "300"}}, 300),
    ],
    ids=["down", "rate-limited"],
)
def test_teamviewer_down_or_limiting_is_tried_again_later(agent, tv, tv_token, settings, answer, wait):
    settings.CONNECTION_REPORT_RETRY_BASE_SECONDS = 60
    session = closed_session(agent)
    tv.get(REPORTS_URL, **answer)

    assert fetch(session) == ("retrying", wait)
    assert (session.connections_final, session.connections_attempts, session.connections_error) == (False, 1, "")
    assert session.connections_due_at > timezone.now() + timedelta(seconds=wait - 10)
    assert report_audits() == []


def test_after_its_attempts_a_fetch_teamviewer_never_answered_is_given_up(agent, tv, tv_token, settings):
    settings.CONNECTION_REPORT_MAX_ATTEMPTS = 2
    session = closed_session(agent)
    tv.get(REPORTS_URL, status=503, body="down")

    outcomes = [fetch(due(session))[0] for _ in range(2)]

    assert outcomes == ["retrying", "given_up"]
    assert session.connections_final and "2 attempts" in session.connections_error


def test_a_fetch_not_due_or_held_by_another_worker_is_skipped(agent, tv, tv_token):
    later = closed_session(agent)
    Session.objects.filter(pk=later.pk).update(connections_due_at=timezone.now() + timedelta(minutes=1))
    live = closed_session(agent, code="s55-000-001", state="open", connections_due_at=None)

    assert fetch(later) == ("skipped", None)
    assert fetch(live) == ("skipped", None)
    assert len(tv.calls) == 0  # nothing asked of TeamViewer


def test_a_session_without_a_code_is_final_at_once_without_asking_teamviewer(agent, tv, tv_token):
    session = closed_session(agent, code="")

    assert fetch(session) == ("final", None)
    assert session.connections_final and len(tv.calls) == 0


def test_reports_of_another_code_are_not_stored(agent, tv, tv_token):
    session = closed_session(agent)
    answer_reports(tv, {"records": [report("r-1"), report("r-9", code="s99-999-999")], "records_remaining": 0})

    fetch(session)

    assert [row[0] for row in rows(session)] == ["r-1"]


def test_the_task_retries_when_the_session_says_the_next_fetch_is_due(agent, tv, tv_token, settings, monkeypatch):
    settings.CONNECTION_REPORT_RETRY_BASE_SECONDS = 42
    session = closed_session(agent)
    answer_reports(tv, {"records": [], "records_remaining": 0})
    retried = {}

    class Retry(Exception):
        pass

    monkeypatch.setattr(tasks.fetch_connection_reports, "retry", lambda **kwargs: retried.update(kwargs) or Retry())

    with pytest.raises(Retry):
        tasks.fetch_connection_reports.run(str(session.pk))

    assert retried == {"countdown": 42}


def test_the_task_ends_without_retry_once_the_report_is_final(agent, tv, tv_token):
    session = closed_session(agent, minutes_ago=120)
    answer_reports(tv, {"records": [report("r-1")], "records_remaining": 0})

    assert tasks.fetch_connection_reports.run(str(session.pk)) == "final"
    assert json.loads(json.dumps(rows(session)))[0][0] == "r-1"
