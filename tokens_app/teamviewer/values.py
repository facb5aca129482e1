"""What TeamViewer answers, as typed values: tokens, sessions, connection reports.

Each value is read from TeamViewer's JSON here. Where the project's TeamViewer API notes show
sources disagreeing, both readings are accepted (``state`` in any case, ``groupid``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.errors import TeamViewerUnavailable

# The manual says one day, its example says an hour: trust what is returned, else an hour.
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str = ""

    def __repr__(self) -> str:  # never show the tokens themselves
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, scope={self.scope!r})"

    @classmethod
    def from_token_response(cls, token: dict[str, Any]) -> TokenSet:
        access_token = token.get("access_token")
        if not access_token:
            raise TeamViewerUnavailable(_("TeamViewer answered without an access token."), status_code=502)
        try:
            expires_in = float(token.get("expires_in") or 0)
        except (TypeError, ValueError):
            expires_in = 0
        expires_in = expires_in if expires_in > 0 else DEFAULT_TOKEN_LIFETIME_SECONDS
        return cls(
            access_token=str(access_token),
            refresh_token=str(token.get("refresh_token") or ""),
            expires_at=timezone.now() + timedelta(seconds=expires_in),
            scope=str(token.get("scope") or ""),
        )


@dataclass(frozen=True)
class TeamViewerAccount:
    """Who a token signs in as: ``GET /api/v1/account`` (the manual's ``userid``, ``name``, ``email``)."""

    user_id: str = ""
    name: str = ""
    email: str = ""

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> TeamViewerAccount:
        # Cut to the columns that keep them; TeamViewer documents no lengths.
        return cls(
            user_id=str(body.get("userid") or "")[:32],
            name=str(body.get("name") or "")[:200],
            email=str(body.get("email") or "")[:254],
        )


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
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_closed(self) -> bool:
        return self.state == "closed"

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RemoteSession:
        return cls(
            code=str(body.get("code") or ""),
            # Lower case in the manual, capitalised in one client's typing: compare lowered.
            state=str(body.get("state") or "open").lower(),
            end_customer_link=str(body.get("end_customer_link") or ""),
            supporter_link=str(body.get("supporter_link") or ""),
            webclient_supporter_link=str(body.get("webclient_supporter_link") or ""),
            online=body.get("online") is True,
            valid_until=parse_time(body.get("valid_until")),
            created_at=parse_time(body.get("created_at")),
            closed_at=parse_time(body.get("closed_at")),
            description=str(body.get("description") or ""),
            group_id=str(body.get("groupid") or ""),
            raw=body,
        )


@dataclass(frozen=True)
class SessionPage:
    sessions: list[RemoteSession]
    next_offset: str | None


@dataclass(frozen=True)
class ConnectionReport:
    """One connection made with a session code (API notes §4.1)."""

    id: str
    session_code: str
    user_id: str = ""
    username: str = ""
    device_id: str = ""
    # Only with a user token, and only for named devices.
    device_name: str = ""
    start_date: datetime | None = None
    end_date: datetime | None = None
    notes: str = ""
    # Seconds, where TeamViewer gave them itself (one source only); see ``duration``.
    reported_duration: int | None = None

    @property
    def duration(self) -> timedelta | None:
        # Only one source has a `duration` field; every source has both dates, so they win.
        if self.start_date and self.end_date:
            return max(self.end_date - self.start_date, timedelta(0))
        if self.reported_duration is not None:
            return timedelta(seconds=self.reported_duration)
        return None

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ConnectionReport:
        return cls(
            id=str(body.get("id") or ""),
            session_code=str(body.get("session_code") or ""),
            user_id=str(body.get("userid") or ""),
            username=str(body.get("username") or ""),
            device_id=str(body.get("deviceid") or ""),
            device_name=str(body.get("devicename") or ""),
            start_date=parse_time(body.get("start_date")),
            end_date=parse_time(body.get("end_date")),
            notes=str(body.get("notes") or ""),
            reported_duration=_whole_seconds(body.get("duration")),
        )


def _whole_seconds(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        seconds = int(float(value))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed
