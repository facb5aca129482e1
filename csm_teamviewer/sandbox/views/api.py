"""The Web API calls behind a bearer token: ping, sessions, connection reports (API notes §2-4)."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from .. import calls, oauth, sessions, validation
from ..models import Token
from ..presenters import account_json, public_url, record_json, session_json, session_short_json
from ..protocol import api_endpoint, bearer_token, json_body, no_content


def _authenticated(request: HttpRequest) -> Token:
    token = oauth.token_authenticate(bearer_token(request))
    calls.call_record(token=token, method=request.method or "GET", path=request.path)
    return token


@api_endpoint("GET")
def ping(request: HttpRequest) -> JsonResponse:
    # TeamViewer answers 200 with token_valid false rather than 401 (API notes §2).
    token = oauth.token_lookup(bearer_token(request))
    valid = token is not None and not token.is_revoked and not token.is_expired()
    return JsonResponse({"token_valid": valid})


@api_endpoint("GET")
def account(request: HttpRequest) -> JsonResponse:
    return JsonResponse(account_json(_authenticated(request)))


@api_endpoint("GET", "POST")
def session_collection(request: HttpRequest) -> JsonResponse:
    token = _authenticated(request)
    if request.method == "POST":
        return _session_create(request, token)
    params = request.GET.dict()
    full = validation.query_bool(params, "full_list", default=False)
    page = sessions.session_list(token=token, params=params)
    body = {
        "sessions": [session_json(item) if full else session_short_json(item) for item in page.items],
        "sessions_remaining": page.remaining,
    }
    if page.next_offset:
        body["next_offset"] = page.next_offset
    return JsonResponse(body)


def _session_create(request: HttpRequest, token: Token) -> JsonResponse:
    session = sessions.session_create(token=token, data=json_body(request))
    # 200 and a Location header, not 201 (API notes §3.1).
    response = JsonResponse(session_json(session))
    response["Location"] = public_url("session-detail", session.code)
    return response


@api_endpoint("GET", "PUT")
def session_detail(request: HttpRequest, code: str) -> HttpResponse:
    token = _authenticated(request)
    if request.method == "PUT":
        sessions.session_update(code=code, token=token, data=json_body(request))
        return no_content()
    return JsonResponse(session_json(sessions.session_get(code=code, token=token)))


@api_endpoint("GET")
def connection_reports(request: HttpRequest) -> JsonResponse:
    token = _authenticated(request)
    page = sessions.report_list(token=token, params=request.GET.dict())
    body = {"records": [record_json(item) for item in page.items], "records_remaining": page.remaining}
    if page.next_offset:
        body["next_offset"] = page.next_offset
    return JsonResponse(body)


@api_endpoint("PUT")
def connection_report_detail(request: HttpRequest, report_id: str) -> HttpResponse:
    sessions.report_update(token=_authenticated(request), report_id=report_id, data=json_body(request))
    return no_content()
