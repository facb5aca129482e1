"""The scheduled cleanup (services/cleanup.py): retention, purges, the command, the task and its log line."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app import tasks
from sessions_app.models import InvitationEmail, LaunchLink, Session
from sessions_app.services.cleanup import sessions_cleanup, sessions_delete_old
from tests.factories import (
    AuditEventFactory,
    InvitationEmailFactory,
    LaunchLinkFactory,
    LoginFlowFactory,
    SessionFactory,
    TeamViewerTokenFactory,
)
from tokens_app.models import LoginFlow, TeamViewerToken

from .expiring import answer_closes, expired_session

# --- retention and purges -------------------------------------------------------------------


def _age(session: Session, days: float, *, closed: bool = True) -> Session:
    when = timezone.now() - timedelta(days=days)
    Session.objects.filter(pk=session.pk).update(closed_at=when if closed else None, updated_at=when)
    return session


def test_retention_deletes_old_finished_sessions_and_keeps_what_must_stay(agent, settings):
    settings.SESSION_RETENTION_DAYS = 30
    old_closed = _age(SessionFactory(agent=agent, code="s60-000-001", state="closed", incident_id="INC-1"), 31)
    old_expired = _age(SessionFactory(agent=agent, code="s60-000-002", state="expired", incident_id="INC-2"), 45)
    never_closed_at = _age(
        SessionFactory(agent=agent, code="s60-000-003", state="closed", incident_id="INC-3"), 40, closed=False
    )
    recent = _age(SessionFactory(agent=agent, code="s60-000-004", state="closed", incident_id="INC-4"), 29)
    old_but_open = _age(SessionFactory(agent=agent, code="s60-000-005", incident_id="INC-5"), 60, closed=False)
    email = InvitationEmailFactory(session=old_closed)
    audit = AuditEventFactory(action=AuditEvent.Action.CLOSE, session=old_closed)

    deleted = sessions_delete_old(limit=100)

    assert deleted == 3
    assert set(Session.objects.values_list("code", flat=True)) == {recent.code, old_but_open.code}
    assert not InvitationEmail.objects.filter(pk=email.pk).exists()
    audit.refresh_from_db()  # the audit trail stays, still naming the session it was about
    assert audit.session_id == old_closed.pk and audit.session_code == "s60-000-001"
    assert {old_expired.pk, never_closed_at.pk}.isdisjoint(Session.objects.values_list("pk", flat=True))


def test_retention_deletes_at_most_the_limit_per_run(agent):
    for n in range(3):
        _age(SessionFactory(agent=agent, code=f"s61-000-00{n}", state="closed", incident_id=f"INC-{n}"), 90)

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
    stale_flow = LoginFlowFactory(agent=agent, expires_at=past)
    live_flow = LoginFlowFactory(agent=agent)
    TeamViewerTokenFactory(agent=agent, refresh_token="", expires_at=past)  # dead: cannot be refreshed
    TeamViewerTokenFactory(agent=other_agent)  # alive: stays
    LaunchLinkFactory(agent=agent, expires_at=past)
    stuck = InvitationEmailFactory(session=SessionFactory(agent=agent))

    result = sessions_cleanup()

    assert (result.login_flows, result.tokens, result.launch_links, result.invitations) == (1, 1, 1, 1)
    assert list(LoginFlow.objects.values_list("pk", flat=True)) == [live_flow.pk] != [stale_flow.pk]
    assert list(TeamViewerToken.objects.values_list("agent", flat=True)) == [other_agent.pk]
    assert not LaunchLink.objects.exists()
    assert handed == [stuck.pk]


# --- the command, the tasks, the log line ----------------------------------------------------


def test_command_runs_the_cleanup_and_prints_the_counts(agent, tv):
    TeamViewerTokenFactory(agent=agent)
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
