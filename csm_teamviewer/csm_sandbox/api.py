"""The CSM REST operations the sandbox serves, routed case-insensitively like CSM's IIS app.

``/CherwellAPI/token`` and ``/CherwellAPI/api/V1/<operation>`` (csm-api.md §A0-A3).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters

from . import auth, catalogue, records
from .models import Token
from .protocol import CsmFailure, bearer_token, endpoint, json_body, not_found, ok_body

Handler = Callable[..., Any]
OPERATIONS = "cherwellapi/api/v1/"


@sensitive_post_parameters("password", "refresh_token")
@endpoint("POST")
def token(request: HttpRequest) -> JsonResponse:
    body = auth.token_grant(request.POST.dict(), request.GET.dict())
    response = JsonResponse(body)
    response["Cache-Control"] = "no-store"
    return response


def _summary_by_name(request: HttpRequest, token: Token, name: str) -> Any:
    found = catalogue.find_summary(name=name)
    if found is None:
        raise not_found("Business object not found")
    return [found]


def _summaries(request: HttpRequest, token: Token, kind: str) -> Any:
    everything = catalogue.summaries()
    kinds = {"all": everything, "major": [everything[0]], "groups": [everything[1]],
             "supporting": catalogue.journal_type_summaries(), "lookup": []}
    if kind.lower() not in kinds:
        raise CsmFailure(400, "BADREQUEST", f"Unknown type {kind!r}.")
    return kinds[kind.lower()]


def _schema(request: HttpRequest, token: Token, busobid: str) -> Any:
    found = catalogue.schema(busobid)
    if found is None:
        raise not_found("Business object not found")
    if request.GET.get("includerelationships", "").lower() != "true":
        found["relationships"] = []
    return ok_body(**found)


def _template(request: HttpRequest, token: Token) -> Any:
    data = json_body(request)
    busobid = str(data.get("busObId") or "").lower()
    fields = catalogue.fields_of(busobid)
    if fields is None:
        raise not_found("Business object not found")
    names = {str(name).lower() for name in data.get("fieldNames") or []}
    chosen = [item for item in fields if not names or item.name.lower() in names or data.get("includeAll")]
    return ok_body(fields=[catalogue.field_item(busobid, item) for item in chosen])


def _by_public_id(request: HttpRequest, token: Token, busobid: str, public_id: str) -> Any:
    records.require_incident_object(busobid)
    return records.incident_json(busobid, records.incident_by_public_id(public_id))


def _by_rec_id(request: HttpRequest, token: Token, busobid: str, rec_id: str) -> Any:
    records.require_incident_object(busobid)
    return records.incident_json(busobid, records.incident_by_rec_id(rec_id))


def _related(request: HttpRequest, token: Token, parent: str, rec_id: str, relationship: str) -> Any:
    return records.related_list(parent_busobid=parent, parent_rec_id=rec_id, relationship_id=relationship,
                                query=request.GET.dict())


def _save_related(request: HttpRequest, token: Token) -> Any:
    return records.related_save(json_body(request), username=token.username)


_SEGMENT = r"([^/]+)"
_ROUTE_TABLE: list[tuple[str, str, Handler]] = [
    ("GET", rf"getbusinessobjectsummary/busobname/{_SEGMENT}", _summary_by_name),
    ("GET", rf"getbusinessobjectsummaries/type/{_SEGMENT}", _summaries),
    ("GET", rf"getbusinessobjectschema/busobid/{_SEGMENT}", _schema),
    ("POST", r"getbusinessobjecttemplate", _template),
    ("GET", rf"getbusinessobject/busobid/{_SEGMENT}/publicid/{_SEGMENT}", _by_public_id),
    ("GET", rf"getbusinessobject/busobid/{_SEGMENT}/busobrecid/{_SEGMENT}", _by_rec_id),
    ("GET", rf"getrelatedbusinessobject/parentbusobid/{_SEGMENT}/parentbusobrecid/{_SEGMENT}"
            rf"/relationshipid/{_SEGMENT}", _related),
    ("POST", r"saverelatedbusinessobject", _save_related),
]
ROUTES = [(method, re.compile(pattern, re.IGNORECASE), handler) for method, pattern, handler in _ROUTE_TABLE]


@endpoint("GET", "POST")
def operation(request: HttpRequest, path: str) -> HttpResponse:
    for method, pattern, handler in ROUTES:
        match = pattern.fullmatch(path.rstrip("/"))
        if match and request.method == method:
            token = auth.authenticate(bearer_token(request))
            return JsonResponse(handler(request, token, *match.groups()), safe=False)
    raise CsmFailure(404, "NOTFOUND", f"No operation {request.method} {path}.")


@csrf_exempt
def cherwell_api(request: HttpRequest, path: str) -> HttpResponse:
    """``CherwellAPI/token`` and ``CherwellAPI/api/V1/…``, in any case (a Django route cannot)."""
    lowered = path.lower()
    if lowered == "cherwellapi/token":
        return token(request)
    if lowered.startswith(OPERATIONS):
        return operation(request, path[len(OPERATIONS):])
    return JsonResponse({"Message": "No HTTP resource was found that matches the request URI."}, status=404)
