"""The login's callback refuses what it did not start: replays, unknown or expired states, other browsers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import LoginFlowFactory
from tokens_app.models import LoginFlow, TeamViewerToken
from tokens_app.views import FLOW_COOKIE

from .conftest import AUTH_CODE, CALLBACK_PATH, TOKEN_URL, assert_refused, bind_browser, calls_to, start_path


def assert_refused_and_nothing_stored(response, tv) -> None:
    assert_refused(response)
    assert not TeamViewerToken.objects.exists()
    assert calls_to(tv, TOKEN_URL) == []


def test_replayed_callback_is_refused_and_sends_no_second_token_request(
    client, tv, token_endpoint, pending_flow, resumed_calls
):
    token_endpoint()
    client.get(start_path(pending_flow))
    first = client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})
    assert first.status_code == 200
    stored = TeamViewerToken.objects.get()
    bind_browser(client, pending_flow.flow_id)  # even with the binding cookie put back

    replay = client.get(CALLBACK_PATH, {"state": pending_flow.state, "code": AUTH_CODE})

    assert_refused(replay)
    assert len(calls_to(tv, TOKEN_URL)) == 1
    assert TeamViewerToken.objects.get().version == stored.version
    assert len(resumed_calls) == 1


def test_unknown_state_is_refused_and_stores_nothing(client, tv, token_endpoint, flow):
    token_endpoint()
    bind_browser(client, flow.flow_id)

    response = client.get(CALLBACK_PATH, {"state": "not-a-state-we-issued", "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)
    flow.refresh_from_db()
    assert flow.used_at is None


def test_expired_state_is_refused_and_stores_nothing(client, tv, token_endpoint, agent):
    expired = LoginFlowFactory(agent=agent, started=True, expires_at=timezone.now() - timedelta(seconds=1))
    token_endpoint()
    bind_browser(client, expired.flow_id)

    response = client.get(CALLBACK_PATH, {"state": expired.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


def test_callback_without_the_browser_binding_cookie_is_refused_and_stores_nothing(
    client, tv, token_endpoint, flow
):
    token_endpoint()

    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)
    flow.refresh_from_db()
    assert flow.used_at is None
    assert flow.status == LoginFlow.Status.STARTED


def test_callback_from_a_browser_that_started_another_login_is_refused(
    client, tv, token_endpoint, agent, flow
):
    token_endpoint()
    other = LoginFlowFactory(agent=agent, started=True)
    bind_browser(client, other.flow_id)

    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


def test_callback_with_a_forged_cookie_is_refused(client, tv, token_endpoint, flow):
    token_endpoint()
    client.cookies[FLOW_COOKIE] = flow.flow_id  # unsigned

    response = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


def test_callback_for_a_login_never_started_is_refused(client, tv, token_endpoint, agent):
    unopened = LoginFlowFactory(agent=agent)
    token_endpoint()
    bind_browser(client, unopened.flow_id)

    response = client.get(CALLBACK_PATH, {"state": unopened.state, "code": AUTH_CODE})

    assert_refused_and_nothing_stored(response, tv)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"state": ""},
        {"state": "\x00", "code": AUTH_CODE},
        {"state": "x" * 5000, "code": AUTH_CODE},
        {"code": AUTH_CODE},
    ],
)
def test_malformed_callbacks_get_the_error_page_not_a_server_error(client, tv, token_endpoint, flow, query):
    token_endpoint()
    bind_browser(client, flow.flow_id)

    response = client.get(CALLBACK_PATH, query)

    assert_refused_and_nothing_stored(response, tv)
