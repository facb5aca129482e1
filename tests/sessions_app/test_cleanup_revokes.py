"""The cleanup also revokes the tokens still held for deactivated agents (a revoke that failed
when the agent was deactivated, or agents deactivated by a bulk update, which sends no signal)."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from sessions_app import tasks
from sessions_app.services.cleanup import sessions_cleanup
from tests.conftest import TV_API
from tests.factories import TeamViewerTokenFactory
from tokens_app.models import TeamViewerToken

REVOKE_URL = f"{TV_API}/oauth2/revoke"


def deactivate_in_bulk(*agents) -> None:
    get_user_model().objects.filter(pk__in=[a.pk for a in agents]).update(is_active=False)


def test_cleanup_revokes_a_deactivated_agents_token_and_counts_it(agent, other_agent, tv):
    TeamViewerTokenFactory(agent=agent, access_token="tv-access-gone-agent")
    TeamViewerTokenFactory(agent=other_agent)  # active: kept, TeamViewer not asked
    deactivate_in_bulk(agent)
    revoke = tv.post(REVOKE_URL, status=204)

    result = sessions_cleanup()

    assert result.revoked_tokens == 1
    assert [c.request.headers["Authorization"] for c in revoke.calls] == ["Bearer tv-access-gone-agent"]
    assert list(TeamViewerToken.objects.values_list("agent", flat=True)) == [other_agent.pk]


def test_a_revoke_teamviewer_refuses_now_is_left_for_the_next_run(agent, tv):
    TeamViewerTokenFactory(agent=agent)
    deactivate_in_bulk(agent)
    tv.post(REVOKE_URL, status=503)

    assert sessions_cleanup().revoked_tokens == 0
    assert TeamViewerToken.objects.filter(agent=agent).exists()

    tv.replace("POST", REVOKE_URL, status=204)
    assert sessions_cleanup().revoked_tokens == 1
    assert not TeamViewerToken.objects.exists()


def test_the_log_line_reports_the_revoked_tokens(agent, tv, caplog):
    TeamViewerTokenFactory(agent=agent)
    deactivate_in_bulk(agent)
    tv.post(REVOKE_URL, status=204)

    with caplog.at_level("INFO", logger="sessions_app.services.cleanup"):
        counts = tasks.teamviewer_cleanup.run()

    assert counts["revoked_tokens"] == 1
    assert "revoked_tokens=1" in caplog.text


def test_the_command_prints_the_revoked_tokens(agent, tv):
    TeamViewerTokenFactory(agent=agent)
    deactivate_in_bulk(agent)
    tv.post(REVOKE_URL, status=204)
    out = StringIO()

    call_command("teamviewer_cleanup", stdout=out)

    assert "Revoked tokens of deactivated agents: 1" in out.getvalue()
