"""The dashboard's charts: each figure of ``figures.py`` labelled (Japanese or English) and drawn.

Every chart comes with its data as a table too: the fallback for those who cannot see the drawing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.dateformat import format as date_format
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import InvitationEmail
from . import figures
from .period import Period
from .svg import Bar, Series, bars_svg, columns_svg, swatch

PALETTE = ("#3b7bbf", "#5a9e4b", "#e08a2e", "#8e6fc1", "#9a9a9a", "#c9463d")
BAR_COLOUR = "#3b7bbf"
ERROR_COLOUR = "#c9463d"

OUTCOME_LABELS: dict[str, Promise] = {
    figures.CLOSED_HERE: gettext_lazy("Closed here (agent or admin)"),
    figures.ENDED_AT_TEAMVIEWER: gettext_lazy("Ended at TeamViewer"),
    figures.EXPIRED: gettext_lazy("Expired (cleanup)"),
    figures.LIVE: gettext_lazy("Still live"),
    figures.UNFINISHED: gettext_lazy("Create not finished"),
}
WAIT_LABELS: dict[str, Promise] = {
    "under_1m": gettext_lazy("Under 1 minute"),
    "1m_5m": gettext_lazy("1–5 minutes"),
    "5m_15m": gettext_lazy("5–15 minutes"),
    "15m_1h": gettext_lazy("15–60 minutes"),
    "1h_4h": gettext_lazy("1–4 hours"),
    "over_4h": gettext_lazy("Over 4 hours"),
    figures.NEVER_ONLINE: gettext_lazy("Not online (yet)"),
}
INVITATION_STATUSES = (InvitationEmail.Status.SENT, InvitationEmail.Status.FAILED, InvitationEmail.Status.QUEUED)
ERROR_LABELS: dict[str, Promise] = {
    "teamviewer_login_required": gettext_lazy("Sign-in needed"),
    "teamviewer_rate_limited": gettext_lazy("Rate limited"),
    "teamviewer_unavailable": gettext_lazy("Unavailable (down, slow or unreadable)"),
    "teamviewer_rejected": gettext_lazy("Rejected"),
    "teamviewer_license_limit": gettext_lazy("Licence limit"),
    "teamviewer_not_found": gettext_lazy("Session not found"),
    "teamviewer_error": gettext_lazy("Other error"),
}


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: SafeString
    head: list[str]
    rows: list[list[str | int]]
    legend: list[tuple[SafeString, str]] = field(default_factory=list)


def dashboard_charts(period: Period) -> list[Chart]:
    """Every chart of the dashboard, in page order: one query each."""
    return [
        _sessions_chart(period),
        _wait_chart(period),
        _invitations_chart(period),
        _ranked_chart("teamviewer-errors", _("TeamViewer errors by kind"), (_("Kind"), _("Errors")), _errors(period),
                      colour=ERROR_COLOUR),
        _ranked_chart("top-incidents", _("Top incidents by sessions"), (_("Incident"), _("Sessions")),
                      figures.top_incidents(period)),
        _ranked_chart("top-agents", _("Top agents by sessions"), (_("Agent"), _("Sessions")), figures.top_agents(period)),
    ]


def _daily_chart(chart_id: str, title: str, period: Period, counts: figures.DailyCounts, labels: dict) -> Chart:
    days = period.dates
    series = [
        Series(label=str(label), values=[counts.get(day, {}).get(key, 0) for day in days], colour=colour)
        for (key, label), colour in zip(labels.items(), PALETTE, strict=False)
    ]
    total = sum(sum(one.values) for one in series)
    desc = _("%(total)d in all, per day from %(first)s to %(last)s.") % {
        "total": total, "first": _day(days[0]), "last": _day(days[-1]),
    }  # fmt: skip
    svg = columns_svg(chart_id=chart_id, title=title, desc=desc, x_labels=[_short_day(d) for d in days], series=series)
    rows: list[list[str | int]] = [[_day(day), *(one.values[i] for one in series)] for i, day in enumerate(days)]
    return Chart(
        id=chart_id, title=title, svg=svg, head=[_("Day"), *(one.label for one in series)], rows=rows,
        legend=[(swatch(one.colour), one.label) for one in series],
    )  # fmt: skip


def _sessions_chart(period: Period) -> Chart:
    counts = figures.sessions_by_outcome(period)
    return _daily_chart("sessions-by-outcome", _("Sessions per day by outcome"), period, counts, OUTCOME_LABELS)


def _invitations_chart(period: Period) -> Chart:
    counts = figures.invitations_by_status(period)
    labels = {status.value: status.label for status in INVITATION_STATUSES}
    return _daily_chart("invitations", _("Invitations per day: sent and failed"), period, counts, labels)


def _wait_chart(period: Period) -> Chart:
    waits = figures.customer_wait(period)
    bars = [figures.Ranked(label=str(label), count=waits[key]) for key, label in WAIT_LABELS.items()]
    title = _("Time from create to the customer coming online")
    return _ranked_chart("customer-wait", title, (_("Time"), _("Sessions")), bars, keep_empty=True)


def _errors(period: Period) -> list[figures.Ranked]:
    return [
        figures.Ranked(label=str(ERROR_LABELS.get(row.label, row.label)), count=row.count, key=row.label)
        for row in figures.teamviewer_errors(period)
    ]


def _ranked_chart(
    chart_id: str, title: str, head: tuple[str, str], ranked: list[figures.Ranked], *,
    colour: str = BAR_COLOUR, keep_empty: bool = False,
) -> Chart:  # fmt: skip
    if not keep_empty and not any(row.count for row in ranked):
        ranked = []
    bars = [Bar(label=row.label, value=row.count) for row in ranked]
    desc = "; ".join(f"{bar.label}: {bar.value}" for bar in bars) or _("None in this period.")
    svg = bars_svg(chart_id=chart_id, title=title, desc=desc, bars=bars, colour=colour, empty=_("None in this period."))
    rows: list[list[str | int]] = [[f"{row.label} ({row.key})" if row.key else row.label, row.count] for row in ranked]
    return Chart(id=chart_id, title=title, svg=svg, head=list(head), rows=rows)


def _day(day: date) -> str:
    return day.isoformat()


def _short_day(day: date) -> str:
    return date_format(day, "n/j")
