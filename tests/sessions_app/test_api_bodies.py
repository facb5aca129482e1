"""Malformed, oversized and odd bodies: a clear 4xx with the one error format, never a 500."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import RequestDataTooBig

from sessions_app.models import InvitationEmail, Session
from sessions_app.parsers import BoundedJSONParser
from tests.asserts import assert_error
from tests.factories import SessionFactory

from .conftest import API, TV_SESSIONS, tv_session_body

SESSION_ID = "11111111-2222-3333-4444-555555555555"
POSTS = [
    f"{API}/sessions/",
    f"{API}/sessions/{SESSION_ID}/email/",
    f"{API}/sessions/{SESSION_ID}/join/",
    f"{API}/sessions/{SESSION_ID}/close/",
]


@pytest.fixture(autouse=True)
def session_behind_every_url(agent):
    return SessionFactory(agent=agent, id=SESSION_ID)


def _assert_nothing_happened(tv) -> None:
    assert Session.objects.get().state == "open"
    assert Session.objects.count() == 1
    assert not InvitationEmail.objects.exists()
    assert not tv.calls


@pytest.mark.parametrize("url", POSTS)
@pytest.mark.parametrize(
    "raw", ['{"incident_id": ', "not json", "{'single': 'quotes'}", '{"a": NaN}', "\xff\xfe"]
)
def test_malformed_json_is_400_invalid(api, tv, tv_token, url, raw):
    response = api.post(url, raw.encode("latin-1"), content_type="application/json")
    assert_error(response, status=400, code="invalid")
    assert response.json()["detail"]
    _assert_nothing_happened(tv)


@pytest.mark.parametrize("url", POSTS)
def test_an_oversized_body_is_413_request_too_large(api, tv, tv_token, settings, url):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = json.dumps({"incident_id": "INC-1", "description": "x" * 2000})
    response = api.post(url, body, content_type="application/json")
    assert_error(response, status=413, code="request_too_large")
    _assert_nothing_happened(tv)


def test_a_body_exactly_at_the_limit_is_accepted(api, tv, tv_token, settings):
    body = json.dumps({"incident_id": "INC-2", "send_email": False})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    tv.post(TV_SESSIONS, json=tv_session_body())
    response = api.post(f"{API}/sessions/", body, content_type="application/json")
    assert response.status_code == 201


@pytest.mark.parametrize("url", POSTS)
def test_another_content_type_is_415(api, tv, tv_token, url):
    response = api.post(url, "incident_id=INC-1", content_type="application/x-www-form-urlencoded")
    assert_error(response, status=415, code="unsupported_media_type")
    _assert_nothing_happened(tv)


@pytest.mark.parametrize("raw", ["[]", '"INC-1"', "42", "null", '[{"incident_id": "INC-1"}]'])
def test_json_that_is_not_an_object_is_400_on_create(api, tv, tv_token, raw):
    response = api.post(f"{API}/sessions/", raw, content_type="application/json")
    assert_error(response, status=400, code="invalid")
    _assert_nothing_happened(tv)


def test_an_empty_body_on_create_is_400_naming_incident_id(api, tv):
    response = api.post(f"{API}/sessions/", b"", content_type="application/json")
    assert response.status_code == 400
    assert "incident_id" in response.json()["errors"]


def test_djangos_own_request_too_big_is_a_413_not_a_500(api, monkeypatch):
    def too_big(self, stream, media_type=None, parser_context=None):
        raise RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE.")

    monkeypatch.setattr(BoundedJSONParser, "parse", too_big)
    response = api.post(f"{API}/sessions/", {"incident_id": "INC-1"}, format="json")
    assert_error(response, status=413, code="request_too_large")
