from __future__ import annotations

import pytest
from django.db import connection

from tests.asserts import assert_error


def test_health_reports_database_and_broker_ok(client, db):
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_health_is_503_when_the_broker_is_unreachable(client, db, settings):
    from csm_teamviewer.celery import app

    # A closed port on loopback: nothing listens there.
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz/")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down"}


def test_health_is_503_when_the_database_is_unreachable(client, db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr("csm_teamviewer.health.connection", Unreachable())
    response = client.get("/healthz/")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/nothing"])
def test_unknown_api_paths_answer_json_not_found(client, db, path):
    response = client.get(path)
    assert_error(response, status=404, code="not_found")
