"""The OpenAPI document finished for importing and reading (a drf-spectacular postprocessing hook).

On every operation under ``/api/v1/``: the ``suppress_http_code`` parameter and what it does to
the answers (a 200 whose body is any of the operation's bodies plus ``http_status``), the errors
every endpoint can answer (400 for a bad ``suppress_http_code``, 503 ``service_unavailable``),
and the examples of ``api_examples.py``: the request, each success, each error code a
response's description names, and a suppressed answer. Also ``servers`` from
``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test.utils import override_settings
from django.utils import translation

from csm_teamviewer.suppress_http_code import API_PREFIX, OFF, ON, PARAMETER

from . import api_examples

ERROR_REF = {"$ref": "#/components/schemas/Error"}
HTTP_STATUS_REF = {"$ref": "#/components/schemas/HttpStatus"}
SUPPRESSED_ERROR_REF = {"$ref": "#/components/schemas/SuppressedError"}
_CODE = re.compile(r"`([a-z_]+)`")
# What every endpoint can answer: (the description where the operation lists no such status,
# the sentence added where it does and does not say it already).
_ALWAYS = {
    400: (
        f"`invalid`: `{PARAMETER}` is neither on nor off.",
        f"Also when `{PARAMETER}` is neither on nor off.",
    ),
    503: (
        "`service_unavailable`: this server's database is briefly out of reach (`Retry-After`).",
        "`service_unavailable`: this server's database is briefly out of reach (`Retry-After`).",
    ),
}
_SUPPRESSED = (
    f"With `{PARAMETER}=1` every answer is a 200: the body it would have had (any of this operation's "
    "answers; an empty one as `{}`) plus `http_status`, the status it would have had."
)
_PARAMETER_TEXT = (
    "For callers that cannot read the body of an error (a CSM one-step): `1` (or `true`, `yes`, `on`) "
    "answers every status as **200**, with the same JSON body plus `http_status`, the status it would "
    'have had; an empty answer (204) becomes `{"http_status": 204}`. Headers such as `Retry-After` '
    "stay. `0`, `false`, `no`, `off` or empty: off. Case does not matter; any other value is "
    "`invalid` (answered as a 200 too)."
)


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    result["servers"] = [{"url": settings.PUBLIC_BASE_URL, "description": "This server (PUBLIC_BASE_URL)."}]
    _add_components(result["components"]["schemas"])
    for path, operations in result["paths"].items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in operations.items():
            _finish(operation, method)
    return result


def _add_components(schemas: dict[str, Any]) -> None:
    schemas["HttpStatus"] = {
        "type": "object",
        "description": f"With `{PARAMETER}`: added to every answer, which is then a 200.",
        "properties": {
            "http_status": {"type": "integer", "description": "The HTTP status this answer would have had."}
        },
        "required": ["http_status"],
    }
    schemas["SuppressedError"] = {
        "description": f"An error answered as a 200 (`{PARAMETER}`).",
        "allOf": [ERROR_REF, HTTP_STATUS_REF],
    }


def _finish(operation: dict[str, Any], method: str) -> None:
    operation_id = operation["operationId"]
    responses = operation["responses"]
    for status, (text, added) in _ALWAYS.items():
        response = responses.get(str(status))
        if response is None:
            responses[str(status)] = {
                "content": {"application/json": {"schema": ERROR_REF}},
                "description": text,
            }
        elif (
            PARAMETER not in response["description"] and "service_unavailable" not in response["description"]
        ):
            response["description"] += f" {added}"
    operation["responses"] = dict(sorted(responses.items()))
    _add_parameter(operation)
    _add_request_examples(operation, operation_id)
    for status, response in operation["responses"].items():
        content = response.get("content", {}).get("application/json")
        if content is not None:
            content["examples"] = _examples(operation_id, method, int(status), response["description"])
    _add_suppressed_answer(operation)


def _add_parameter(operation: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    for parameter in parameters:
        example = api_examples.PARAMETERS.get(parameter["name"])
        if example is not None:
            parameter["example"] = example
    parameters.append(
        {
            "in": "query",
            "name": PARAMETER,
            "required": False,
            "schema": {"type": "string", "enum": sorted(ON | OFF - {""}) + [""]},
            "description": _PARAMETER_TEXT,
            "example": api_examples.PARAMETERS[PARAMETER],
        }
    )


def _add_request_examples(operation: dict[str, Any], operation_id: str) -> None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is not None:
        content["examples"] = api_examples.REQUESTS.get(operation_id, {})


def _examples(operation_id: str, method: str, status: int, description: str) -> dict[str, Any]:
    if status < 300:
        return api_examples.success_examples(operation_id, status)
    examples: dict[str, Any] = {}
    for code in dict.fromkeys(_CODE.findall(description)):
        examples.update(api_examples.error_examples(operation_id, method, code))
    return examples


def _add_suppressed_answer(operation: dict[str, Any]) -> None:
    """The 200 every answer becomes with the parameter: any of the bodies, plus ``http_status``."""
    responses = operation["responses"]
    bodies: list[dict[str, Any]] = []
    examples: dict[str, Any] = {}
    for status, response in responses.items():
        content = response.get("content", {}).get("application/json")
        schema = content["schema"] if content else HTTP_STATUS_REF
        schema = SUPPRESSED_ERROR_REF if schema == ERROR_REF else schema
        if schema not in bodies:
            bodies.append(schema)
        if int(status) >= 300 or status == "200":
            continue
        # A success that is not a 200 (201, 202, 204): its suppressed form.
        shown = list((content or {}).get("examples", {}).values())
        value: dict[str, Any] = shown[0]["value"] if shown else {}
        examples[f"suppressed_{status}"] = _suppressed(f"{status}, answered as 200", value, int(status))
    examples.update(_suppressed_error(responses))
    ok = responses.setdefault("200", {"description": ""})
    normal = ok.get("content", {}).get("application/json", {}).get("examples", {})
    ok["content"] = {"application/json": {"schema": {"anyOf": bodies}, "examples": {**normal, **examples}}}
    ok["description"] = f"{ok['description']} {_SUPPRESSED}".strip()
    operation["responses"] = dict(sorted(responses.items()))


# The error shown answered as a 200: the one a one-step most needs to branch on.
_SHOWN_SUPPRESSED = ("teamviewer_login_required", "not_found", "not_authenticated")


def _suppressed_error(responses: dict[str, Any]) -> dict[str, Any]:
    for code in _SHOWN_SUPPRESSED:
        for status, response in responses.items():
            for example in (
                response.get("content", {}).get("application/json", {}).get("examples", {}).values()
            ):
                if int(status) >= 400 and example["value"].get("code") == code:
                    return {
                        f"suppressed_{code}": _suppressed(
                            f"{code}, answered as 200", example["value"], int(status)
                        )
                    }
    return {}


def _suppressed(summary: str, value: dict[str, Any], status: int) -> dict[str, Any]:
    return {"summary": f"With {PARAMETER}=1: {summary}", "value": {**value, "http_status": status}}


# --- the committed copy (docs/openapi.yaml) -------------------------------------------------------

# The embedded default of PUBLIC_BASE_URL: the committed document is what ``scripts/run`` serves.
DOCUMENT_BASE_URL = "http://127.0.0.1:8000"
DOCUMENT_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


def openapi_document() -> str:
    """The YAML ``/api/schema/`` serves in English with the default ``PUBLIC_BASE_URL``."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiYamlRenderer

    with override_settings(PUBLIC_BASE_URL=DOCUMENT_BASE_URL), translation.override("en"):
        schema = SchemaGenerator().get_schema(request=None, public=True)
        return OpenApiYamlRenderer().render(schema, renderer_context={}).decode()
