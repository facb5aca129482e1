"""The session list refreshing itself: TeamViewer asked about the live sessions, at most once per
interval, and a customer who connects announced once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from sessions_app.models import Session
from tests.factories import SessionFactory

from .conftest import BEARER, TV_SESSIONS, tv_session_body
from .page_client import LIST, PAGE, text_of


def tv_get(tv, session: Session, **body) -> None:
    tv.get(
        f"{TV_SESSIONS}/{session.code}",
        json=tv_session_body(session.code, **body),
        match=[BEARER],
    )


def test_the_list_shows_the_customer_online_once_teamviewer_says_they_are_online(
    signed_in, open_session, tv, tv_token
):
    tv_get(tv, open_session, online=True)
    response = signed_in.get(LIST)
    assert response.status_code == 200
    assert '<span class="badge badge-active">' in text_of(response)
    open_session.refresh_from_db()
    assert open_session.state == Session.State.ACTIVE
    event = AuditEvent.objects.get(action=AuditEvent.Action.SYNC)
    assert (event.session_id, event.outcome) == (open_session.pk, "active")


def test_another_agents_view_asks_with_the_sessions_agents_token(client, other_agent, open_session, tv, tv_token):
    client.force_login(other_agent)
    tv_get(tv, open_session, online=True)
    assert '<span class="badge badge-active">' in text_of(client.get(LIST))


def test_teamviewer_is_asked_about_a_session_at_most_once_per_interval(signed_in, open_session, tv, tv_token):
    tv_get(tv, open_session, online=False)
    signed_in.get(LIST)
    signed_in.get(LIST)
    assert len(tv.calls) == 1
    assert Session.objects.get().state == Session.State.OPEN


def test_a_session_closed_at_teamviewer_shows_closed(signed_in, open_session, tv, tv_token):
    tv_get(tv, open_session, state="closed")
    assert '<span class="badge badge-closed">' in text_of(signed_in.get(LIST))
    open_session.refresh_from_db()
    assert open_session.state == Session.State.CLOSED and open_session.closed_at is not None


def test_a_customer_who_left_again_still_counts_as_connected(signed_in, agent, tv, tv_token):
    session = SessionFactory(agent=agent, state=Session.State.ACTIVE)
    tv_get(tv, session, online=False)
    signed_in.get(LIST)
    assert Session.objects.get().state == Session.State.ACTIVE


@pytest.mark.parametrize(
    "answer",
    [{"status": 503}, {"status": 429, "headers": {"Retry-After": "30"}}, {"body": requests.ConnectionError()}],
)
def test_teamviewer_failing_to_answer_leaves_the_state_as_it_was(signed_in, open_session, tv, tv_token, answer):
    tv.get(f"{TV_SESSIONS}/{open_session.code}", **answer)
    response = signed_in.get(LIST)
    assert response.status_code == 200
    assert '<span class="badge badge-open">' in text_of(response)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SYNC).exists()


def test_without_a_teamviewer_token_the_list_shows_what_it_knows(signed_in, open_session, tv):
    response = signed_in.get(LIST)
    assert response.status_code == 200 and open_session.code in text_of(response)
    assert len(tv.calls) == 0


def test_closed_and_expired_sessions_are_never_asked_about(signed_in, agent, tv, tv_token):
    SessionFactory(agent=agent, state=Session.State.CLOSED, code="s11-111-111")
    SessionFactory(agent=agent, valid_until=timezone.now() - timedelta(minutes=1), code="s22-222-222")
    signed_in.get(LIST)
    assert len(tv.calls) == 0


def test_the_list_polls_at_the_sync_interval_while_a_session_is_live(signed_in, open_session, settings):
    settings.SESSION_SYNC_SECONDS = 7
    page = text_of(signed_in.get(PAGE))
    assert 'hx-trigger="every 7s, teamviewer-page-visible from:body, teamviewer-login-done from:body"' in page
    assert f"/incidents/INC-1001/sessions/?waiting={open_session.pk}" in page


def test_the_list_stops_polling_once_no_session_is_live(signed_in, agent, tv, tv_token):
    session = SessionFactory(agent=agent, state=Session.State.CLOSED, closed_at=timezone.now())
    listed = text_of(signed_in.get(LIST))
    assert 'hx-trigger="teamviewer-login-done from:body"' in listed and "every " not in listed
    assert session.code in listed


def test_a_customer_the_page_showed_waiting_is_announced_once_connected(signed_in, open_session, tv, tv_token):
    tv_get(tv, open_session, online=True)
    listed = text_of(signed_in.get(f"{LIST}?waiting={open_session.pk}", HTTP_ACCEPT_LANGUAGE="ja"))
    assert '<div id="message" hx-swap-oob="innerHTML">' in listed
    assert f"セッション {open_session.code} のお客様がオンラインになり" in listed


def test_a_customer_already_shown_connected_is_not_announced_again(signed_in, agent, tv, tv_token):
    session = SessionFactory(agent=agent, state=Session.State.ACTIVE)
    tv_get(tv, session, online=True)
    listed = text_of(signed_in.get(LIST))
    assert '<span class="badge badge-active">' in listed and 'id="message"' not in listed


@pytest.mark.parametrize("waiting", ["x" * 5000, ",,,", "%00", "00000000-0000-0000-0000-000000000000"])
def test_whatever_the_poll_names_as_waiting_the_list_answers(signed_in, open_session, waiting):
    response = signed_in.get(LIST, {"waiting": waiting})
    assert response.status_code == 200 and open_session.code in text_of(response)
