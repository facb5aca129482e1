"""The one module that speaks HTTP to TeamViewer (requests, and authlib over it for OAuth).

Every call has a timeout; every failure becomes one of the typed errors in
``csm_teamviewer.errors``. Where the project's TeamViewer API notes show sources disagreeing, both
readings are accepted (a rate limit as 403 ``rate_limit_reached`` or 429; a refused token as 401
or as a 400 ``invalid_token``). Only what is safe to repeat is retried.
"""

from __future__ import annotations

from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from urllib3.util.retry import Retry

from csm_teamviewer.errors import (
    TeamViewerError,
    TeamViewerLicenseLimit,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRateLimited,
    TeamViewerRejected,
    TeamViewerUnavailable,
)
from csm_teamviewer.pooled_http import ThreadPooledSessions

from .observed import observed, operation_of

TokenCall = Callable[[OAuth2Session], dict[str, Any]]
# Errors that mean the access token itself is no good (API notes §5; some arrive as 400).
TOKEN_ERRORS = {"invalid_token", "token_expired"}
# Bounded retry of what is safe to repeat: connection failures, and gateway errors on reads and
# on PUT (closing twice is harmless). A POST is never retried here.
RETRY = Retry(
    total=2,
    connect=2,
    read=0,
    status=2,
    status_forcelist=(502, 503, 504),
    allowed_methods=frozenset({"GET", "PUT"}),
    backoff_factor=0.2,
    raise_on_status=False,
    respect_retry_after_header=False,
)


class TeamViewerHttp:
    """TeamViewer's base URL, this server's OAuth credentials and one pooled HTTP session."""

    def __init__(
        self,
        *,
        api_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        timeout: tuple[float, float],
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.token_endpoint = f"{self.api_url}/oauth2/token"
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self._sessions = ThreadPooledSessions(self.api_url, retry=RETRY, pool_maxsize=32)

    def __repr__(self) -> str:
        return f"TeamViewerHttp(api_url={self.api_url!r}, client_id={self.client_id!r})"

    @property
    def session(self) -> requests.Session:
        return self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        access_token: str,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> requests.Response:
        """One Web API call with the bearer token; a non-2xx answer raises its typed error."""
        with observed(operation_of(method, path)):
            return self._request(method, path, access_token=access_token, json=json, params=params)

    def _request(
        self, method: str, path: str, *, access_token: str, json: Any, params: Any
    ) -> requests.Response:
        try:
            response = self.session.request(
                method,
                f"{self.api_url}{path}",
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise _too_slow() from None
        except requests.RequestException as exc:
            raise (_too_slow() if _timed_out(exc) else TeamViewerUnavailable(status_code=503)) from None
        if response.status_code >= 300:
            _raise_for_failure(response)
        return response

    def authorize_url(self, endpoint: str, *, state: str, code_verifier: str) -> str:
        """TeamViewer's login page URL: ``display=popup`` as the manual asks, and PKCE S256."""
        with self._oauth() as oauth:
            url, _state = oauth.create_authorization_url(
                endpoint, state=state, code_verifier=code_verifier, display="popup"
            )
        return url

    def fetch_token(self, *, code: str, code_verifier: str) -> dict[str, Any]:
        """The authorization-code grant; a refused code is ``TeamViewerRejected``."""
        return self._token_call(
            "exchange_code",
            lambda oauth: oauth.fetch_token(
                self.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                redirect_uri=self.redirect_uri,
                timeout=self.timeout,
            ),
            refused=TeamViewerRejected,
        )

    def refresh_token(self, *, refresh_token: str) -> dict[str, Any]:
        """The refresh grant; a refused refresh token is ``TeamViewerLoginRequired``."""
        return self._token_call(
            "refresh_token",
            lambda oauth: oauth.refresh_token(
                self.token_endpoint, refresh_token=refresh_token, timeout=self.timeout
            ),
            refused=TeamViewerLoginRequired,
        )

    def _oauth(self) -> OAuth2Session:
        # A fresh session per token call: OAuth2Session keeps the last token as state, which
        # must never be shared between agents' concurrent calls.
        oauth = OAuth2Session(
            client_id=self.client_id,
            client_secret=self._client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name; TeamViewer wants both in the body
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
        )
        oauth.register_compliance_hook("access_token_response", _check_token_response)
        oauth.register_compliance_hook("refresh_token_response", _check_token_response)
        return oauth

    def _token_call(
        self, operation: str, call: TokenCall, *, refused: type[TeamViewerError]
    ) -> dict[str, Any]:
        with observed(operation):
            return self._token_call_typed(call, refused=refused)

    def _token_call_typed(self, call: TokenCall, *, refused: type[TeamViewerError]) -> dict[str, Any]:
        try:
            # Closed at once: a per-call session must not leave keep-alive sockets behind.
            with self._oauth() as oauth:
                return call(oauth)
        except OAuthError as exc:
            if (exc.error or "").lower() == "invalid_client":
                # Our client ID or secret is wrong: an operator's problem, not the agent's.
                raise TeamViewerRejected(
                    "TeamViewer refused this server's client ID or secret.",
                    teamviewer_error="invalid_client",
                ) from None
            raise refused(exc.description or None, teamviewer_error=exc.error or None) from None
        except requests.Timeout:
            raise _too_slow() from None
        except (requests.RequestException, ValueError):
            raise TeamViewerUnavailable(status_code=502) from None


def ping_anonymously(api_url: str, *, timeout: float) -> None:
    """``/ping`` without a token (200 ``token_valid: false``), once: or ``TeamViewerUnavailable``."""
    with observed("ping"):
        try:
            response = requests.get(f"{api_url.rstrip('/')}/ping", timeout=timeout)
        except requests.RequestException as exc:
            slow = isinstance(exc, requests.Timeout)
            raise (_too_slow() if slow else TeamViewerUnavailable(status_code=503)) from None
        if response.status_code >= 300:
            _raise_for_failure(response)
        json_of(response)


def json_of(response: requests.Response) -> dict[str, Any]:
    """The answer's JSON object; anything else is not TeamViewer speaking."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TeamViewerUnavailable(
            _("TeamViewer answered with something that is not its JSON."), status_code=502
        )
    return body


def _too_slow() -> TeamViewerUnavailable:
    return TeamViewerUnavailable(_("TeamViewer did not answer in time."), status_code=504)


def _timed_out(exc: requests.RequestException) -> bool:
    # A read timeout on a method the Retry may repeat (GET, PUT) reaches requests as a
    # MaxRetryError, which it raises as a ConnectionError: still "too slow", not "unreachable".
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.TimeoutError)


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def _error_body(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _raise_for_failure(response: requests.Response) -> None:
    """Map a non-2xx TeamViewer answer to the typed error it means."""
    status = response.status_code
    body = _error_body(response)
    error = str(body.get("error", "")).lower()
    text = str(body.get("error_description") or body.get("error") or "")
    if status == 429 or error == "rate_limit_reached":
        raise TeamViewerRateLimited(retry_after=_retry_after_seconds(response))
    # A 401 means the token whatever the body says (a gateway may answer it without JSON).
    if status == 401:
        raise TeamViewerLoginRequired()
    if status >= 500 or not body:
        raise TeamViewerUnavailable(status_code=502)
    if error in TOKEN_ERRORS:
        raise TeamViewerLoginRequired()
    if "licens" in text.lower():
        raise TeamViewerLicenseLimit(text)
    if status == 404:
        raise TeamViewerNotFound(text or None)
    raise TeamViewerRejected(text or None, teamviewer_error=error or None)


def _check_token_response(response: requests.Response) -> requests.Response:
    """authlib compliance hook: typed errors for what is not an OAuth error body."""
    body = _error_body(response)
    error = str(body.get("error", "")).lower()
    if response.status_code == 429 or error == "rate_limit_reached":
        raise TeamViewerRateLimited(retry_after=_retry_after_seconds(response))
    if response.status_code == 401 and not body:
        # A refusal without an OAuth error body: the grant is refused all the same.
        raise OAuthError(error="unauthorized", description="TeamViewer refused the token request.")
    if response.status_code >= 500 or not body:
        raise TeamViewerUnavailable(status_code=502)
    return response
