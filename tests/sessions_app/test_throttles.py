"""Request budgets per API key and per agent (sessions_app/throttles.py): 429 ``throttled``."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from redis import Redis

from sessions_app.services.api_keys import api_key_create
from sessions_app.throttles import AgentThrottle
from tests.asserts import assert_page_error
from tests.prerequisites import missing
from tests.security.conftest import Browser
from tests.sessions_app.conftest import API, client_for
from tests.test_settings import _manage
from tests.threads import run_in_threads

ME = f"{API}/me/teamviewer/"
NOON = datetime(2026, 1, 5, 12, 0, 10, tzinfo=UTC)


@pytest.fixture
def budgets(settings):
    def set_rates(*, per_key: str = "", per_agent: str = "") -> None:
        settings.API_THROTTLE_PER_KEY = per_key
        settings.API_THROTTLE_PER_AGENT = per_agent

    return set_rates


def _statuses(client, count: int) -> list[int]:
    return [client.get(ME).status_code for _ in range(count)]


def test_a_key_over_its_budget_gets_429_throttled_with_retry_after(api_key, agent, other_agent, budgets):
    budgets(per_key="3/min")
    with time_machine.travel(NOON, tick=False):
        spent = _statuses(client_for(api_key, agent.username), 2) + _statuses(
            client_for(api_key, other_agent.username), 1
        )
        response = client_for(api_key, other_agent.username).get(ME)
    assert spent == [200, 200, 200]
    assert response.status_code == 429
    # The window started at 12:00:00; it is 12:00:10.
    assert response.json() == {"code": "throttled", "detail": response.json()["detail"], "retry_after": 50}
    assert response["Retry-After"] == "50"


def test_an_agent_has_one_budget_whichever_key_it_comes_through(agent, other_agent, budgets):
    budgets(per_agent="2/min")
    first, second = api_key_create(name="CSM A")[1], api_key_create(name="CSM B")[1]
    with time_machine.travel(NOON, tick=False):
        spent = _statuses(client_for(first, agent.username), 1) + _statuses(
            client_for(second, agent.username), 2
        )
        others = _statuses(client_for(first, other_agent.username), 2)
    assert spent == [200, 200, 429]
    assert others == [200, 200]


def test_the_budget_comes_back_in_the_next_window(api, budgets):
    budgets(per_agent="2/min")
    with time_machine.travel(NOON, tick=False) as clock:
        before = _statuses(api, 3)
        clock.shift(timedelta(seconds=50))
        after = _statuses(api, 1)
    assert (before, after) == ([200, 200, 429], [200])


def test_requests_with_a_wrong_key_spend_no_budget(api_key, agent, budgets):
    budgets(per_key="1/min", per_agent="1/min")
    assert set(_statuses(client_for("csmtv_not-a-key", agent.username), 5)) == {401}
    assert _statuses(client_for(api_key, agent.username), 2) == [200, 429]


def test_the_incident_pages_buttons_spend_the_same_agent_budget(api, agent, open_session, budgets):
    budgets(per_agent="2/min")
    with time_machine.travel(NOON, tick=False):
        assert _statuses(api, 2) == [200, 200]
        response = Browser(agent).post(f"/incidents/INC-1001/sessions/{open_session.pk}/join/")
    assert_page_error(response, status=429, code="throttled")
    assert response["Retry-After"] == "50" and "Try again in 50 seconds." in response.content.decode()


def test_every_endpoint_is_throttled(api, open_session, budgets):
    budgets(per_agent="1/min")
    calls = [
        ("get", f"{API}/sessions/"),
        ("get", f"{API}/sessions/{open_session.pk}/"),
        ("post", f"{API}/sessions/"),
        ("post", f"{API}/sessions/{open_session.pk}/email/"),
        ("post", f"{API}/sessions/{open_session.pk}/join/"),
        ("post", f"{API}/sessions/{open_session.pk}/close/"),
        ("delete", ME),
        ("post", f"{API}/launch/"),
    ]
    api.get(ME)
    for method, url in calls:
        assert getattr(api, method)(url, {}, format="json").status_code == 429, url


def test_the_default_budget_lets_an_agent_make_120_calls_a_minute(api):
    with time_machine.travel(NOON, tick=False):
        statuses = _statuses(api, 121)
    assert statuses == [200] * 120 + [429]


def test_an_empty_rate_switches_the_budget_off(api, budgets):
    budgets()
    assert set(_statuses(api, 150)) == {200}


def test_a_malformed_rate_stops_the_server_at_start_up_naming_the_variable(tmp_path):
    result = _manage("check", env={"API_THROTTLE_PER_AGENT": "lots"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "API_THROTTLE_PER_AGENT must look like '120/min'" in result.stderr


def test_web_processes_sharing_redis_never_let_more_than_the_budget_through(settings, agent):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        missing("needs Redis: run with TEST_REDIS_URL=redis://... (the test command does)")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"throttle-test-{uuid.uuid4().hex}",
        }
    }
    settings.API_THROTTLE_PER_AGENT = "10/min"
    request = SimpleNamespace(user=agent, auth=None)
    start = threading.Barrier(40, timeout=30)
    allowed: list[bool] = []

    def call() -> None:
        start.wait()
        allowed.append(AgentThrottle().allow_request(request, None))

    with time_machine.travel(NOON, tick=False):
        run_in_threads(call, 40, timeout=30)
    assert len(allowed) == 40
    assert allowed.count(True) == 10


def test_on_redis_both_budgets_are_counted_and_expire_with_their_window(
    settings, api_key, agent, other_agent
):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        missing("needs Redis: run with TEST_REDIS_URL=redis://... (the test command does)")
    prefix = f"throttle-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    settings.API_THROTTLE_PER_KEY = "4/min"
    settings.API_THROTTLE_PER_AGENT = "2/min"
    with time_machine.travel(NOON, tick=False):
        mine = _statuses(client_for(api_key, agent.username), 3)
        theirs = client_for(api_key, other_agent.username).get(ME)
        again = client_for(api_key, other_agent.username).get(ME)
    # The agent's budget stops its third call; the key's stops the fifth (refused calls count too).
    assert mine == [200, 200, 429]
    assert (theirs.status_code, again.status_code) == (200, 429)
    assert again.json()["retry_after"] == 50
    redis = Redis.from_url(url)
    keys = redis.keys(f"{prefix}:*")
    assert len(keys) == 3  # the key's window and each agent's
    assert all(0 < redis.ttl(key) <= 61 for key in keys)


def test_a_cache_outage_lets_requests_through_and_says_so(api, settings, caplog):
    # A port nothing listens on: every cache call fails as when Redis restarts.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    settings.API_THROTTLE_PER_AGENT = "1/min"
    assert _statuses(api, 3) == [200, 200, 200]
    assert "Request budget not checked, the cache is unavailable" in caplog.text
