"""``{% session_facts row %}``: a session's badge, code and facts on the incident page.

An incident may list a hundred sessions, and the template language (and even ``format_html``,
through its lazy-text checks) spent several times as long on these lines as plain string
building does. The markup is the one the template wrote; every value goes through
``html.escape``, which is what Django's ``escape`` calls. Labels are translated once per list.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from html import escape

from django import template
from django.template.context import Context
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..models import Session
from .session_times import time_html

register = template.Library()

_LABELS_KEY = "session_rows.labels"
_ZONE_KEY = "session_rows.zone"
_NEWLINES = re.compile(r"\r\n|\r")


def _labels() -> dict[str, str]:
    return {
        "requester": escape(_("Requester")),
        "email": escape(_("Email")),
        "valid_until": escape(_("Valid until")),
        "created_by": escape(_("Created by")),
        "description": escape(_("Description")),
        "closed": escape(_("Closed")),
        **{f"email:{status}": escape(str(label)) for status, label in Session.EmailStatus.choices},
    }


@register.simple_tag(takes_context=True)
def session_facts(context: Context, row: object) -> SafeString:
    labels = context.render_context.get(_LABELS_KEY)
    if labels is None:
        labels = context.render_context[_LABELS_KEY] = _labels()
        context.render_context[_ZONE_KEY] = timezone.get_current_timezone()
    zone = context.render_context[_ZONE_KEY]
    session: Session = row.session
    parts = [
        f'<div class="session-head"><span class="badge badge-{escape(row.badge)}">'
        f'<span class="badge-dot" aria-hidden="true"></span>{escape(row.badge_label)}</span>'
        f'<h3 class="session-code" id="code-{escape(str(session.pk))}">{escape(session.code)}</h3></div>'
        '<dl class="facts">',
        _fact(labels["requester"], _requester(session)),
        _fact(labels["email"], _email(session, labels, zone)),
        _fact(labels["valid_until"], time_html(session.valid_until, zone=zone)),
        _fact(
            labels["created_by"],
            f"{escape(session.agent.get_username())} · {time_html(session.created_at, zone=zone)}",
        ),
    ]
    if session.description:
        # As the linebreaksbr filter: every kind of line break becomes <br>.
        parts.append(
            _fact(
                labels["description"], escape(_NEWLINES.sub("\n", session.description)).replace("\n", "<br>")
            )
        )
    if session.closed_at:
        parts.append(_fact(labels["closed"], time_html(session.closed_at, zone=zone)))
    parts.append("</dl>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


def _fact(label: str, value: str) -> str:
    """A label and a value, both already HTML."""
    return f"<div><dt>{label}</dt><dd>{value}</dd></div>"


def _requester(session: Session) -> str:
    if not session.requester_name:
        return escape(session.requester_email or "—")
    if not session.requester_email:
        return escape(session.requester_name)
    return f'{escape(session.requester_name)} <span class="hint">&lt;{escape(session.requester_email)}&gt;</span>'


def _email(session: Session, labels: dict[str, str], zone: tzinfo) -> str:
    status = labels.get(f"email:{session.email_status}") or escape(session.email_status)
    return f"{status} · {time_html(session.email_sent_at, zone=zone)}" if session.email_sent_at else status
