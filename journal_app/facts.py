"""What each journal note tells: the facts its event hands over, one dataclass per event.

They hold only what a note may show. No link is among them: the supporter link is a secret, and
the customer's link is theirs alone (it reaches them by email; the journal is read by everyone
with the incident, for as long as the incident is kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class CreatedFacts:
    code: str
    valid_until: datetime
    agent: str


@dataclass(frozen=True)
class EmailedFacts:
    code: str
    to: str


@dataclass(frozen=True)
class CustomerWaitingFacts:
    code: str
    since: datetime


@dataclass(frozen=True)
class ClosedFacts:
    code: str
    # Who closed it (the agent's or staff member's login); empty when it ended at TeamViewer.
    by: str = ""


@dataclass(frozen=True)
class ExpiredFacts:
    code: str
    valid_until: datetime


@dataclass(frozen=True)
class ConnectionFacts:
    """One connection of TeamViewer's connection report."""

    start: datetime | None
    end: datetime | None
    duration_seconds: int | None = None
    supporter: str = ""
    device: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ReportFacts:
    code: str
    # None at all: the customer never connected.
    connections: tuple[ConnectionFacts, ...] = field(default_factory=tuple)


Facts = CreatedFacts | EmailedFacts | CustomerWaitingFacts | ClosedFacts | ExpiredFacts | ReportFacts
