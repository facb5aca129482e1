"""?suppress_http_code=1 on every endpoint: the answer it would have had, as a 200 with
``http_status``; the same body, the same headers. Each case asks once without the parameter
and once with it, and compares."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from tests.asserts import assert_error
from tests.factories import LoginFlowFactory, SessionFactory

from .conftest import API

SESSION_ID = "11111111-2222-3333-4444-555555555555"
FLOW_ID = "flow-of-agent-smith-0001"
ENDPOINTS = [
    ("get", "/sessions/"),
    ("post", "/sessions/"),
    ("get", f"/sessions/{SESSION_ID}/"),
    ("post", f"/sessions/{SESSION_ID}/email/"),
    ("post", f"/sessions/{SESSION_ID}/join/"),
    ("post", f"/sessions/{SESSION_ID}/close/"),
    ("get", "/me/teamviewer/"),
    ("delete", "/me/teamviewer/"),
    ("post", "/me/teamviewer/login/"),
    ("get", f"/login-flows/{FLOW_ID}/"),
    ("post", "/launch/"),
]
POSTS = [path for method, path in ENDPOINTS if method == "post"]
WITH_IDS = [
    ("get", "/sessions/{}/"),
    ("post", "/sessions/{}/email/"),
    ("post", "/sessions/{}/join/"),
    ("post", "/sessions/{}/close/"),
    ("get", "/login-flows/{}/"),
]
VALID = {"/sessions/": {"incident_id": "INC-1001"}, "/launch/": {"incident_id": "INC-1001"}}
KEPT_HEADERS = ("Retry-After", "WWW-Authenticate")


@pytest.fixture
def world(agent):
    """A session and a login of the agent's behind every URL with an id."""
    SessionFactory(agent=agent, id=SESSION_ID)
    LoginFlowFactory(agent=agent, flow_id=FLOW_ID)


def call(client, method: str, path: str, suppress: str | None = None, **kwargs):
    url = f"{API}{path}" + ("" if suppress is None else f"?suppress_http_code={suppress}")
    if "data" in kwargs:
        return getattr(client, method)(
            url, kwargs["data"], content_type=kwargs.get("content_type", "application/json")
        )
    body = kwargs.get("body", VALID.get(path, {}) if method == "post" else None)
    return getattr(client, method)(url, body, format="json")


def assert_suppressed_as(plain, suppressed) -> dict:
    """``suppressed`` is ``plain`` answered as a 200: same body plus http_status, same headers."""
    assert suppressed.status_code == 200, suppressed.content
    expected = plain.json() if plain.content else {}
    assert suppressed.json() == {**expected, "http_status": plain.status_code}
    assert suppressed["Content-Type"] == "application/json"
    for header in KEPT_HEADERS:
        assert suppressed.get(header) == plain.get(header), header
    if suppressed.has_header("Content-Length"):
        assert int(suppressed["Content-Length"]) == len(suppressed.content)
    return suppressed.json()


def both(client, method: str, path: str, **kwargs):
    return call(client, method, path, **kwargs), call(client, method, path, "1", **kwargs)


# --- errors before the view: authentication, throttling, routing, the database --------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_401_without_an_api_key(client, world, method, path):
    plain, suppressed = both(client, method, path)
    assert_error(plain, status=401, code="not_authenticated")
    assert_suppressed_as(plain, suppressed)
    assert suppressed["WWW-Authenticate"] == "Token"
    assert suppressed["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_403_for_a_deactivated_agent(api, agent, world, method, path):
    agent.is_active = False
    agent.save()
    plain, suppressed = both(api, method, path)
    assert_error(plain, status=403, code="permission_denied")
    assert_suppressed_as(plain, suppressed)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_429_when_the_agent_used_up_its_budget(api, world, settings, method, path):
    settings.API_THROTTLE_PER_KEY, settings.API_THROTTLE_PER_AGENT = "", "1/min"
    api.get(f"{API}/me/teamviewer/")
    plain, suppressed = both(api, method, path)
    assert_error(plain, status=429, code="throttled")
    body = suppressed.json()
    assert (suppressed.status_code, body["code"], body["http_status"]) == (200, "throttled", 429)
    assert suppressed["Retry-After"] == str(body["retry_after"])


@pytest.mark.parametrize(("method", "path"), [(method, path.format("unknown")) for method, path in WITH_IDS])
def test_404_for_an_unknown_id(api, method, path):
    plain, suppressed = both(api, method, path)
    assert_error(plain, status=404, code="not_found")
    assert_suppressed_as(plain, suppressed)


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_404_for_an_unknown_url_under_the_api(api, method):
    plain, suppressed = both(api, method, "/no-such-thing/")
    assert_error(plain, status=404, code="not_found")
    assert_suppressed_as(plain, suppressed)


@pytest.mark.parametrize("path", sorted({path for _method, path in ENDPOINTS}))
def test_405_for_a_method_the_endpoint_does_not_answer(api, world, path):
    plain, suppressed = both(api, "put", path)
    assert_error(plain, status=405, code="method_not_allowed")
    assert_suppressed_as(plain, suppressed)


def test_503_when_the_database_is_out_of_reach(api, world, monkeypatch):
    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("sessions_app.apis.session_get", down)
    plain, suppressed = both(api, "get", f"/sessions/{SESSION_ID}/")
    assert_error(plain, status=503, code="service_unavailable")
    assert_suppressed_as(plain, suppressed)
    assert suppressed["Retry-After"] == "5"


# --- the body ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", POSTS)
def test_400_for_a_body_that_is_not_json(api, world, path):
    plain, suppressed = both(api, "post", path, data="{not json")
    assert_error(plain, status=400, code="invalid")
    assert_suppressed_as(plain, suppressed)


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/sessions/?state=done", None, "state"),
        ("post", "/sessions/", {"requester_name": "no incident"}, "incident_id"),
        ("post", f"/sessions/{SESSION_ID}/email/", {"to": "not an address"}, "to"),
        ("post", "/launch/", {"incident_id": ".."}, "incident_id"),
    ],
)
def test_400_for_a_field_that_is_wrong(api, world, method, path, body, field):
    plain = call(api, method, path, body=body)
    joiner = "&" if "?" in path else "?"
    suppressed = getattr(api, method)(f"{API}{path}{joiner}suppress_http_code=1", body, format="json")
    assert field in assert_error(plain, status=400, code="invalid")["errors"]
    assert_suppressed_as(plain, suppressed)


@pytest.mark.parametrize("path", POSTS)
def test_413_for_a_body_over_the_limit(api, world, settings, path):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    plain, suppressed = both(api, "post", path, data='{"description": "' + "x" * 200 + '"}')
    assert_error(plain, status=413, code="request_too_large")
    assert_suppressed_as(plain, suppressed)


@pytest.mark.parametrize("path", POSTS)
def test_415_for_a_body_that_is_not_sent_as_json(api, world, path):
    plain, suppressed = both(api, "post", path, data="incident_id=1", content_type="text/plain")
    assert_error(plain, status=415, code="unsupported_media_type")
    assert_suppressed_as(plain, suppressed)
