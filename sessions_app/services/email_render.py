"""The invitation's words: subject, plain text and HTML, in the row's language.

The built-in wording is in ``templates/emails/invitation/<language>/``. An admin may replace it
per language with an ``InvitationTemplate``, filled by plain placeholder substitution.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import dateformat, timezone, translation
from django.utils.html import escape, linebreaks, urlize

from ..invitation_placeholders import fill
from ..models import InvitationTemplate, Session

# Django's date format characters; 年, 月 and 日 are not among them and pass through as written.
VALID_UNTIL_FORMATS = {"ja": "Y年n月j日 H:i", "en": "j F Y, H:i"}
HTML_SHELL = '<!DOCTYPE html>\n<html lang="{lang}">\n<head><meta charset="utf-8"></head>\n<body>\n{body}\n</body>\n</html>\n'


@dataclass(frozen=True)
class RenderedInvitation:
    subject: str
    text: str
    html: str


def _language(language: str) -> str:
    return language if language in InvitationTemplate.Language.values else "en"


def _one_line(value: str) -> str:
    # A subject is a mail header: a line break in a requester's name must not reach it.
    return " ".join(value.split())


def _valid_until(session: Session, language: str) -> str:
    local = timezone.localtime(session.valid_until)
    with translation.override(language):
        when = dateformat.format(local, VALID_UNTIL_FORMATS[language])
    zone = local.tzname() or ""
    return f"{when}（{zone}）" if language == "ja" else f"{when} ({zone})"


def _agent_name(session: Session) -> str:
    agent = session.agent
    return agent.get_full_name() or agent.get_username()


def invitation_values(*, session: Session, language: str) -> dict[str, str]:
    """The values the wording may use; the names are ``invitation_placeholders.PLACEHOLDER_NAMES``."""
    language = _language(language)
    return {
        "requester_name": _one_line(session.requester_name),
        "agent_name": _one_line(_agent_name(session)),
        "incident_id": session.incident_id,
        "link": session.end_customer_link,
        "code": session.code,
        "valid_until": _valid_until(session, language),
    }


def invitation_render(*, session: Session, language: str) -> RenderedInvitation:
    language = _language(language)
    values = invitation_values(session=session, language=language)
    override = InvitationTemplate.objects.filter(language=language, is_active=True).first()
    if override is not None:
        return _render_override(override, values)
    return _render_builtin(language, values)


def _render_builtin(language: str, values: dict[str, str]) -> RenderedInvitation:
    folder = f"emails/invitation/{language}"
    with translation.override(language):
        return RenderedInvitation(
            subject=_one_line(render_to_string(f"{folder}/subject.txt", values)),
            text=render_to_string(f"{folder}/body.txt", values).strip() + "\n",
            html=render_to_string(f"{folder}/body.html", values),
        )


def _render_override(template: InvitationTemplate, values: dict[str, str]) -> RenderedInvitation:
    text = fill(template.text_body, values).strip() + "\n"
    if template.html_body.strip():
        html = fill(template.html_body, values, escape=escape)
    else:
        body = linebreaks(urlize(text, autoescape=True))
        html = HTML_SHELL.format(lang=template.language, body=body)
    return RenderedInvitation(subject=_one_line(fill(template.subject, values)), text=text, html=html)
