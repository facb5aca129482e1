"""The OpenAPI document made for importing and reading: examples for every request and answer
(each valid against its own schema), suppress_http_code everywhere, servers, tags, and the
committed docs/openapi.yaml equal to what /api/schema/ serves."""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema
import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from sessions_app.api_schema import DOCUMENT_BASE_URL, DOCUMENT_PATH, openapi_document

TAG_ORDER = ["sessions", "teamviewer connection", "login flows", "launch links"]


@pytest.fixture(scope="module")
def schema() -> dict:
    return yaml.safe_load(openapi_document())


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in operations.items()
    ]


def _media(schema: dict) -> list[tuple[str, dict]]:
    """(where, media type object) of every request body and answer with a JSON body."""
    found = []
    for path, method, operation in _operations(schema):
        request = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if request is not None:
            found.append((f"{method} {path} request", request))
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if content is not None:
                found.append((f"{method} {path} {status}", content))
    return found


def _json_schema(node: Any, components: dict, seen: tuple[str, ...] = ()) -> Any:
    """OpenAPI 3.0 → JSON Schema: ``$ref`` inlined, ``nullable`` as a null alternative."""
    if isinstance(node, list):
        return [_json_schema(item, components, seen) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        assert name not in seen, f"recursive schema {name}"
        return _json_schema(components[name], components, (*seen, name))
    converted = {
        key: _json_schema(value, components, seen) for key, value in node.items() if key != "nullable"
    }
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_every_operation_has_a_request_example_and_an_example_for_every_answer(schema):
    assert len(_operations(schema)) == 11
    without = [where for where, media in _media(schema) if not media.get("examples")]
    assert without == []


def test_every_documented_error_code_has_its_example(schema):
    """Each code a response's description names (`code`) is shown by one of its examples."""
    for _path, _method, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            shown = {
                example["value"]["code"]
                for example in response["content"]["application/json"]["examples"].values()
            }
            named = set(re.findall(r"`([a-z_]+)`", response["description"])) & _KNOWN
            assert named and named <= shown, (operation["operationId"], status, named - shown)


_KNOWN = {
    "invalid",
    "not_authenticated",
    "permission_denied",
    "not_found",
    "teamviewer_login_required",
    "session_creating",
    "session_closed",
    "request_too_large",
    "unsupported_media_type",
    "teamviewer_rejected",
    "teamviewer_license_limit",
    "staff_launch_refused",
    "throttled",
    "teamviewer_rate_limited",
    "teamviewer_unavailable",
    "service_unavailable",
}


def test_every_example_is_valid_against_its_own_schema(schema):
    components = schema["components"]["schemas"]
    checked = 0
    for where, media in _media(schema):
        validator = jsonschema.Draft7Validator(_json_schema(copy.deepcopy(media["schema"]), components))
        for name, example in media["examples"].items():
            errors = [error.message for error in validator.iter_errors(example["value"])]
            assert errors == [], f"{where} example {name}: {errors}"
            checked += 1
    assert checked > 100


def test_an_error_body_is_not_a_valid_session_nor_the_other_way_round(schema):
    """The check above can fail: a wrong example is caught (the suppressed 200 is a union)."""
    components = schema["components"]["schemas"]
    session = jsonschema.Draft7Validator(_json_schema({"$ref": "#/components/schemas/Session"}, components))
    error = jsonschema.Draft7Validator(_json_schema({"$ref": "#/components/schemas/Error"}, components))
    assert not session.is_valid({"code": "not_found", "detail": "Not found."})
    assert not error.is_valid({"id": "x", "code": "s12-345-678"})


@pytest.mark.parametrize(
    "name", ["sessions_create", "sessions_close", "me_teamviewer_disconnect", "launch_create"]
)
def test_every_answer_with_suppress_http_code_is_documented_as_a_200(schema, name):
    operation = next(op for _p, _m, op in _operations(schema) if op["operationId"] == name)
    ok = operation["responses"]["200"]["content"]["application/json"]
    alternatives = ok["schema"]["anyOf"]
    assert {"$ref": "#/components/schemas/SuppressedError"} in alternatives
    suppressed = [
        example["value"] for example in ok["examples"].values() if "http_status" in example["value"]
    ]
    assert suppressed and all(isinstance(value["http_status"], int) for value in suppressed)


def test_the_suppressed_error_schema_requires_http_status(schema):
    components = schema["components"]["schemas"]
    suppressed = jsonschema.Draft7Validator(
        _json_schema({"$ref": "#/components/schemas/SuppressedError"}, components)
    )
    assert suppressed.is_valid({"code": "not_found", "detail": "Not found.", "http_status": 404})
    assert not suppressed.is_valid({"code": "not_found", "detail": "Not found."})


def test_every_operation_documents_suppress_http_code_and_the_errors_any_endpoint_can_answer(schema):
    for _path, _method, operation in _operations(schema):
        parameter = next(p for p in operation["parameters"] if p["name"] == "suppress_http_code")
        assert parameter["in"] == "query" and parameter["required"] is False
        assert {"1", "0", "true", "false"} <= set(parameter["schema"]["enum"])
        assert {"400", "401", "403", "429", "503"} <= set(operation["responses"]), operation["operationId"]


def test_path_parameters_have_examples(schema):
    for _path, _method, operation in _operations(schema):
        for parameter in operation["parameters"]:
            if parameter["in"] == "path":
                assert parameter.get("example"), (operation["operationId"], parameter["name"])


def test_the_committed_document_names_the_default_server(settings):
    settings.PUBLIC_BASE_URL = "https://teamviewer.example.com"
    document = yaml.safe_load(openapi_document())
    # The committed document is made with the default; a deployment's /api/schema/ names itself.
    assert document["servers"][0]["url"] == DOCUMENT_BASE_URL


def test_the_served_schema_names_this_server_and_its_links(client, db, settings):
    settings.PUBLIC_BASE_URL = "https://teamviewer.example.com"
    served = yaml.safe_load(client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="en").content)
    assert served["servers"] == [
        {"url": "https://teamviewer.example.com", "description": "This server (PUBLIC_BASE_URL)."}
    ]
    login = served["paths"]["/api/v1/me/teamviewer/login/"]["post"]["responses"]["200"]
    example = login["content"]["application/json"]["examples"]["started"]["value"]
    assert example["authorize_url"].startswith("https://teamviewer.example.com/oauth/teamviewer/start/")


def test_tags_are_in_the_order_of_the_guide(schema):
    assert [tag["name"] for tag in schema["tags"]] == TAG_ORDER
    used = {tag for _p, _m, operation in _operations(schema) for tag in operation["tags"]}
    assert used == set(TAG_ORDER)


def test_the_committed_document_is_what_the_server_serves(client, db, settings):
    settings.PUBLIC_BASE_URL = DOCUMENT_BASE_URL
    served = client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="en")
    assert served.status_code == 200
    committed = DOCUMENT_PATH.read_text(encoding="utf-8")
    assert served.content.decode() == committed, "run: python manage.py openapi_export"


def test_the_export_command_checks_and_writes(tmp_path, monkeypatch):
    call_command("openapi_export", "--check")  # the committed file is current
    stale = tmp_path / "openapi.yaml"
    stale.write_text("openapi: 3.0.3\n", encoding="utf-8")
    monkeypatch.setattr("sessions_app.management.commands.openapi_export.DOCUMENT_PATH", stale)
    with pytest.raises(CommandError, match="out of date"):
        call_command("openapi_export", "--check")
    call_command("openapi_export")
    assert stale.read_text(encoding="utf-8") == openapi_document()
