"""Invitation wording (services/email_render.py): both built-in languages and an admin's override."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from sessions_app.models import InvitationTemplate
from sessions_app.services.email_render import invitation_render
from tests.factories import InvitationTemplateFactory, SessionFactory

from .invitations import INVITED, LINK, SUPPORTER_LINK


@pytest.fixture
def named_agent(agent):
    agent.first_name, agent.last_name = "Agent", "Smith"
    agent.save()
    return agent


def test_japanese_invitation_names_link_agent_incident_and_validity(named_agent, settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    session = SessionFactory(
        agent=named_agent, **INVITED, requester_name="山田 太郎", valid_until=datetime(2030, 1, 2, 6, 4, tzinfo=UTC)
    )

    rendered = invitation_render(session=session, language="ja")

    assert rendered.subject == "リモートサポートのご案内（インシデント番号：INC-1001）"
    assert "山田 太郎 様" in rendered.text
    assert "担当の Agent Smith より" in rendered.text
    assert LINK in rendered.text
    assert "セッションコード：s12-345-678" in rendered.text
    assert "有効期限：2030年1月2日 15:04（JST）" in rendered.text
    assert f'href="{LINK}"' in rendered.html
    assert 'lang="ja"' in rendered.html
    assert "2030年1月2日 15:04（JST）" in rendered.html


def test_english_invitation_names_link_agent_incident_and_validity(agent):
    session = SessionFactory(
        agent=agent, **INVITED, requester_name="Pat Doe", valid_until=datetime(2030, 1, 2, 6, 4, tzinfo=UTC)
    )

    rendered = invitation_render(session=session, language="en")

    assert rendered.subject == "Remote support for your incident INC-1001"
    assert rendered.text.startswith("Dear Pat Doe,")
    assert "agent.smith from the service desk has invited you" in rendered.text
    assert LINK in rendered.text
    assert "Valid until: 2 January 2030, 06:04 (UTC)" in rendered.text
    assert f'href="{LINK}"' in rendered.html
    assert 'lang="en"' in rendered.html


def test_invitation_without_requester_name_greets_politely_in_both_languages(agent):
    session = SessionFactory(agent=agent, **INVITED, requester_name="")

    assert invitation_render(session=session, language="ja").text.startswith("お客様\n")
    assert invitation_render(session=session, language="en").text.startswith("Hello,\n")


def test_invitation_never_contains_the_supporter_link(agent):
    session = SessionFactory(agent=agent, **INVITED)

    for language in ("ja", "en"):
        rendered = invitation_render(session=session, language=language)
        assert SUPPORTER_LINK not in rendered.subject + rendered.text + rendered.html


def test_requester_name_is_escaped_in_html_and_kept_off_subject_lines(agent):
    session = SessionFactory(agent=agent, **INVITED, requester_name="<script>alert(1)</script>\nBcc: evil@example.com")
    InvitationTemplateFactory(
        language="en", subject="Hello {{ requester_name }}", text_body="Hi {{ requester_name }}",
        html_body="<p>Hi {{ requester_name }}</p>",
    )

    builtin = invitation_render(session=session, language="ja")
    override = invitation_render(session=session, language="en")

    for rendered in (builtin, override):
        assert "<script>" not in rendered.html
        assert "&lt;script&gt;" in rendered.html
    assert "\n" not in override.subject
    assert override.subject == "Hello <script>alert(1)</script> Bcc: evil@example.com"


def test_admin_override_replaces_builtin_wording_for_its_language_only(agent):
    session = SessionFactory(agent=agent, **INVITED)
    InvitationTemplateFactory(
        language="en",
        subject="Support for {{ incident_id }}",
        text_body="Open {{ link }} (code {{code}}) before {{ valid_until }}. From {{ agent_name }}.",
    )

    english = invitation_render(session=session, language="en")
    japanese = invitation_render(session=session, language="ja")

    assert english.subject == "Support for INC-1001"
    assert english.text.startswith(f"Open {LINK} (code s12-345-678) before ")
    assert "From agent.smith." in english.text
    # No HTML body given: the text goes out as simple HTML with the link clickable.
    assert f'<a href="{LINK}"' in english.html
    assert japanese.subject.startswith("リモートサポートのご案内")


def test_inactive_override_is_ignored(agent):
    session = SessionFactory(agent=agent, **INVITED)
    InvitationTemplateFactory(language="en", subject="Custom", text_body="x", is_active=False)

    assert invitation_render(session=session, language="en").subject.startswith("Remote support")


def test_override_with_unknown_placeholder_is_refused(db):
    template = InvitationTemplate(language="en", subject="Hi {{ requester }}", text_body="{{ link }}")

    with pytest.raises(ValidationError) as excinfo:
        template.full_clean()

    assert "{{ requester }}" in str(excinfo.value)
    assert "subject" in excinfo.value.message_dict
