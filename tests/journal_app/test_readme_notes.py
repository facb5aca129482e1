"""The README's example notes are what the renderer writes, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.urls import reverse

from journal_app.facts import ConnectionFacts, CreatedFacts, ReportFacts
from journal_app.notes import note_render

CODE = "s12-345-678"
CREATED = CreatedFacts(code=CODE, valid_until=datetime(2026, 12, 8, 3, 55, tzinfo=UTC), agent="agent.sato")
REPORT = ReportFacts(
    code=CODE,
    connections=(
        ConnectionFacts(
            start=datetime(2026, 12, 7, 4, 2, tzinfo=UTC),
            end=datetime(2026, 12, 7, 4, 19, 30, tzinfo=UTC),
            duration_seconds=1050,
            supporter="agent.sato@example.com",
            device="Hanako Yamada (DESKTOP-7Q2K)",
            notes="Reset the VPN client; the customer can connect again.",
        ),
    ),
)


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_readme_shows_the_created_note_and_the_report_as_rendered(language, settings):
    settings.TIME_ZONE = "UTC"
    readme = (settings.BASE_DIR / "README.md").read_text()

    created = note_render("created", CREATED, marker="[TV-1a2b3c4d5e]", language=language)
    report = note_render("report", REPORT, marker="[TV-9f8e7d6c5b]", language=language)
    never = note_render("report", ReportFacts(code=CODE, connections=()), marker="[TV-0]", language=language)

    assert f"```text\n{created}\n```" in readme
    assert f"```text\n{report}\n```" in readme
    assert f"`{never.splitlines()[-1]}`" in readme


def test_the_readme_names_the_admins_csm_status_page_where_it_is():
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert f"`{reverse('admin:tokens_app_csm_status')}`" in readme
