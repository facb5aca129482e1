"""What CSM hears of a session: its notes in the CSM sandbox's journal, and its connection report
on the incident page, clicked through in headless Chromium in English and Japanese.

The server writes to the CSM sandbox mounted on itself over real HTTP, as it writes to CSM. The
worker's part (the connection-report fetch, sending each note) runs here, in this process.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from csm_teamviewer.csm_sandbox.models import Journal as SandboxJournal
from journal_app.models import JournalNote
from journal_app.sending import journal_note_send
from sessions_app.models import Session
from sessions_app.services.connection_fetch import connection_reports_fetch

from .conftest import launch_url, new_page, shoot, sign_in_at_sandbox

pytestmark = pytest.mark.browser

WORDS = {
    "en": {"create": "Create session", "close": "Close session", "active": "Customer online",
           "closed": "Closed", "connections": "Connections", "journal": "Incident journals",
           "notes": ["TeamViewer session created", "TeamViewer session closed", "TeamViewer connection report"]},
    "ja": {"create": "セッションを作成", "close": "セッションを終了", "active": "お客様オンライン",
           "closed": "終了", "connections": "接続", "journal": "インシデントのジャーナル",
           "notes": ["TeamViewer セッションを作成しました", "TeamViewer セッションを終了しました", "TeamViewer 接続レポート"]},
}


@pytest.fixture
def csm_sandbox(site, settings):
    """Journal notes go to the CSM sandbox on the live server, written in the page's language."""
    settings.CSM_API_URL = f"{site.url}/sandbox/csm/CherwellAPI"
    # The report is final at its first fetch (no waiting for a report that may come later).
    settings.CONNECTION_REPORT_WINDOW_SECONDS = 0
    return site


def send_pending_notes() -> list[str]:
    """The worker's part: send every note, oldest first, as the send task does."""
    return [journal_note_send(note_id=pk).outcome for pk in JournalNote.objects.order_by("pk").values_list("pk", flat=True)]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_session_is_told_in_the_incidents_journal_and_its_report_shown_on_the_page(
    chromium, csm_sandbox, agent_user, language, settings
):
    settings.CSM_JOURNAL_LANGUAGE = language
    words = WORDS[language]
    context, page = new_page(chromium, language=language)
    try:
        page.goto(launch_url(agent_user, incident_id="102522", requester_email="hanako@example.com"))
        with page.expect_popup() as opened:
            page.get_by_role("button", name=words["create"]).click()
        sign_in_at_sandbox(opened.value)
        card = page.locator("article.session").first
        session = Session.objects.get()
        expect(card.locator(".session-code")).to_have_text(session.code)

        # The customer joins, then the agent closes: TeamViewer now has a connection report.
        customer = chromium.new_context()
        customer.new_page().goto(session.end_customer_link)
        expect(card.locator(".badge")).to_have_text(words["active"])
        customer.close()
        page.get_by_role("button", name=words["close"]).click()
        expect(card.locator(".badge")).to_have_text(words["closed"])

        assert connection_reports_fetch(session_id=session.pk).outcome == "final"
        assert set(send_pending_notes()) == {"written"}
        page.reload()
        report = page.locator(".connections").first
        expect(report).to_contain_text(words["connections"])
        expect(report.locator("tbody tr")).to_have_count(1)
        expect(report.locator("tbody tr td").nth(1)).to_have_text(re.compile(r"^0:00:\d\d$"))
        shoot(page, "csm-1-incident-with-connection-report", language)

        journal = [row.details for row in SandboxJournal.objects.order_by("pk")]
        assert len(journal) == JournalNote.objects.count() >= 4  # created, emailed?, waiting, closed, report
        assert all(session.supporter_link not in text for text in journal)
        page.goto(f"{csm_sandbox.url}/sandbox/csm/")
        expect(page.get_by_role("heading", level=1)).to_have_text(words["journal"])
        for note in words["notes"]:
            expect(page.locator("#incident-102522")).to_contain_text(note)
        shoot(page, "csm-2-sandbox-journal", language)
    finally:
        context.close()
