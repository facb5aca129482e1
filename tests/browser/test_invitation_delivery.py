"""The invitation an agent's click sends, delivered for real: the page hands it to a Celery worker
on Redis (not a stub of the hand-off), the worker sends it through a real SMTP server on loopback,
and the page shows it sent, in English and Japanese."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from sessions_app.models import InvitationEmail, Session
from tests.workers import wait_for

from .conftest import launch_url, new_page, shoot, sign_in_at_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.worker]

WORDS = {
    "en": {"create": "Create session", "waiting": "Waiting for the customer", "sent": "Sent"},
    "ja": {"create": "セッションを作成", "waiting": "お客様の接続待ち", "sent": "送信済み"},
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_agents_create_sends_the_invitation_through_a_real_worker_and_smtp(
    chromium, delivering_site, agent_user, language
):
    words = WORDS[language]
    context, page = new_page(chromium, language=language)
    try:
        page.goto(launch_url(agent_user, requester_name="山田 花子", requester_email="hanako@example.com"))
        with page.expect_popup() as opened:
            page.get_by_role("button", name=words["create"]).click()
        sign_in_at_sandbox(opened.value)
        card = page.locator("article.session").first
        expect(card.locator(".badge")).to_have_text(words["waiting"])

        inbox = delivering_site.inbox
        wait_for(lambda: inbox.messages, what="the invitation at the SMTP server", log=delivering_site.worker_log)
        session = Session.objects.get()
        [message] = inbox.messages
        assert inbox.recipients == [["hanako@example.com"]]
        assert session.end_customer_link in message.get_body(("plain",)).get_content()
        # The list refreshes by itself: the worker's "sent" reaches the page without a reload.
        expect(card).to_contain_text(re.compile(words["sent"]))
        assert InvitationEmail.objects.get(session=session).status == "sent"
        shoot(page, "invitation-sent", language)
    finally:
        context.close()
