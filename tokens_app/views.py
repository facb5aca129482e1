"""The TeamViewer login pages: start (redirect to TeamViewer) and callback (finish, then carry
out the pending action).

Both run in the pop-up window the incident page opens; the callback page tells its opener the
outcome and closes itself, so the agent never has to press a "part 2" button.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from csm_teamviewer.error_responses import error_json
from csm_teamviewer.errors import LoginFlowInvalid, NotAuthenticated, ServiceError

from . import selectors, services
from .login_result import LoginResult
from .models import LoginFlow

FLOW_COOKIE = "tv_login_flow"
FLOW_COOKIE_SALT = "tokens_app.login-flow"
FLOW_COOKIE_PATH = "/oauth/teamviewer/"


def _browser_flow_id(request: HttpRequest) -> str | None:
    try:
        return request.get_signed_cookie(FLOW_COOKIE, default=None, salt=FLOW_COOKIE_SALT)
    except BadSignature:
        return None


def _page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    # The callback URL carries the authorization code: never pass it on in a Referer.
    response["Referrer-Policy"] = "no-referrer"
    _keep_opener(response)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_COOKIE_PATH)
    return response


@never_cache
@require_GET
def login_start(request: HttpRequest, flow_id: str) -> HttpResponse:
    try:
        signed_in = request.user if request.user.is_authenticated else None
        flow, authorize_url = services.login_flow_begin(flow_id=flow_id, signed_in=signed_in)
    except LoginFlowInvalid as exc:
        return _page(request, "oauth/error.html", {"error": exc}, status=400)
    response = HttpResponseRedirect(authorize_url)
    # Bind the login to this browser: the callback must come back to the one that started it.
    response.set_signed_cookie(
        FLOW_COOKIE,
        flow.flow_id,
        salt=FLOW_COOKIE_SALT,
        max_age=settings.LOGIN_FLOW_LIFETIME_SECONDS,
        path=FLOW_COOKIE_PATH,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    response["Referrer-Policy"] = "no-referrer"
    _keep_opener(response)
    return response


def _keep_opener(response: HttpResponse) -> None:
    # Every page the pop-up passes through must opt out of opener isolation (COOP), or Chromium
    # cuts the link to the incident page that opened it for good; then the page falls back to
    # polling ``login_flow_status``.
    response["Cross-Origin-Opener-Policy"] = "unsafe-none"


@never_cache
@require_GET
def login_callback(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    code = request.GET.get("code", "")
    error = request.GET.get("error", "")
    browser_flow_id = _browser_flow_id(request)
    try:
        if error or not code:
            flow = services.login_flow_deny(
                state=state, browser_flow_id=browser_flow_id, error=error or "no_code"
            )
            template = "oauth/denied.html" if error == "access_denied" else "oauth/error.html"
            return _page(request, template, {"flow": flow, "error": None}, status=400)
        flow = services.login_flow_complete(state=state, code=code, browser_flow_id=browser_flow_id)
    except ServiceError as exc:
        return _page(
            request,
            "oauth/error.html",
            {"error": exc},
            status=400 if isinstance(exc, LoginFlowInvalid) else 502,
        )
    result = selectors.login_flow_result(flow=flow, viewer=request.user)
    context = {"flow": flow, "result": result, "message": _opener_message(flow, result)}
    return _page(request, "oauth/done.html", context)


def _opener_message(flow: LoginFlow, result: LoginResult | None) -> dict[str, Any]:
    """What the pop-up posts to the incident page that opened it (never cached: ``never_cache``)."""
    return {
        "source": "csm-teamviewer",
        "type": "teamviewer-login",
        "flow": flow.flow_id,
        "status": flow.status,
        "result": result.to_json() if result else {},
    }


@never_cache
@require_GET
def login_flow_status(request: HttpRequest, flow_id: str) -> JsonResponse:
    """How the signed-in agent's login is going, for the incident page when the pop-up cannot
    tell it (the pop-up lost its opener). Only the agent who owns the flow sees it; others 404."""
    if not request.user.is_authenticated:
        detail = _("You are signed out. Reload the page to sign in again.")
        return error_json(NotAuthenticated(detail))
    try:
        body = selectors.login_flow_status(flow_id=flow_id, agent=request.user)
    except ServiceError as exc:
        return error_json(exc)
    return JsonResponse(body)
