"""The login page, the token endpoint and revocation (API notes §1.2, §1.3, §1.5)."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from .. import oauth
from ..forms import LoginForm
from ..protocol import api_endpoint, bearer_token, form_or_json_body, no_content

DEFAULT_EMAIL = "agent@example.com"


def _no_opener_isolation(view):
    """A login page meant for display=popup sets no opener isolation on any of its answers
    (redirects included), or the pop-up could never report back to the page that opened it;
    Django's default COOP is "same-origin"."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cross-Origin-Opener-Policy"] = "unsafe-none"
        return response

    return wrapped


@_no_opener_isolation
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """TeamViewer's login page: sign in, then allow or deny the app."""
    try:
        grant = oauth.authorize_request_parse(request.GET)
    except oauth.UntrustedClient as exc:
        # Like a real OAuth server: never send the browser to an unregistered address.
        return render(request, "sandbox/error.html", {"detail": str(exc)}, status=400)
    except oauth.AuthorizeError as exc:
        return _back_to_client(
            request.GET["redirect_uri"], error=exc.error, error_description=exc.description,
            state=request.GET.get("state", ""),
        )
    form = LoginForm(initial={"email": DEFAULT_EMAIL})
    if request.method == "POST":
        if request.POST.get("action") == "deny":
            return _back_to_client(
                grant.redirect_uri, error="access_denied",
                error_description="The user denied access.", state=grant.state,
            )
        form = LoginForm(request.POST)
        if form.is_valid():
            code = oauth.code_issue(request=grant, email=form.cleaned_data["email"])
            return _back_to_client(grant.redirect_uri, code=code, state=grant.state)
    return render(request, "sandbox/authorize.html", {"form": form, "client_id": grant.client_id})


def _back_to_client(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    query = urlencode({name: value for name, value in params.items() if value})
    separator = "&" if "?" in redirect_uri else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{query}")


@api_endpoint("POST")
@sensitive_post_parameters("client_secret", "code", "code_verifier", "refresh_token")
def token(request: HttpRequest) -> JsonResponse:
    body = oauth.token_grant(form_or_json_body(request))
    response = JsonResponse(body)
    # RFC 6749 §5.1, and TeamViewer's manual: tokens are never cached.
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@api_endpoint("POST")
def revoke(request: HttpRequest) -> HttpResponse:
    oauth.token_revoke(bearer_token(request))
    return no_content()

