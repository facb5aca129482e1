"""The OpenAPI document: valid, complete, and showing both auth headers."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from .conftest import SESSION_FIELDS

OPERATIONS = {
    ("/api/v1/sessions/", "get"),
    ("/api/v1/sessions/", "post"),
    ("/api/v1/sessions/{session_id}/", "get"),
    ("/api/v1/sessions/{session_id}/email/", "post"),
    ("/api/v1/sessions/{session_id}/join/", "post"),
    ("/api/v1/sessions/{session_id}/close/", "post"),
    ("/api/v1/me/teamviewer/", "get"),
    ("/api/v1/me/teamviewer/", "delete"),
    ("/api/v1/me/teamviewer/login/", "post"),
    ("/api/v1/login-flows/{login_flow}/", "get"),
    ("/api/v1/launch/", "post"),
}


@pytest.fixture(scope="module")
def schema() -> dict:
    out = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    return yaml.safe_load(out.getvalue())


def _operation(schema: dict, path: str, method: str) -> dict:
    return schema["paths"][path][method]


def test_the_schema_validates_without_warnings(schema):
    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize(("path", "method"), sorted(OPERATIONS))
def test_every_operation_needs_the_api_key_and_the_agent_header_and_documents_its_errors(
    schema, path, method
):
    operation = _operation(schema, path, method)
    assert operation["security"] == [{"ApiKeyAuth": [], "CsmUserAuth": []}]
    for status in ("401", "403"):
        assert operation["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_the_security_schemes_name_both_headers(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("header", "Authorization"),
        ("header", "X-CSM-User"),
    }


def test_create_and_close_document_login_required_rate_limit_and_teamviewer_outages(schema):
    for path in ("/api/v1/sessions/", "/api/v1/sessions/{session_id}/close/"):
        responses = _operation(schema, path, "post")["responses"]
        assert {"409", "422", "429", "502", "503", "504"} <= set(responses)
    create = _operation(schema, "/api/v1/sessions/", "post")["responses"]
    assert {"200", "201", "400", "413", "415"} <= set(create)


def test_the_error_body_lists_every_documented_field(schema):
    error = schema["components"]["schemas"]["Error"]
    assert {"code", "detail", "errors", "retry_after", "authorize_url"} <= set(error["properties"])
    assert error["required"] == ["code", "detail"]


def test_the_session_body_has_the_interface_fields(schema):
    session = schema["components"]["schemas"]["Session"]
    assert set(session["properties"]) == SESSION_FIELDS
    assert session["properties"]["supporter_link"]["nullable"] is True


def test_the_list_is_paginated(schema):
    listed = _operation(schema, "/api/v1/sessions/", "get")
    names = {p["name"] for p in listed["parameters"]}
    assert {"incident_id", "state", "limit", "offset"} <= names
    # The first of the 200's bodies; the others are the errors ?suppress_http_code=1 answers as 200.
    bodies = listed["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
    assert bodies[0]["$ref"].endswith("PaginatedSessionList")


def test_the_schema_is_served(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["paths"].keys() >= {path for path, _ in OPERATIONS}
