"""A note's text, one renderer per event: short, one fact per line, in ``CSM_JOURNAL_LANGUAGE``.

The first line says what happened and ends with the note's marker; each line after it is one
fact. Values from elsewhere (a login, TeamViewer's device name or notes) are flattened to one
line, so a fact never spills into the next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .facts import (
    ClosedFacts,
    ConnectionFacts,
    CreatedFacts,
    CustomerWaitingFacts,
    EmailedFacts,
    ExpiredFacts,
    Facts,
    ReportFacts,
)

# TeamViewer's notes of one connection, at most: a journal note stays a summary.
MAX_NOTES_LENGTH = 500


def note_render(event: str, facts: Facts, *, marker: str, language: str) -> str:
    """The note of ``event`` in ``language``; ``facts`` must be the event's own kind."""
    kind, render = RENDERERS[event]
    if not isinstance(facts, kind):
        raise TypeError(f"The {event} note takes {kind.__name__}, not {type(facts).__name__}.")
    with translation.override(language):
        title, *lines = render(facts)
        return "\n".join([f"{title} {marker}", *lines])


def _one_line(value: str) -> str:
    return " ".join(str(value).split())


def _when(value: datetime | None) -> str:
    # In the server's zone (TIME_ZONE), named, since a reader may be anywhere.
    if value is None:
        return "-"
    return timezone.localtime(value, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M %Z")


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    hours, rest = divmod(max(int(seconds), 0), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _code(code: str) -> str:
    return _("Session code: %(code)s") % {"code": _one_line(code)}


def _created(facts: CreatedFacts) -> list[str]:
    return [
        _("TeamViewer session created"),
        _code(facts.code),
        _("Customer link valid until: %(time)s") % {"time": _when(facts.valid_until)},
        _("Agent: %(agent)s") % {"agent": _one_line(facts.agent)},
    ]


def _emailed(facts: EmailedFacts) -> list[str]:
    return [
        _("TeamViewer invitation emailed"),
        _code(facts.code),
        _("Sent to: %(to)s") % {"to": _one_line(facts.to)},
    ]


def _customer_waiting(facts: CustomerWaitingFacts) -> list[str]:
    return [
        _("The customer came online in the TeamViewer session"),
        _code(facts.code),
        _("Online since: %(time)s") % {"time": _when(facts.since)},
    ]


def _closed(facts: ClosedFacts) -> list[str]:
    by = _("Closed by: %(by)s") % {"by": _one_line(facts.by)} if facts.by else _("Closed at TeamViewer")
    return [_("TeamViewer session closed"), _code(facts.code), by]


def _expired(facts: ExpiredFacts) -> list[str]:
    return [
        _("TeamViewer session expired"),
        _code(facts.code),
        _("Valid until: %(time)s") % {"time": _when(facts.valid_until)},
    ]


def _report(facts: ReportFacts) -> list[str]:
    lines = [_("TeamViewer connection report"), _code(facts.code)]
    if not facts.connections:
        return [*lines, _("The customer never connected.")]
    for number, connection in enumerate(facts.connections, start=1):
        lines += _connection(number, connection)
    return lines


def _connection(number: int, connection: ConnectionFacts) -> list[str]:
    times = {"start": _when(connection.start), "end": _when(connection.end)}
    lines = [
        _("Connection %(number)s: %(start)s – %(end)s (%(duration)s)")
        % {"number": number, **times, "duration": _duration(connection.duration_seconds)}
    ]
    if connection.supporter:
        lines.append(_("Supporter: %(supporter)s") % {"supporter": _one_line(connection.supporter)})
    if connection.device:
        lines.append(_("Device: %(device)s") % {"device": _one_line(connection.device)})
    if connection.notes:
        notes = Truncator(_one_line(connection.notes)).chars(MAX_NOTES_LENGTH)
        lines.append(_("Notes: %(notes)s") % {"notes": notes})
    return lines


RENDERERS: dict[str, tuple[type, Callable[[Any], list[str]]]] = {
    "created": (CreatedFacts, _created),
    "emailed": (EmailedFacts, _emailed),
    "customer_waiting": (CustomerWaitingFacts, _customer_waiting),
    "closed": (ClosedFacts, _closed),
    "expired": (ExpiredFacts, _expired),
    "report": (ReportFacts, _report),
}
