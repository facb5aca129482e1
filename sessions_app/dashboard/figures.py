"""The dashboard's figures: one aggregate query per chart, whatever the number of sessions.

Days are counted in the current time zone (TIME_ZONE): ``TruncDate`` truncates in it. Each
function returns plain values for ``charts.py`` to label and draw.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate

from csm_teamviewer.audit.models import AuditEvent

from ..lifecycle import LIVE_STATES, State
from ..models import InvitationEmail, Session
from .period import Period

# A session's outcome, as the dashboard tells them apart.
CLOSED_HERE = "closed_here"  # closed by its agent or an admin, through this server
ENDED_AT_TEAMVIEWER = "ended_at_teamviewer"  # the state sync found it closed at TeamViewer
EXPIRED = "expired"  # past its lifetime, closed by the cleanup
LIVE = "live"  # still open or active
UNFINISHED = "unfinished"  # a create not (yet) settled: creating or uncertain
OUTCOMES = (CLOSED_HERE, ENDED_AT_TEAMVIEWER, EXPIRED, LIVE, UNFINISHED)

# Time from create to the customer coming online: (bucket, from, to); the last has no end.
WAIT_BUCKETS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("under_1m", timedelta(0), timedelta(minutes=1)),
    ("1m_5m", timedelta(minutes=1), timedelta(minutes=5)),
    ("5m_15m", timedelta(minutes=5), timedelta(minutes=15)),
    ("15m_1h", timedelta(minutes=15), timedelta(hours=1)),
    ("1h_4h", timedelta(hours=1), timedelta(hours=4)),
    ("over_4h", timedelta(hours=4), None),
)
NEVER_ONLINE = "never_online"

# The audit's outcomes that are TeamViewer's errors: the error codes of csm_teamviewer/errors.py
# (a create, close, join, email, expiry or login that TeamViewer refused or could not answer).
TEAMVIEWER_ERROR_PREFIX = "teamviewer_"
TOP = 10

DailyCounts = dict[date, dict[str, int]]


@dataclass(frozen=True)
class Ranked:
    label: str
    count: int
    # What the label stands for when it is not the label itself (an error's code).
    key: str = ""


def _created_in(period: Period) -> QuerySet[Session]:
    return Session.objects.filter(created_at__gte=period.start, created_at__lt=period.end)


def _daily(rows: QuerySet, key: str) -> DailyCounts:
    counts: DailyCounts = {}
    for row in rows:
        counts.setdefault(row["day"], {})[row[key]] = row["count"]
    return counts


def sessions_by_outcome(period: Period) -> DailyCounts:
    """Sessions created each day, by what became of them."""
    ended_at_teamviewer = AuditEvent.objects.filter(
        session_id=OuterRef("pk"), action=AuditEvent.Action.SYNC, outcome=State.CLOSED
    )
    outcome = Case(
        When(Q(state=State.CLOSED) & Exists(ended_at_teamviewer), then=Value(ENDED_AT_TEAMVIEWER)),
        When(state=State.CLOSED, then=Value(CLOSED_HERE)),
        When(state=State.EXPIRED, then=Value(EXPIRED)),
        When(state__in=LIVE_STATES, then=Value(LIVE)),
        default=Value(UNFINISHED),
    )
    rows = (
        _created_in(period)
        .annotate(day=TruncDate("created_at"), outcome=outcome)
        .values("day", "outcome")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return _daily(rows, "outcome")


def _waited(low: timedelta, high: timedelta | None) -> Q:
    waited = Q(customer_waiting_since__gte=F("created_at") + low)
    return waited & Q(customer_waiting_since__lt=F("created_at") + high) if high else waited


def customer_wait(period: Period) -> dict[str, int]:
    """Sessions created in the period by how long their customer took to come online."""
    buckets = {name: Count("pk", filter=_waited(low, high)) for name, low, high in WAIT_BUCKETS}
    never = Count("pk", filter=Q(customer_waiting_since__isnull=True))
    return _created_in(period).aggregate(**buckets, **{NEVER_ONLINE: never})


def invitations_by_status(period: Period) -> DailyCounts:
    """Invitations asked for each day, by where they stand now (sent, failed, still queued)."""
    rows = (
        InvitationEmail.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return _daily(rows, "status")


def teamviewer_errors(period: Period) -> list[Ranked]:
    """TeamViewer's errors recorded in the audit trail, by kind (error code), most frequent first."""
    rows = (
        AuditEvent.objects.filter(at__gte=period.start, at__lt=period.end, outcome__startswith=TEAMVIEWER_ERROR_PREFIX)
        .values("outcome")
        .annotate(count=Count("pk"))
        .order_by("-count", "outcome")
    )
    return [Ranked(label=row["outcome"], count=row["count"]) for row in rows]


def top_incidents(period: Period) -> list[Ranked]:
    rows = _created_in(period).values("incident_id").annotate(count=Count("pk")).order_by("-count", "incident_id")
    return [Ranked(label=row["incident_id"], count=row["count"]) for row in rows[:TOP]]


def top_agents(period: Period) -> list[Ranked]:
    rows = (
        _created_in(period)
        .values("agent__username")
        .annotate(count=Count("pk"))
        .order_by("-count", "agent__username")
    )
    return [Ranked(label=row["agent__username"], count=row["count"]) for row in rows[:TOP]]
