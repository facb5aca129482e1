"""The scheduled cleanup: expiring at TeamViewer, the no-token path, rate limits, retention, claims."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app import tasks
from sessions_app.models import InvitationEmail, LaunchLink, Session
from sessions_app.services.cleanup import sessions_cleanup, sessions_delete_old
from tests.threads import run_in_threads
from tokens_app.models import LoginFlow, TeamViewerToken

from .conftest import TV_SESSIONS, TV_TOKEN_URL, make_session, make_token

PAST = timedelta(minutes=5)
CODE_IN_URL = re.compile(rf"{re.escape(TV_SESSIONS)}/(?P<code>[^/?]+)$")


def expired_session(agent, code: str, **fields) -> Session:
    return make_session(agent, code=code, valid_until=timezone.now() - PAST, **fields)


def closes(tv) -> list[tuple[str, str, dict]]:
    """(code, bearer token, body) of every PUT sent to TeamViewer, in order."""
    return [
        (
            CODE_IN_URL.match(call.request.url).group("code"),
            call.request.headers["Authorization"].removeprefix("Bearer "),
            json.loads(call.request.body),
        )
        for call in tv.calls
        if call.request.method == "PUT"
    ]


def answer_closes(tv, answer=lambda code, attempt: (204, {}, "")) -> Counter:
    """TeamViewer's PUT /sessions/<code>: ``answer(code, attempt)`` decides; returns the tally."""
    attempts: Counter = Counter()
    lock = threading.Lock()

    def callback(request):
        code = CODE_IN_URL.match(request.url).group("code")
        with lock:
            attempts[code] += 1
            attempt = attempts[code]
        return answer(code, attempt)

    tv.add_callback("PUT", CODE_IN_URL, callback=callback, content_type="application/json")
    return attempts


def expire_audits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=AuditEvent.Action.EXPIRE).order_by("session_code"))


# --- expiring -------------------------------------------------------------------------------


def test_cleanup_closes_expired_sessions_at_teamviewer_with_their_agents_tokens(agent, other_agent, tv):
    make_token(agent, access="token-of-smith")
    make_token(other_agent, access="token-of-jones")
    answer_closes(tv)
    mine = expired_session(agent, "s11-111-111", incident_id="INC-1")
    theirs = expired_session(other_agent, "s22-222-222", incident_id="INC-2", state=Session.State.ACTIVE)
    live = make_session(agent, code="s33-333-333", incident_id="INC-3")

    result = sessions_cleanup()

    assert sorted(closes(tv)) == [
        ("s11-111-111", "token-of-smith", {"state": "closed"}),
        ("s22-222-222", "token-of-jones", {"state": "closed"}),
    ]
    for session in (mine, theirs):
        session.refresh_from_db()
        assert session.state == Session.State.EXPIRED and session.closed_at is not None
        assert session.cleanup_claim is None and session.cleanup_lease_until is None
    live.refresh_from_db()
    assert live.state == Session.State.OPEN
    assert [(a.session_code, a.outcome, a.via, a.actor) for a in expire_audits()] == [
        ("s11-111-111", "ok", "cleanup", None),
        ("s22-222-222", "ok", "cleanup", None),
    ]
    assert (result.expired, result.without_token, result.not_found, result.left) == (2, 0, 0, 0)


def test_session_whose_agent_has_no_usable_token_is_expired_here_and_audited(agent, tv):
    session = expired_session(agent, "s44-444-444")

    result = sessions_cleanup()

    assert closes(tv) == []  # nothing to close it with
    session.refresh_from_db()
    assert session.state == Session.State.EXPIRED
    [audit] = expire_audits()
    assert audit.outcome == "teamviewer_login_required" and audit.session_id == session.pk
    assert "no usable TeamViewer token" in audit.detail
    assert (result.expired, result.without_token) == (1, 1)


def test_session_teamviewer_no_longer_knows_is_expired(agent, tv):
    make_token(agent)
    answer_closes(tv, lambda code, attempt: (404, {}, json.dumps({"error": "not_found", "error_code": 7})))
    session = expired_session(agent, "s55-555-555")

    result = sessions_cleanup()

    session.refresh_from_db()
    assert session.state == Session.State.EXPIRED
    assert [audit.outcome for audit in expire_audits()] == ["teamviewer_not_found"]
    assert (result.expired, result.not_found, result.left) == (1, 1, 0)


def test_a_refused_token_is_refreshed_once_and_the_close_retried(agent, tv):
    make_token(agent, access="stale-token")
    tv.post(TV_TOKEN_URL, json={"access_token": "fresh-token", "refresh_token": "r2", "expires_in": 3600})
    answer_closes(
        tv,
        lambda code, attempt: (
            (401, {}, json.dumps({"error": "invalid_token"})) if attempt == 1 else (204, {}, "")
        ),
    )
    session = expired_session(agent, "s66-666-666")

    result = sessions_cleanup()

    assert [token for _code, token, _body in closes(tv)] == ["stale-token", "fresh-token"]
    session.refresh_from_db()
    assert session.state == Session.State.EXPIRED
    assert [audit.outcome for audit in expire_audits()] == ["ok"]
    assert result.without_token == 0


def test_teamviewer_unavailable_leaves_the_session_open_for_the_next_run(agent, tv):
    make_token(agent)
    attempts = answer_closes(tv, lambda code, attempt: (503, {}, "<html>down</html>"))
    session = expired_session(agent, "s77-777-777")

    result = sessions_cleanup()

    session.refresh_from_db()
    assert session.state == Session.State.OPEN and session.cleanup_claim is None
    assert (result.expired, result.left) == (0, 1)
    assert attempts["s77-777-777"] >= 1 and expire_audits() == []


def test_each_run_expires_at_most_its_limit_and_the_next_run_does_the_rest(agent, tv):
    make_token(agent)
    answer_closes(tv)
    sessions = [expired_session(agent, f"s10-000-00{n}", incident_id=f"INC-{n}") for n in range(3)]

    first = sessions_cleanup(limit=2)
    second = sessions_cleanup(limit=2)

    assert (first.expired, second.expired) == (2, 1)
    assert Counter(code for code, _token, _body in closes(tv)) == {s.code: 1 for s in sessions}


def test_a_session_claimed_by_another_run_is_left_to_it_until_its_lease_lapses(agent, tv):
    make_token(agent)
    answer_closes(tv)
    session = expired_session(agent, "s88-888-888")
    Session.objects.filter(pk=session.pk).update(
        cleanup_claim="00000000-0000-0000-0000-000000000001",
        cleanup_lease_until=timezone.now() + timedelta(minutes=10),
    )

    assert sessions_cleanup().expired == 0
    assert closes(tv) == []

    # That run died: once its lease lapses, the next run takes the session over.
    Session.objects.filter(pk=session.pk).update(cleanup_lease_until=timezone.now() - timedelta(seconds=1))
    assert sessions_cleanup().expired == 1
    assert [code for code, _token, _body in closes(tv)] == ["s88-888-888"]


# --- rate limits ----------------------------------------------------------------------------


def rate_limited_once(at_code: str, retry_after: int):
    def answer(code: str, attempt: int):
        if code == at_code and attempt == 1:
            return 429, {"Retry-After": str(retry_after)}, json.dumps({"error": "rate_limit_reached"})
        return 204, {}, ""

    return answer


def test_a_short_retry_after_mid_run_is_waited_out_and_the_run_finishes(agent, tv, settings):
    settings.CLEANUP_MAX_WAIT_SECONDS = 5
    make_token(agent)
    attempts = answer_closes(tv, rate_limited_once("s20-000-001", retry_after=1))
    sessions = [expired_session(agent, f"s20-000-00{n}", incident_id=f"INC-{n}") for n in range(3)]

    result = sessions_cleanup(concurrency=1)

    assert result.rate_limited and (result.expired, result.left) == (3, 0)
    assert attempts == {"s20-000-000": 1, "s20-000-001": 2, "s20-000-002": 1}
    assert all(Session.objects.get(pk=s.pk).state == Session.State.EXPIRED for s in sessions)


def test_a_long_retry_after_mid_run_stops_the_run_and_the_next_one_finishes(agent, tv, settings):
    settings.CLEANUP_MAX_WAIT_SECONDS = 5
    make_token(agent)
    attempts = answer_closes(tv, rate_limited_once("s30-000-001", retry_after=120))
    sessions = [expired_session(agent, f"s30-000-00{n}", incident_id=f"INC-{n}") for n in range(3)]

    first = sessions_cleanup(concurrency=1)

    assert first.rate_limited and (first.expired, first.left) == (1, 2)
    assert attempts == {"s30-000-000": 1, "s30-000-001": 1}  # nothing sent after the 429
    states = {s.code: Session.objects.get(pk=s.pk).state for s in sessions}
    assert states == {"s30-000-000": "expired", "s30-000-001": "open", "s30-000-002": "open"}
    assert not Session.objects.filter(cleanup_claim__isnull=False).exists()

    second = sessions_cleanup(concurrency=1)

    assert not second.rate_limited and second.expired == 2
    assert attempts == {"s30-000-000": 1, "s30-000-001": 2, "s30-000-002": 1}
    assert all(Session.objects.get(pk=s.pk).state == Session.State.EXPIRED for s in sessions)
    assert sorted(a.session_code for a in expire_audits()) == sorted(s.code for s in sessions)


def test_teamviewer_403_rate_limit_reached_without_retry_after_stops_the_run(agent, tv, settings):
    settings.CLEANUP_MAX_WAIT_SECONDS = 5  # no Retry-After: 60 s is assumed, longer than this
    make_token(agent)
    answer_closes(tv, lambda code, attempt: (403, {}, json.dumps({"error": "rate_limit_reached"})))
    session = expired_session(agent, "s40-000-000")

    result = sessions_cleanup(concurrency=1)

    assert result.rate_limited and result.left == 1
    assert Session.objects.get(pk=session.pk).state == Session.State.OPEN


# --- two runs at once -----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_two_cleanups_at_once_close_each_session_exactly_once(
    requires_postgres, transactional_db, agent, tv, monkeypatch
):
    monkeypatch.setattr("sessions_app.services.expiry.CHUNK", 5)  # many claims each, interleaved
    make_token(agent)

    def slow_close(code, attempt):
        time.sleep(0.01)  # the runs overlap for real
        return 204, {}, ""

    attempts = answer_closes(tv, slow_close)
    codes = [f"s50-000-{n:03d}" for n in range(60)]
    for n, code in enumerate(codes):
        expired_session(agent, code, incident_id=f"INC-{n}")
    start = threading.Barrier(2)
    results = []

    def run() -> None:
        try:
            start.wait(timeout=10)
            results.append(sessions_cleanup(concurrency=4, rate_limit=0))
        finally:
            connection.close()

    run_in_threads(run, 2, timeout=60)

    assert len(results) == 2
    assert attempts == {code: 1 for code in codes}
    assert sum(result.expired for result in results) == len(codes)
    assert Session.objects.filter(state=Session.State.EXPIRED).count() == len(codes)
    assert len(expire_audits()) == len(codes)


# --- retention and purges -------------------------------------------------------------------


def _age(session: Session, days: float, *, closed: bool = True) -> Session:
    when = timezone.now() - timedelta(days=days)
    Session.objects.filter(pk=session.pk).update(closed_at=when if closed else None, updated_at=when)
    return session


def test_retention_deletes_old_finished_sessions_and_keeps_what_must_stay(agent, settings):
    settings.SESSION_RETENTION_DAYS = 30
    old_closed = _age(make_session(agent, code="s60-000-001", state="closed", incident_id="INC-1"), 31)
    old_expired = _age(make_session(agent, code="s60-000-002", state="expired", incident_id="INC-2"), 45)
    never_closed_at = _age(
        make_session(agent, code="s60-000-003", state="closed", incident_id="INC-3"), 40, closed=False
    )
    recent = _age(make_session(agent, code="s60-000-004", state="closed", incident_id="INC-4"), 29)
    old_but_open = _age(make_session(agent, code="s60-000-005", incident_id="INC-5"), 60, closed=False)
    email = InvitationEmail.objects.create(session=old_closed, to="a@example.com", language="en")
    audit = AuditEvent.objects.create(
        action=AuditEvent.Action.CLOSE, session_id=old_closed.pk, session_code=old_closed.code
    )

    deleted = sessions_delete_old(limit=100)

    assert deleted == 3
    assert set(Session.objects.values_list("code", flat=True)) == {recent.code, old_but_open.code}
    assert not InvitationEmail.objects.filter(pk=email.pk).exists()
    audit.refresh_from_db()  # the audit trail stays, still naming the session it was about
    assert audit.session_id == old_closed.pk and audit.session_code == "s60-000-001"
    assert {old_expired.pk, never_closed_at.pk}.isdisjoint(Session.objects.values_list("pk", flat=True))


def test_retention_deletes_at_most_the_limit_per_run(agent):
    for n in range(3):
        _age(make_session(agent, code=f"s61-000-00{n}", state="closed", incident_id=f"INC-{n}"), 90)

    assert sessions_delete_old(limit=2) == 2
    assert sessions_delete_old(limit=2) == 1
    assert not Session.objects.exists()


def test_cleanup_purges_logins_dead_tokens_launch_links_and_redrives_the_outbox(
    agent, other_agent, monkeypatch
):
    handed: list[int] = []
    monkeypatch.setattr(
        "sessions_app.services.emails.invitation_enqueue", lambda email_id: handed.append(email_id) or True
    )
    past = timezone.now() - timedelta(days=2)
    stale_flow = LoginFlow.objects.create(agent=agent, expires_at=past)
    live_flow = LoginFlow.objects.create(agent=agent)
    TeamViewerToken.objects.create(agent=agent, access_token="a", refresh_token="", expires_at=past)
    make_token(other_agent)  # alive: stays
    LaunchLink.objects.create(digest="d" * 64, agent=agent, incident_id="INC-1", expires_at=past)
    stuck = InvitationEmail.objects.create(session=make_session(agent), to="a@example.com", language="en")

    result = sessions_cleanup()

    assert (result.login_flows, result.tokens, result.launch_links, result.invitations) == (1, 1, 1, 1)
    assert list(LoginFlow.objects.values_list("pk", flat=True)) == [live_flow.pk] != [stale_flow.pk]
    assert list(TeamViewerToken.objects.values_list("agent", flat=True)) == [other_agent.pk]
    assert not LaunchLink.objects.exists()
    assert handed == [stuck.pk]


# --- the command, the tasks, the log line ----------------------------------------------------


def test_command_runs_the_cleanup_and_prints_the_counts(agent, tv):
    make_token(agent)
    answer_closes(tv)
    expired_session(agent, "s70-000-001", incident_id="INC-1")
    expired_session(agent, "s70-000-002", incident_id="INC-2")
    out = StringIO()

    call_command("teamviewer_cleanup", "--limit", "1", stdout=out)

    assert "Expired sessions: 1 (no usable token: 0, unknown to TeamViewer: 0)" in out.getvalue()
    assert "Deleted old sessions: 0" in out.getvalue()
    assert Session.objects.filter(state="open").count() == 1


def test_command_refuses_a_limit_below_one(db):
    with pytest.raises(CommandError, match="--limit"):
        call_command("teamviewer_cleanup", "--limit", "0", stdout=StringIO())


def test_cleanup_task_runs_the_service_and_logs_one_line_with_the_counts(agent, tv, caplog):
    expired_session(agent, "s80-000-001")

    with caplog.at_level("INFO", logger="sessions_app.services.cleanup"):
        counts = tasks.teamviewer_cleanup.run()

    assert counts["expired"] == 1 and counts["without_token"] == 1
    [line] = [r.getMessage() for r in caplog.records if r.name == "sessions_app.services.cleanup"]
    assert "expired=1" in line and "deleted=0" in line and "without_token=1" in line


def test_beat_runs_the_cleanup_and_the_state_sync_at_their_configured_intervals(settings):
    from csm_teamviewer.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    cleanup, sync = schedule["teamviewer-cleanup"], schedule["sync-session-states"]
    assert cleanup["task"] in app.tasks and sync["task"] in app.tasks
    assert cleanup["schedule"] == settings.CLEANUP_INTERVAL_SECONDS
    assert sync["schedule"] == settings.SESSION_SYNC_INTERVAL_SECONDS
