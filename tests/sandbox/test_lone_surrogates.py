"""The sandbox refuses JSON holding a lone surrogate (``"\\ud800"``) as TeamViewer refuses a bad
body, 400 ``invalid_request``, never a 500 from the database that cannot store it; what arrives on
the wire (``%ED%A0%80``) in a query, form or path is never a 500 either."""

from __future__ import annotations

import pytest

from .conftest import API, BASE, assert_teamviewer_error

ESCAPE = "\\ud800"
WIRE = "%ED%A0%80"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "sessions", f'{{"groupname": "CSM", "description": "{ESCAPE}"}}'),
        ("POST", "sessions", f'{{"groupname": "{ESCAPE}"}}'),
        ("PUT", "sessions/{code}", f'{{"state": "closed", "description": "{ESCAPE}"}}'),
    ],
)
def test_a_json_body_with_a_lone_surrogate_is_an_invalid_request(sandbox, method, path, body):
    token = sandbox.access_token()
    code = sandbox.create_session(token)["code"]

    response = sandbox.api(method, path.format(code=code), token, body)

    assert_teamviewer_error(response, 400, "invalid_request")


def test_the_token_endpoint_refuses_a_json_body_with_a_lone_surrogate(sandbox):
    body = f'{{"grant_type": "authorization_code", "code": "{ESCAPE}"}}'

    response = sandbox.client.post(f"{API}/oauth2/token", body, content_type="application/json")

    assert_teamviewer_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    ("method", "url", "form"),
    [
        (
            "GET",
            f"{BASE}/oauth2/authorize?response_type=code&client_id={WIRE}&redirect_uri={WIRE}&state={WIRE}",
            "",
        ),
        ("POST", f"{BASE}/oauth2/authorize?client_id={WIRE}", f"email={WIRE}&password={WIRE}"),
        ("POST", f"{API}/oauth2/token", f"grant_type={WIRE}&code={WIRE}&client_id={WIRE}"),
        ("POST", f"{API}/oauth2/revoke", f"token={WIRE}"),
        ("GET", f"{API}/sessions/{WIRE}", ""),
        ("GET", f"{API}/sessions?groupname={WIRE}&offset={WIRE}", ""),
        ("GET", f"{API}/reports/connections?session_code={WIRE}&offset={WIRE}", ""),
        ("GET", f"{BASE}/join/{WIRE}", ""),
    ],
)
def test_text_on_the_wire_never_gets_a_5xx(sandbox, method, url, form):
    token = sandbox.access_token()

    response = sandbox.client.generic(
        method,
        url,
        form,
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code < 500, response.content[:300]
