"""The incident's sessions as the incident page lists them: a badge and the buttons that fit each.

``templates/incidents/_sessions.html`` renders them; the page and every fragment that updates the
list build them here, so the list looks the same whichever answer drew it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import ConnectionsStatus, Session
from .selectors import session_connections, session_list

# Marked for translation here, translated per row: one lookup per row, not four.
BADGE_LABELS = {
    "open": gettext_noop("Waiting for the customer"),
    # TeamViewer's "online": the customer opened the link (waiting for the agent, or connected).
    "active": gettext_noop("Customer online"),
    "closed": gettext_noop("Closed"),
    "expired": gettext_noop("Expired"),
}

# What the list shows of each session: no supporter links to decrypt, of the agent only the login.
LISTED_FIELDS = (
    "incident_id",
    "agent__username",
    "code",
    "state",
    "requester_name",
    "requester_email",
    "description",
    "valid_until",
    "created_at",
    "closed_at",
    "email_status",
    "email_sent_at",
    "customer_waiting_since",
    "connections_count",
    "connections_final",
    "connections_error",
)


@dataclass(frozen=True)
class SessionRow:
    """One session as the viewer sees it on the page: its badge, and the buttons that fit."""

    session: Session
    badge: str
    can_act: bool
    # Its connection report rows (``selectors.CONNECTION_COLUMNS``, with ``device``).
    connections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_current(self) -> bool:
        """Waiting or connected: what the page keeps refreshing."""
        return self.badge in ("open", "active")

    @property
    def can_close(self) -> bool:
        # Also a live session past its lifetime: closing it at TeamViewer is still right.
        return self.can_act and self.session.is_live

    @property
    def can_email(self) -> bool:
        return self.can_act and self.badge == "open"

    @property
    def can_join(self) -> bool:
        return self.can_act and self.is_current

    @property
    def customer_waiting(self) -> bool:
        """TeamViewer reported the customer online on this live session: the agent should join."""
        return self.badge == "active"

    @property
    def can_join_in_browser(self) -> bool:
        # The link is not listed (a decryption a row): read only for the rows that may join.
        return self.can_join and bool(self.session.webclient_supporter_link)

    @property
    def email_label(self) -> str:
        return _("Resend email") if self.session.email_status != Session.EmailStatus.NOT_SENT else _("Send email")

    @property
    def badge_label(self) -> str:
        return _(BADGE_LABELS[self.badge])

    @property
    def report(self) -> str:
        """What the page says of the connection report: ``not_fetched`` (nothing: the session is
        not over), ``pending``, ``final`` or ``failed`` (``final`` and no rows: never connected)."""
        return self.session.connections_status

    @property
    def never_connected(self) -> bool:
        return self.report == ConnectionsStatus.FINAL and not self.connections


def _badge(session: Session) -> str:
    # A live session past valid_until is dead at TeamViewer even before the cleanup closes it.
    if session.is_live and session.is_past_lifetime:
        return "expired"
    return session.state


def session_rows(sessions: list[Session], *, viewer: AbstractUser) -> list[SessionRow]:
    """The rows; their connection reports in one query (none when no session has any)."""
    connections = session_connections(session.pk for session in sessions if session.connections_count)
    return [
        SessionRow(
            session=session,
            badge=_badge(session),
            can_act=viewer.pk == session.agent_id or viewer.is_staff,
            connections=connections.get(session.pk, []),
        )
        for session in sessions
    ]


def newly_online(rows: list[SessionRow], *, waiting: str) -> Session | None:
    """The first session whose customer is now online of those ``waiting`` (comma-separated ids) named."""
    ids = set(waiting.split(",")[:100])  # the page names only the sessions it shows waiting
    return next((row.session for row in rows if row.badge == "active" and str(row.session.pk) in ids), None)


def session_list_context(*, incident_id: str, viewer: AbstractUser) -> dict[str, Any]:
    """What ``_sessions.html`` needs: the rows, and whether (and with what) the list polls."""
    sessions = list(session_list(incident_id=incident_id).only(*LISTED_FIELDS))
    rows = session_rows(sessions, viewer=viewer)
    return {
        "incident_id": incident_id,
        "rows": rows,
        # Polled while a session is live; the poll names the waiting ones, so the answer can say
        # which customer has just come online.
        "any_current": any(row.is_current for row in rows),
        "waiting": ",".join(str(row.session.pk) for row in rows if row.badge == "open"),
        "own_current": any(row.is_current and row.session.agent_id == viewer.pk for row in rows),
        "poll_seconds": settings.SESSION_SYNC_SECONDS,
        # While the page is hidden it asks less often (the page's script skips the polls between).
        "hidden_poll_seconds": max(settings.SESSION_HIDDEN_POLL_SECONDS, settings.SESSION_SYNC_SECONDS),
    }
