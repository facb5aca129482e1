"""The one module that speaks HTTP to CSM's REST API.

Every call has a (connect, read) timeout and every failure becomes one of the typed errors in
``errors.py``. Errors are read from the body first (``hasError``/``errorCode``/``errorMessage``,
or OAuth's ``error``/``error_description`` on the token endpoint) whatever the status, since
sources disagree on the statuses (csm-api.md, "disagree" 4). Only connection failures are
retried here (nothing was sent); a POST that may have reached CSM never is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from urllib3.util.retry import Retry

from csm_teamviewer.pooled_http import ThreadPooledSessions

from .errors import (
    CsmConfigurationError,
    CsmError,
    CsmRecordNotFound,
    CsmRejected,
    CsmTokenRefused,
    CsmUnavailable,
)

# errorCode values that mean "no such record or object" (measured on a live server: HTTP 500).
NOT_FOUND_CODES = {"RECORDNOTFOUND", "BUSOBNOTFOUND", "NOTFOUND", "RELATIONSHIPNOTFOUND"}
# errorCode values that mean the integration account may not do this.
RIGHTS_CODES = {"INSUFFICIENTRIGHTS", "FORBIDDEN", "ACCESSDENIED"}
# OAuth errors of the token endpoint that mean the client key is wrong.
CLIENT_ERRORS = {"invalid_client_id", "invalid_client", "unauthorized_client"}


@dataclass(frozen=True)
class CsmAccount:
    """Where CSM is and who this server signs in as. The password never shows in a repr."""

    api_url: str
    client_id: str
    username: str
    password: str = field(repr=False)
    auth_mode: str = "Internal"


# Only failures to connect are retried: nothing reached CSM. A read is not retried, so a save
# that timed out is reported as uncertain instead of being sent twice.
RETRY = Retry(total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.2, raise_on_status=False)


def segment(value: str) -> str:
    """One path segment, escaped (a public ID may hold any character)."""
    return quote(value, safe="")


class CsmHttp:
    """CSM's base URL, the account's token calls, and one pooled HTTP session per thread."""

    def __init__(self, *, account: CsmAccount, timeout: tuple[float, float]) -> None:
        self.account = account
        self.api_url = account.api_url.rstrip("/")
        self.timeout = timeout
        self._sessions = ThreadPooledSessions(self.api_url, retry=RETRY, pool_maxsize=16)

    def __repr__(self) -> str:
        return f"CsmHttp(api_url={self.api_url!r}, username={self.account.username!r})"

    @property
    def session(self) -> requests.Session:
        return self._sessions.get()

    def close(self) -> None:
        self._sessions.close()

    def password_grant(self) -> dict[str, Any]:
        """Log in as the integration account (each login takes a CSM licence)."""
        return self._token_call(
            {
                "grant_type": "password",
                "client_id": self.account.client_id,
                "username": self.account.username,
                "password": self.account.password,
                "auth_mode": self.account.auth_mode,
            }
        )

    def refresh_grant(self, refresh_token: str) -> dict[str, Any]:
        """A new access token from the refresh token; a refused one raises ``CsmTokenRefused``."""
        form = {
            "grant_type": "refresh_token",
            "client_id": self.account.client_id,
            "refresh_token": refresh_token,
            "auth_mode": self.account.auth_mode,
        }
        return self._token_call(form, refresh=True)

    def call(
        self,
        method: str,
        path: str,
        *,
        access_token: str,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """One ``api/V1`` operation with the bearer token: its JSON, or the typed error."""
        response = self._send(
            method,
            f"{self.api_url}/api/V1/{path}",
            json=json,
            params=params,
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
        )
        body = _json_or_none(response)
        if response.status_code == 401:
            raise CsmTokenRefused("CSM refused the access token.", http_status=401)
        _raise_for_error(response.status_code, body)
        if body is None:
            raise CsmUnavailable("CSM answered with something that is not its JSON.",
                                 http_status=response.status_code)
        return body

    def _token_call(self, form: dict[str, str], *, refresh: bool = False) -> dict[str, Any]:
        # auth_mode in the query string (Swagger, Ivanti's PowerShell) and in the body (Ivanti's
        # mode pages, Cherwell's demos): sources disagree, servers accept both.
        response = self._send(
            "POST",
            f"{self.api_url}/token",
            params={"auth_mode": self.account.auth_mode},
            data=form,
            headers={"Accept": "application/json"},
        )
        body = _json_or_none(response)
        if response.status_code < 300 and isinstance(body, dict) and body.get("access_token"):
            return body
        raise _token_error(response.status_code, body, refresh=refresh)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.ConnectTimeout:
            raise CsmUnavailable("CSM could not be reached in time.") from None
        except requests.Timeout:
            # The request went out: CSM may have carried it out before we gave up.
            raise CsmUnavailable("CSM did not answer in time.", uncertain=True) from None
        except requests.ConnectionError as exc:
            raise CsmUnavailable("CSM could not be reached.", uncertain=_maybe_sent(exc)) from None
        except requests.RequestException:
            raise CsmUnavailable("CSM could not be reached.") from None


def _maybe_sent(exc: requests.ConnectionError) -> bool:
    """False when the connection was never made (refused, unresolvable): nothing was sent."""
    text = repr(exc.args[0]) if exc.args else repr(exc)
    return not any(marker in text for marker in ("NewConnectionError", "NameResolutionError",
                                                 "ConnectTimeout", "Failed to establish"))


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _raise_for_error(status: int, body: Any) -> None:
    """Raise the error an operation's answer carries, whatever its HTTP status."""
    has_error = isinstance(body, dict) and (body.get("hasError") is True or bool(body.get("errorCode")))
    if not has_error and status < 300:
        return
    code = str(body.get("errorCode") or "") if isinstance(body, dict) else ""
    message = str(body.get("errorMessage") or "") if isinstance(body, dict) else ""
    message = message or f"CSM answered HTTP {status}."
    kind = _error_kind(status, code.upper(), has_error)
    raise kind(message, code=code, http_status=status)


def _error_kind(status: int, code: str, has_error: bool) -> type[CsmError]:
    if code in NOT_FOUND_CODES or (status == 404 and not code):
        return CsmRecordNotFound
    if code in RIGHTS_CODES or status == 403:
        return CsmConfigurationError
    if status >= 500 or not has_error:
        # A 5xx that is not a known "not found", or a failure without CSM's error body.
        return CsmUnavailable
    return CsmRejected


def _token_error(status: int, body: Any, *, refresh: bool) -> CsmError:
    body = body if isinstance(body, dict) else {}
    error = str(body.get("error") or body.get("errorCode") or "")
    message = str(body.get("error_description") or body.get("errorMessage") or "")
    if status >= 500 or status == 429 or not error:
        text = message or f"CSM's token endpoint answered HTTP {status}."
        return CsmUnavailable(text, code=error, http_status=status)
    if error.lower() in CLIENT_ERRORS:
        return CsmConfigurationError(message or "CSM does not know this client key.", code=error,
                                     http_status=status)
    if refresh:
        # An expired or spent refresh token: a password login will do.
        return CsmTokenRefused(message or "CSM refused the refresh token.", code=error, http_status=status)
    return CsmConfigurationError(message or "CSM refused the login.", code=error, http_status=status)
