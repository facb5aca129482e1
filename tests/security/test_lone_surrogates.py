"""Text no encoder can write, in every field, header, query parameter and path segment of the REST
API and the pages: never a 5xx, and a JSON body refused with 400 ``invalid`` naming the field.

A lone surrogate reaches Python intact only through JSON's escape (``"\\ud800"``). Everywhere
else it arrives as the bytes a fuzzer puts on the wire (``%ED%A0%80``, what UTF-8 would make of
U+D800): Django decodes URLs and forms with replacement, and a WSGI server hands headers over as
ISO-8859-1. Both shapes are sent here, each where it can arrive.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from sessions_app.models import Session
from tests.asserts import assert_error
from tests.conftest import TV_API
from tests.factories import SessionFactory

ESCAPE = "\\ud800"  # JSON's escape for a lone surrogate
WIRE = "%ED%A0%80"  # the same in a URL or a form, percent-encoded
HEADER = "\xed\xa0\x80"  # the same bytes in a header, as a WSGI server decodes them
API = "/api/v1"

# Every POST of the REST API, with a body it accepts.
API_POSTS = {
    "sessions/": {
        "incident_id": "INC-1001",
        "requester_name": "Ann",
        "requester_email": "ann@example.com",
        "description": "Printer",
        "send_email": False,
        "language": "ja",
    },
    "sessions/{id}/email/": {"to": "ann@example.com"},
    "sessions/{id}/join/": {},
    "sessions/{id}/close/": {},
    "launch/": {"incident_id": "INC-1001", "requester_name": "Ann", "requester_email": "ann@example.com"},
    "me/teamviewer/login/": {},
}
API_READS = [
    ("get", "sessions/"),
    ("get", "sessions/{id}/"),
    ("get", "me/teamviewer/"),
    ("delete", "me/teamviewer/"),
    ("get", "login-flows/{id}/"),
]
LIST_QUERY = ["incident_id", "state", "page", "suppress_http_code"]
HEADERS = ["HTTP_X_CSM_USER", "HTTP_AUTHORIZATION", "HTTP_ACCEPT_LANGUAGE", "HTTP_X_REQUEST_ID", "HTTP_HOST"]


def with_escape(body: dict, field: str) -> str:
    """``body`` as JSON text, with ``field`` holding a lone surrogate (added if absent)."""
    return json.dumps({**body, field: "__SURROGATE__"}).replace('"__SURROGATE__"', f'"{ESCAPE}"')


def assert_no_server_error(response) -> None:
    assert response.status_code < 500, response.content[:500]
    # Whatever is answered can be written out, and an API answer is the error shape.
    response.content.decode("utf-8")
    if response.get("Content-Type", "").startswith("application/json") and response.status_code >= 400:
        assert {"code", "detail"} <= set(response.json())


@pytest.fixture
def session_id(agent) -> str:
    return str(SessionFactory(agent=agent).id)


@pytest.fixture
def teamviewer(tv):
    tv.add("PUT", re.compile(rf"{TV_API}/sessions/.*"), status=204)
    tv.add("POST", f"{TV_API}/sessions", status=500)  # never reached: nothing may be created
    return tv


@pytest.mark.parametrize(
    ("path", "field"), [(path, field) for path, body in API_POSTS.items() for field in [*body, "unknown"]]
)
def test_a_json_field_with_a_lone_surrogate_is_refused_naming_it(
    api, tv_token, teamviewer, session_id, path, field
):
    body = with_escape(API_POSTS[path], field)

    response = api.post(f"{API}/{path.format(id=session_id)}", body, content_type="application/json")

    assert_error(response, status=400, code="invalid")
    assert response.json()["errors"] == {field: [response.json()["detail"]]}
    assert Session.objects.count() == 1


def test_a_key_or_a_nested_string_with_a_lone_surrogate_is_named_by_its_path(api, tv_token):
    body = '{"incident_id": "INC-1", "description": ["ok", "\\udfff"], "\\ud800x": 1, "a": {"b": "\\ud800"}}'

    response = api.post(f"{API}/sessions/", body, content_type="application/json")

    assert_error(response, status=400, code="invalid")
    assert set(response.json()["errors"]) == {"description.1", "\\ud800x", "a.b"}
    assert Session.objects.count() == 0


def test_a_body_that_is_one_lone_surrogate_is_refused(api, tv_token):
    response = api.post(f"{API}/sessions/", f'"{ESCAPE}"', content_type="application/json")

    assert_error(response, status=400, code="invalid")


def test_query_parameters_and_path_segments_on_the_wire_never_get_a_5xx(
    api, tv_token, teamviewer, session_id
):
    query = "&".join(f"{name}={WIRE}" for name in LIST_QUERY)
    calls = [(method, f"{API}/{path.format(id=session_id)}?{query}") for method, path in API_READS]
    calls += [("post", f"{API}/{path.format(id=session_id)}?{query}") for path in API_POSTS]
    calls += [(method, f"{API}/{path.format(id=WIRE)}") for method, path in API_READS if "{id}" in path]
    calls += [("post", f"{API}/{path.format(id=WIRE)}") for path in API_POSTS if "{id}" in path]

    for method, url in calls:
        assert_no_server_error(api.generic(method.upper(), url, content_type="application/json"))


@pytest.mark.parametrize("header", HEADERS)
def test_headers_on_the_wire_never_get_a_5xx_on_any_endpoint(api, tv_token, teamviewer, session_id, header):
    calls = [(method, path) for method, path in API_READS] + [("post", path) for path in API_POSTS]
    extra = {header: f"Token {HEADER}" if header == "HTTP_AUTHORIZATION" else HEADER}

    for method, path in calls:
        body = json.dumps(API_POSTS[path]) if method == "post" else ""
        url = f"{API}/{path.format(id=session_id)}"
        assert_no_server_error(
            api.generic(method.upper(), url, body, content_type="application/json", **extra)
        )


# --- the pages --------------------------------------------------------------------------------


def page_calls(session_id: str) -> list[tuple[str, str, str]]:
    """(method, path, form body) for every page and form, each input given ``WIRE``."""
    session = f"/incidents/INC-1001/sessions/{session_id}"
    requester = f"requester_name={WIRE}&requester_email={WIRE}&description={WIRE}&language={WIRE}"
    return [
        ("get", f"/incidents/{WIRE}/?{requester}", ""),
        ("get", f"/incidents/INC-1001/?{requester}", ""),
        ("get", f"/incidents/{WIRE}/sessions/", ""),
        ("post", f"/incidents/{WIRE}/sessions/create/", requester),
        ("post", "/incidents/INC-1001/sessions/create/", requester),
        ("post", f"{session}/email/", f"to={WIRE}"),
        ("post", f"{session}/join/", f"x={WIRE}"),
        ("post", f"{session}/close/", f"x={WIRE}"),
        ("post", f"/incidents/INC-1001/sessions/{WIRE}/close/", ""),
        ("get", f"/incidents/INC-1001/logins/{WIRE}/", ""),
        ("get", f"/incidents/launch/{WIRE}/", ""),
        ("get", f"/oauth/teamviewer/start/{WIRE}/", ""),
        ("get", f"/oauth/teamviewer/callback/?state={WIRE}&code={WIRE}", ""),
        ("get", f"/oauth/teamviewer/callback/?state={WIRE}&error={WIRE}&error_description={WIRE}", ""),
        ("get", f"/oauth/teamviewer/flows/{WIRE}/", ""),
        ("get", f"/accounts/login/?next={WIRE}", ""),
        ("post", f"/accounts/login/?next={WIRE}", f"username={WIRE}&password={WIRE}"),
        ("get", f"/admin/login/?next={WIRE}", ""),
        ("post", "/admin/login/", f"username={WIRE}&password={WIRE}"),
        ("get", f"/admin/sessions_app/session/?q={WIRE}", ""),
        ("get", f"/{WIRE}/", ""),
        ("get", f"/healthz/?deep={WIRE}", ""),
        ("get", f"/sandbox/csm/?incident={WIRE}", ""),
        ("get", f"/sandbox/teamviewer/join/{WIRE}", ""),
        ("get", f"/sandbox/teamviewer/support/{WIRE}", ""),
    ]


@pytest.mark.parametrize("signed_in_as", ["nobody", "agent", "staff"])
def test_every_page_and_form_never_gets_a_5xx(agent, staff, teamviewer, tv_token, session_id, signed_in_as):
    browser = Client()
    if signed_in_as != "nobody":
        browser.force_login({"agent": agent, "staff": staff}[signed_in_as])

    for method, path, form in page_calls(session_id):
        response = browser.generic(
            method.upper(),
            path,
            form,
            content_type="application/x-www-form-urlencoded",
            HTTP_X_CSM_USER=HEADER,
            HTTP_ACCEPT_LANGUAGE=HEADER,
            HTTP_HX_REQUEST="true",
        )
        assert_no_server_error(response)
