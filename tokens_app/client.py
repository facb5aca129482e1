"""The one TeamViewer Web API client: OAuth (authlib over requests), ping, sessions, reports.

This is the only module that speaks HTTP to TeamViewer. Every call has a timeout; every failure
becomes one of the typed errors in ``csm_teamviewer.errors``. Facts and disagreements between
sources are in the project's TeamViewer API notes; where sources disagree we accept both readings
(rate limit as 403 ``rate_limit_reached`` or 429; unknown session as 400 or 404; ``state`` in any
case; ``records_remaining`` or ``reports_remaining``).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
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

logger = logging.getLogger(__name__)

# TeamViewer limits (API notes §3.1): end_customer name ≤ 100, email ≤ 254, custom_api ≤ 4000.
MAX_CUSTOMER_NAME = 100
MAX_CUSTOMER_EMAIL = 254
MAX_CUSTOM_API = 4000
# Errors that mean the access token itself is no good (API notes §5; some arrive as 400).
TOKEN_ERRORS = {"invalid_token", "token_expired"}


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str = ""

    def __repr__(self) -> str:  # never show the tokens themselves
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, scope={self.scope!r})"


@dataclass(frozen=True)
class RemoteSession:
    """A TeamViewer session code and its links, as TeamViewer describes it."""

    code: str
    state: str
    end_customer_link: str = ""
    supporter_link: str = ""
    webclient_supporter_link: str = ""
    online: bool = False
    valid_until: datetime | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    description: str = ""
    group_id: str = ""
    raw: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_closed(self) -> bool:
        return self.state == "closed"


@dataclass(frozen=True)
class SessionPage:
    sessions: list[RemoteSession]
    next_offset: str | None
    remaining: int = 0


@dataclass(frozen=True)
class ConnectionReport:
    id: str
    session_code: str
    username: str = ""
    device_id: str = ""
    start_date: datetime | None = None
    end_date: datetime | None = None
    notes: str = ""

    @property
    def duration(self) -> timedelta | None:
        # Only one source has a `duration` field; every source has both dates.
        if self.start_date and self.end_date:
            return self.end_date - self.start_date
        return None


def _parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


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


def _timed_out(exc: requests.RequestException) -> bool:
    # A read timeout on a method the Retry may repeat (GET, PUT) reaches requests as a
    # MaxRetryError, which it raises as a ConnectionError: still "too slow", not "unreachable".
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.TimeoutError)


def _code_from_location(location: str) -> str:
    """``https://webapi.teamviewer.com/api/v1/sessions/s12-345-678`` → ``s12-345-678``."""
    path = urlsplit(location).path.rstrip("/")
    head, _, code = path.rpartition("/")
    return code if head.endswith("/sessions") else ""


def _error_body(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_text(body: dict) -> str:
    return str(body.get("error_description") or body.get("error") or "")


def _raise_for_failure(response: requests.Response) -> None:
    """Map a non-2xx TeamViewer answer to the typed error it means."""
    status = response.status_code
    body = _error_body(response)
    error = str(body.get("error", "")).lower()
    text = _error_text(body)
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


class TeamViewerClient:
    """One method per TeamViewer endpoint, verb first, returning typed values."""

    def __init__(
        self,
        *,
        api_url: str,
        authorize_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        session_group: str,
        timeout: tuple[float, float],
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.authorize_endpoint = authorize_url
        self.token_endpoint = f"{self.api_url}/oauth2/token"
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.session_group = session_group
        self.timeout = timeout
        self._http = self._new_http_session()

    def __repr__(self) -> str:
        return f"TeamViewerClient(api_url={self.api_url!r}, client_id={self.client_id!r})"

    @staticmethod
    def _new_http_session() -> requests.Session:
        http = requests.Session()
        # Bounded retry of what is safe to repeat: connection failures, and gateway errors on
        # reads and on PUT (closing twice is harmless). A POST is never retried here.
        retry = Retry(
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
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=32)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
        return http

    # --- OAuth ----------------------------------------------------------------------------

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

    def build_authorize_url(self, *, state: str, code_verifier: str) -> str:
        """TeamViewer's login page URL: ``display=popup`` as the manual asks, and PKCE S256."""
        with self._oauth() as oauth:
            url, _ = oauth.create_authorization_url(
                self.authorize_endpoint, state=state, code_verifier=code_verifier, display="popup"
            )
        return url

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code (with its PKCE verifier) for tokens."""
        token = self._token_call(
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
        return self._token_set(token)

    def refresh_tokens(self, *, refresh_token: str) -> TokenSet:
        """A new access token and a new refresh token; the old refresh token is spent."""
        token = self._token_call(
            lambda oauth: oauth.refresh_token(
                self.token_endpoint, refresh_token=refresh_token, timeout=self.timeout
            ),
            refused=TeamViewerLoginRequired,
        )
        return self._token_set(token)

    def _token_call(self, call, *, refused: type[TeamViewerError]) -> dict:
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
            raise TeamViewerUnavailable(_("TeamViewer did not answer in time."), status_code=504) from None
        except (requests.RequestException, ValueError):
            raise TeamViewerUnavailable(status_code=502) from None

    @staticmethod
    def _token_set(token: dict) -> TokenSet:
        access_token = token.get("access_token")
        if not access_token:
            raise TeamViewerUnavailable(_("TeamViewer answered without an access token."), status_code=502)
        try:
            expires_in = float(token.get("expires_in") or 0)
        except (TypeError, ValueError):
            expires_in = 0
        # The manual says one day, its example says an hour: trust what is returned, and
        # fall back to an hour when nothing is.
        expires_in = expires_in if expires_in > 0 else 3600
        return TokenSet(
            access_token=str(access_token),
            refresh_token=str(token.get("refresh_token") or ""),
            expires_at=timezone.now() + timedelta(seconds=expires_in),
            scope=str(token.get("scope") or ""),
        )

    def revoke_token(self, *, access_token: str) -> None:
        """Revoke the token (and so its refresh token). Already invalid counts as done."""
        try:
            self._call("POST", "/oauth2/revoke", access_token=access_token)
        except (TeamViewerLoginRequired, TeamViewerRejected):
            pass

    # --- API ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        access_token: str,
        json: dict | None = None,
        params: dict | None = None,
    ) -> requests.Response:
        try:
            response = self._http.request(
                method,
                f"{self.api_url}{path}",
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout:
            raise TeamViewerUnavailable(_("TeamViewer did not answer in time."), status_code=504) from None
        except requests.RequestException as exc:
            if _timed_out(exc):
                raise TeamViewerUnavailable(
                    _("TeamViewer did not answer in time."), status_code=504
                ) from None
            raise TeamViewerUnavailable(status_code=503) from None
        if response.status_code >= 300:
            _raise_for_failure(response)
        return response

    def _json(self, response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise TeamViewerUnavailable(_("TeamViewer answered with something that is not its JSON."), status_code=502)
        return body

    def ping(self, *, access_token: str) -> bool:
        """Whether TeamViewer accepts the token (it answers 200 ``token_valid: false`` or 401)."""
        try:
            body = self._json(self._call("GET", "/ping", access_token=access_token))
        except TeamViewerLoginRequired:
            return False
        return body.get("token_valid") is True

    def create_session(
        self,
        *,
        access_token: str,
        description: str = "",
        end_customer_name: str = "",
        end_customer_email: str = "",
        valid_until: datetime | None = None,
        custom_api: str = "",
    ) -> RemoteSession:
        payload: dict[str, Any] = {"groupname": self.session_group, "description": description}
        end_customer = {
            key: value
            for key, value in (
                ("name", end_customer_name[:MAX_CUSTOMER_NAME]),
                ("email", end_customer_email[:MAX_CUSTOMER_EMAIL]),
            )
            if value
        }
        if end_customer:
            payload["end_customer"] = end_customer
        if valid_until is not None:
            payload["valid_until"] = valid_until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if custom_api:
            payload["custom_api"] = custom_api[:MAX_CUSTOM_API]
        response = self._call("POST", "/sessions", access_token=access_token, json=payload)
        body = self._json(response)
        if not body.get("code"):
            # TeamViewer answers 200 with a Location naming the new session (API notes §3.1).
            body = {**body, "code": _code_from_location(response.headers.get("Location", ""))}
        session = self._session(body)
        if not session.code:
            raise TeamViewerUnavailable(_("TeamViewer answered without a session code."), status_code=502)
        return session

    def get_session(self, *, access_token: str, code: str) -> RemoteSession:
        try:
            response = self._call("GET", f"/sessions/{code}", access_token=access_token)
        except TeamViewerRejected as exc:
            # An unknown code is a 400 in some sources and a 404 in others.
            if isinstance(exc, TeamViewerLicenseLimit):
                raise
            raise TeamViewerNotFound(exc.detail) from None
        return self._session(self._json(response))

    def close_session(self, *, access_token: str, code: str) -> None:
        """Close the session code at TeamViewer (PUT ``state=closed``; 204)."""
        try:
            response = self._call(
                "PUT", f"/sessions/{code}", access_token=access_token, json={"state": "closed"}
            )
            if response.status_code != 204 and response.content:
                # A body that is not TeamViewer's JSON (a gateway's page) confirms nothing.
                self._json(response)
        except TeamViewerNotFound:
            raise
        except TeamViewerRejected:
            # A 400 may mean "no such code" or a real refusal: ask TeamViewer which.
            self.get_session(access_token=access_token, code=code)
            raise

    def list_sessions(
        self, *, access_token: str, state: str = "open", offset: str | None = None
    ) -> SessionPage:
        params = {"state": state, "full_list": "true"}
        if offset:
            params["offset"] = offset
        body = self._json(self._call("GET", "/sessions", access_token=access_token, params=params))
        sessions = [self._session(item) for item in body.get("sessions") or [] if isinstance(item, dict)]
        return SessionPage(
            sessions=sessions,
            next_offset=str(body["next_offset"]) if body.get("next_offset") else None,
            remaining=int(body.get("sessions_remaining") or 0),
        )

    def iter_sessions(self, *, access_token: str, state: str = "open") -> Iterator[RemoteSession]:
        offset = None
        while True:
            page = self.list_sessions(access_token=access_token, state=state, offset=offset)
            yield from page.sessions
            if not page.next_offset or page.next_offset == offset:
                return
            offset = page.next_offset

    def get_connection_reports(self, *, access_token: str, session_code: str) -> list[ConnectionReport]:
        """Every connection made with the session code (paged by ``offset_id``, 1000 a page)."""
        reports: list[ConnectionReport] = []
        params: dict[str, str] = {"session_code": session_code}
        while True:
            body = self._json(
                self._call("GET", "/reports/connections", access_token=access_token, params=params)
            )
            reports += [self._report(item) for item in body.get("records") or [] if isinstance(item, dict)]
            next_offset = body.get("next_offset")
            if not next_offset or params.get("offset_id") == str(next_offset):
                return reports
            params["offset_id"] = str(next_offset)

    @staticmethod
    def _session(body: dict) -> RemoteSession:
        return RemoteSession(
            code=str(body.get("code") or ""),
            # Lower case in the manual, capitalised in one client's typing: compare lowered.
            state=str(body.get("state") or "open").lower(),
            end_customer_link=str(body.get("end_customer_link") or ""),
            supporter_link=str(body.get("supporter_link") or ""),
            webclient_supporter_link=str(body.get("webclient_supporter_link") or ""),
            online=body.get("online") is True,
            valid_until=_parse_time(body.get("valid_until")),
            created_at=_parse_time(body.get("created_at")),
            closed_at=_parse_time(body.get("closed_at")),
            description=str(body.get("description") or ""),
            group_id=str(body.get("groupid") or ""),
            raw=body,
        )

    @staticmethod
    def _report(body: dict) -> ConnectionReport:
        return ConnectionReport(
            id=str(body.get("id") or ""),
            session_code=str(body.get("session_code") or ""),
            username=str(body.get("username") or ""),
            device_id=str(body.get("deviceid") or ""),
            start_date=_parse_time(body.get("start_date")),
            end_date=_parse_time(body.get("end_date")),
            notes=str(body.get("notes") or ""),
        )


_local = threading.local()


def get_client() -> TeamViewerClient:
    """The client built from settings, one per thread (its connection pool is reused)."""
    key = (
        settings.TEAMVIEWER_API_URL,
        settings.TEAMVIEWER_AUTHORIZE_URL,
        settings.TEAMVIEWER_CLIENT_ID,
        settings.TEAMVIEWER_CLIENT_SECRET,
        settings.TEAMVIEWER_REDIRECT_URI,
        settings.TEAMVIEWER_SESSION_GROUP,
        tuple(settings.TEAMVIEWER_TIMEOUT),
    )
    client = getattr(_local, "client", None)
    if client is None or getattr(_local, "key", None) != key:
        client = TeamViewerClient(
            api_url=key[0],
            authorize_url=key[1],
            client_id=key[2],
            client_secret=key[3],
            redirect_uri=key[4],
            session_group=key[5],
            timeout=key[6],
        )
        _local.client, _local.key = client, key
    return client
