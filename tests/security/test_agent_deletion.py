"""Deleting an agent revokes their TeamViewer token at TeamViewer (after the delete commits),
instead of dropping the row and leaving the token valid there until it lapses."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tests.conftest import TV_API
from tests.factories import TeamViewerTokenFactory
from tests.tokens_app.conftest import TOKEN_URL, form, token_body
from tokens_app.models import TeamViewerToken

REVOKE_URL = f"{TV_API}/oauth2/revoke"
ACCESS = "tv-access-DELETED-7e2a"


def test_deleting_an_agent_revokes_their_token_once_the_delete_commits(
    agent, tv, django_capture_on_commit_callbacks
):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    revoke = tv.post(REVOKE_URL, status=204)

    with django_capture_on_commit_callbacks() as callbacks:
        agent.delete()
        assert len(tv.calls) == 0  # not inside the delete's transaction
    assert not TeamViewerToken.objects.exists()
    for callback in callbacks:
        callback()

    assert [call.request.headers["Authorization"] for call in revoke.calls] == [f"Bearer {ACCESS}"]


def test_a_stale_token_is_refreshed_first_so_the_revoke_kills_the_refresh_token_too(
    agent, tv, django_capture_on_commit_callbacks
):
    token = TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    TeamViewerToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    refresh = tv.post(TOKEN_URL, json=token_body(access="tv-access-fresh"))
    revoke = tv.post(REVOKE_URL, status=204)

    with django_capture_on_commit_callbacks(execute=True):
        agent.delete()

    assert form(refresh.calls[0].request)["refresh_token"] == token.refresh_token
    assert [call.request.headers["Authorization"] for call in revoke.calls] == ["Bearer tv-access-fresh"]


def test_deleting_agents_in_bulk_revokes_each_token(
    agent, other_agent, tv, django_capture_on_commit_callbacks
):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    TeamViewerTokenFactory(agent=other_agent, access_token="tv-access-other")
    revoke = tv.post(REVOKE_URL, status=204)

    with django_capture_on_commit_callbacks(execute=True):
        get_user_model().objects.filter(pk__in=[agent.pk, other_agent.pk]).delete()

    sent = sorted(call.request.headers["Authorization"] for call in revoke.calls)
    assert sent == sorted([f"Bearer {ACCESS}", "Bearer tv-access-other"])


def test_a_delete_rolled_back_revokes_nothing(agent, tv, django_capture_on_commit_callbacks):
    TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    agent_id = agent.pk

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            agent.delete()
            raise RuntimeError("the admin's delete failed")

    assert callbacks == [] and len(tv.calls) == 0
    assert TeamViewerToken.objects.filter(agent_id=agent_id).exists()


@pytest.mark.parametrize(("status", "error"), [(503, "internal_error"), (403, "rate_limit_reached")])
def test_teamviewer_failing_the_revoke_is_logged_without_the_token(
    agent, tv, caplog, django_capture_on_commit_callbacks, status, error
):
    token = TeamViewerTokenFactory(agent=agent, access_token=ACCESS)
    agent_id = agent.pk
    tv.post(REVOKE_URL, status=status, json={"error": error})

    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        agent.delete()

    assert not get_user_model().objects.filter(pk=agent_id).exists()
    assert f"Deleted agent {agent_id}: revoke at TeamViewer failed (" in caplog.text
    assert ACCESS not in caplog.text and token.refresh_token not in caplog.text


def test_deleting_an_agent_without_a_token_calls_nobody(agent, tv, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        agent.delete()
    assert callbacks == [] and len(tv.calls) == 0
