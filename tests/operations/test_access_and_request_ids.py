"""Who may read /metrics and /healthz/?deep=1; the request id; the JSON request line."""

from __future__ import annotations

import io
import ipaddress
import json
import logging

import pytest
from django.test import Client

from csm_teamviewer.observability.logs import JsonLineFormatter
from csm_teamviewer.observability.request_ids import RequestIdFilter, bind_request_id, unbind_request_id
from csm_teamviewer.settings.operations import logging_config

pytestmark = pytest.mark.django_db

TOKEN = "operator-token-1"  # noqa: S105 - a test value


@pytest.fixture
def operators(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = ()
    return settings


@pytest.mark.parametrize("path", ["/metrics", "/healthz/?deep=1"])
def test_with_neither_a_token_nor_addresses_both_are_closed(client, settings, path):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ()
    assert client.get(path).status_code == 404
    assert client.get(path, HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.parametrize("path", ["/metrics", "/healthz/?deep=1"])
def test_the_token_opens_them_and_anything_else_is_refused(client, operators, path):
    assert client.get(path).status_code == 403
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 403
    assert client.get(path, HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 403
    assert client.get(path, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code in (200, 503)


def test_an_allowed_address_or_network_reads_without_the_token(settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = networks("10.1.0.0/16", "192.0.2.7")
    assert Client(REMOTE_ADDR="10.1.200.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="192.0.2.8").get("/metrics").status_code == 403
    # A forwarded-for header is the client's to write: never trusted.
    spoofed = Client(REMOTE_ADDR="192.0.2.8", HTTP_X_FORWARDED_FOR="10.1.0.1")
    assert spoofed.get("/metrics").status_code == 403


def networks(*items: str) -> tuple:
    return tuple(ipaddress.ip_network(item) for item in items)


def test_plain_healthz_is_unchanged_and_open(client, operators):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_the_metrics_page_is_prometheus_text_with_the_readings(client, operators):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for name in (
        'csm_teamviewer_sessions{state="open"} 0.0',
        "csm_teamviewer_invitation_outbox_depth 0.0",
        "csm_teamviewer_journal_outbox_depth 0.0",
        "csm_teamviewer_cleanup_lag_seconds 0.0",
        "csm_teamviewer_state_sync_lag_seconds 0.0",
        "# TYPE csm_teamviewer_sessions_created_total counter",
        "# TYPE csm_teamviewer_http_request_duration_seconds histogram",
    ):
        assert name in text


def test_a_sane_request_id_is_echoed_and_anything_else_replaced(client):
    assert client.get("/healthz/", HTTP_X_REQUEST_ID="csm-1234.abc").headers["X-Request-ID"] == "csm-1234.abc"
    for bad in ("two words", "x" * 129, "new\nline", "é"):
        echoed = client.get("/healthz/", HTTP_X_REQUEST_ID=bad).headers["X-Request-ID"]
        assert echoed != bad and len(echoed) == 32
    first = client.get("/healthz/").headers["X-Request-ID"]
    assert first != client.get("/healthz/").headers["X-Request-ID"]


def test_each_request_logs_one_json_line_with_its_id_route_status_and_agent(client, agent):
    client.force_login(agent)
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.setFormatter(JsonLineFormatter())
    handler.addFilter(RequestIdFilter())
    requests_logger = logging.getLogger("csm_teamviewer.requests")
    requests_logger.addHandler(handler)
    try:
        response = client.get("/incidents/INC-9/?code=secret-oauth-code", HTTP_X_REQUEST_ID="page-load-1")
    finally:
        requests_logger.removeHandler(handler)

    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["request_id"] == "page-load-1"
    assert (line["endpoint"], line["method"], line["status"]) == (
        "incidents:page",
        "GET",
        response.status_code,
    )
    assert line["agent"] == "agent.smith"
    assert {"time", "level", "logger", "message", "duration_ms"} <= set(line)
    # The route's name, never the path or its query string.
    assert "INC-9" not in stream.getvalue() and "secret-oauth-code" not in stream.getvalue()


def test_an_unknown_path_is_counted_as_unmatched_not_by_its_path(client, operators):
    client.get("/no/such/page/4711/")
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert 'endpoint="unmatched",method="GET",status="404"' in text
    assert "4711" not in text


def test_a_task_published_in_a_request_carries_its_id_and_the_task_adopts_it():
    from celery.signals import before_task_publish, task_postrun, task_prerun

    from csm_teamviewer.observability.request_ids import current_request_id

    headers: dict = {}
    token = bind_request_id("req-77")
    try:
        before_task_publish.send(sender="x", headers=headers, body=None)
    finally:
        unbind_request_id(token)
    assert headers == {"request_id": "req-77"}

    class Task:  # what task_prerun hands its receivers: the task with its request's headers
        class request:  # noqa: N801
            request_id = "req-77"

    task_prerun.send(sender=Task, task_id="t-1", task=Task)
    assert current_request_id() == "req-77"
    task_postrun.send(sender=Task, task_id="t-1", task=Task)
    assert current_request_id() == "-"


def test_the_logging_settings_choose_the_json_formatter(settings):
    from csm_teamviewer.settings import operations

    assert logging_config("INFO")["handlers"]["console"]["formatter"] == operations.LOG_FORMAT
    assert logging_config("INFO")["handlers"]["console"]["filters"] == ["request_id"]
