"""Fault injection and latency: the sandbox misbehaving on purpose."""
from __future__ import annotations

import time

import pytest

from csm_teamviewer.sandbox import faults

from .conftest import API, assert_teamviewer_error

pytestmark = pytest.mark.urls("tests.sandbox.urls")


def test_an_injected_429_carries_retry_after_and_is_used_up(sandbox):
    token = sandbox.access_token()
    faults.inject(method="POST", path_prefix="/sessions", status=429, retry_after=30)

    limited = sandbox.api("POST", "sessions", token, {"groupname": "CSM"})
    after = sandbox.api("POST", "sessions", token, {"groupname": "CSM"})

    assert_teamviewer_error(limited, 429, "rate_limit_reached")
    assert limited["Retry-After"] == "30"
    assert after.status_code == 200


def test_an_injected_403_is_rate_limit_reached_and_only_hits_its_path_and_method(sandbox):
    token = sandbox.access_token()
    faults.inject(method="GET", path_prefix="sessions", status=403, times=2)

    other_method = sandbox.api("POST", "sessions", token, {"groupname": "CSM"})
    other_path = sandbox.api("GET", "ping", token)
    hits = [sandbox.api("GET", "sessions", token) for _ in range(3)]

    assert other_method.status_code == 200 and other_path.status_code == 200
    for response in hits[:2]:
        assert_teamviewer_error(response, 403, "rate_limit_reached")
    assert hits[2].status_code == 200


def test_a_fault_can_bring_its_own_body_and_reach_the_token_endpoint(sandbox):
    grant = sandbox.grant()
    body = {"error": "internal_error", "error_description": "Boom", "error_code": 99}
    faults.inject(path_prefix="OAuth2/Token", status=500, body=body)

    failed = sandbox.exchange(grant)

    assert failed.status_code == 500 and failed.json() == body
    assert sandbox.exchange(grant).status_code == 200  # the fault answered before the code was spent


def test_a_string_body_is_answered_as_html_like_a_gateways_error_page(sandbox):
    faults.inject(status=502, body="<html>Bad Gateway</html>")

    response = sandbox.client.get(f"{API}/ping")

    assert response.status_code == 502
    assert response["Content-Type"].startswith("text/html")
    assert response.content == b"<html>Bad Gateway</html>"


def test_a_fault_without_a_count_lasts_until_cleared(sandbox):
    faults.inject(status=503, times=None)

    answers = [sandbox.client.get(f"{API}/ping").status_code for _ in range(3)]
    faults.clear()

    assert answers == [503, 503, 503]
    assert sandbox.client.get(f"{API}/ping").status_code == 200


def test_a_delay_only_fault_slows_the_call_but_answers_normally(sandbox):
    faults.inject(status=None, delay=0.2)

    started = time.monotonic()
    response = sandbox.client.get(f"{API}/ping")

    assert time.monotonic() - started >= 0.2
    assert response.json() == {"token_valid": False}


def test_the_latency_setting_delays_every_api_call(sandbox, settings):
    settings.SANDBOX_LATENCY_SECONDS = 0.1

    started = time.monotonic()
    sandbox.client.get(f"{API}/ping")

    assert time.monotonic() - started >= 0.1


def test_faults_leave_the_pages_alone(sandbox):
    faults.inject(status=503, times=None)

    response = sandbox.client.get(sandbox.authorize_url(sandbox.authorize_params()))

    assert response.status_code == 200


def test_a_method_the_endpoint_does_not_take_is_a_json_405(sandbox):
    response = sandbox.client.delete(f"{API}/sessions")

    assert_teamviewer_error(response, 405, "invalid_request")
