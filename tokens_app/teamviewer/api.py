"""TeamViewer's Web API calls with one access token: one method per endpoint, verb first.

``AuthorizedApi`` only speaks HTTP (no database, no refresh), so it may run on worker threads;
keeping its token fresh is the agent-bound client's job (``agent.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from csm_teamviewer.errors import (
    TeamViewerLicenseLimit,
    TeamViewerLoginRequired,
    TeamViewerNotFound,
    TeamViewerRejected,
    TeamViewerUnavailable,
)

from .http import TeamViewerHttp, json_of
from .values import ConnectionReport, RemoteSession, SessionPage, TeamViewerAccount

# TeamViewer limits (API notes §3.1): end_customer name ≤ 100, email ≤ 254, custom_api ≤ 4000.
MAX_CUSTOMER_NAME = 100
MAX_CUSTOMER_EMAIL = 254
MAX_CUSTOM_API = 4000


@dataclass(frozen=True)
class AuthorizedApi:
    http: TeamViewerHttp
    access_token: str
    session_group: str

    def __repr__(self) -> str:  # never show the token
        return f"AuthorizedApi({self.http.api_url!r})"

    def ping(self) -> bool:
        """Whether TeamViewer accepts the token (it answers 200 ``token_valid: false`` or 401)."""
        try:
            body = json_of(self.http.request("GET", "/ping", access_token=self.access_token))
        except TeamViewerLoginRequired:
            return False
        return body.get("token_valid") is True

    def get_account(self) -> TeamViewerAccount:
        """The account the token signs in as (``GET /account``; the app needs "view account data")."""
        return TeamViewerAccount.from_json(json_of(self.http.request("GET", "/account", access_token=self.access_token)))

    def revoke_token(self) -> None:
        """Revoke the token (and so its refresh token). Already invalid counts as done."""
        try:
            self.http.request("POST", "/oauth2/revoke", access_token=self.access_token)
        except (TeamViewerLoginRequired, TeamViewerRejected):
            pass

    def create_session(
        self,
        *,
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
        response = self.http.request("POST", "/sessions", access_token=self.access_token, json=payload)
        body = json_of(response)
        if not body.get("code"):
            # TeamViewer answers 200 with a Location naming the new session (API notes §3.1).
            body = {**body, "code": _code_from_location(response.headers.get("Location", ""))}
        session = RemoteSession.from_json(body)
        if not session.code:
            raise TeamViewerUnavailable(_("TeamViewer answered without a session code."), status_code=502)
        return session

    def get_session(self, code: str) -> RemoteSession:
        try:
            response = self.http.request("GET", f"/sessions/{code}", access_token=self.access_token)
        except TeamViewerRejected as exc:
            # An unknown code is a 400 in some sources and a 404 in others.
            if isinstance(exc, TeamViewerLicenseLimit):
                raise
            raise TeamViewerNotFound(exc.detail) from None
        return RemoteSession.from_json(json_of(response))

    def close_session(self, code: str) -> None:
        """Close the session code at TeamViewer (PUT ``state=closed``; 204)."""
        try:
            response = self.http.request(
                "PUT", f"/sessions/{code}", access_token=self.access_token, json={"state": "closed"}
            )
            if response.status_code != 204 and response.content:
                # A body that is not TeamViewer's JSON (a gateway's page) confirms nothing.
                json_of(response)
        except TeamViewerNotFound:
            raise
        except TeamViewerRejected:
            # A 400 may mean "no such code" or a real refusal: ask TeamViewer which.
            self.get_session(code)
            raise

    def list_sessions(self, *, state: str = "open", offset: str | None = None) -> SessionPage:
        params = {"state": state, "full_list": "true"}
        if offset:
            params["offset"] = offset
        body = json_of(self.http.request("GET", "/sessions", access_token=self.access_token, params=params))
        items = body.get("sessions") or []
        return SessionPage(
            sessions=[RemoteSession.from_json(item) for item in items if isinstance(item, dict)],
            next_offset=str(body["next_offset"]) if body.get("next_offset") else None,
        )

    def iter_sessions(self, *, state: str = "open") -> Iterator[RemoteSession]:
        offset = None
        while True:
            page = self.list_sessions(state=state, offset=offset)
            yield from page.sessions
            if not page.next_offset or page.next_offset == offset:
                return
            offset = page.next_offset

    def connection_reports(self, code: str) -> list[ConnectionReport]:
        """Every connection made with the session code (paged by ``offset_id``, 1000 a page).

        ``next_offset`` is what pages on; a page whose count of what remains is zero is the last,
        whether the count is called ``records_remaining`` or ``reports_remaining`` (the manual
        uses both names).
        """
        reports: list[ConnectionReport] = []
        params: dict[str, str] = {"session_code": code}
        while True:
            body = json_of(
                self.http.request("GET", "/reports/connections", access_token=self.access_token, params=params)
            )
            records = body.get("records") or []
            reports += [ConnectionReport.from_json(item) for item in records if isinstance(item, dict)]
            next_offset = body.get("next_offset")
            if not next_offset or _none_remaining(body) or params.get("offset_id") == str(next_offset):
                return reports
            params["offset_id"] = str(next_offset)


def _none_remaining(body: dict[str, Any]) -> bool:
    remaining = body.get("records_remaining", body.get("reports_remaining"))
    return isinstance(remaining, int) and not isinstance(remaining, bool) and remaining <= 0


def _code_from_location(location: str) -> str:
    """``https://webapi.teamviewer.com/api/v1/sessions/s12-345-678`` → ``s12-345-678``."""
    path = urlsplit(location).path.rstrip("/")
    head, _sep, code = path.rpartition("/")
    return code if head.endswith("/sessions") else ""
