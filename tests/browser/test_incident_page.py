"""The TeamViewer tab as an agent clicks through it, in headless Chromium, in English and Japanese."""
from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from csm_teamviewer.sandbox import faults
from sessions_app.models import InvitationEmail, Session
from sessions_app.services.emails import invitation_send

from .conftest import launch_url, new_page, shoot, sign_in_at_sandbox

pytestmark = pytest.mark.browser

TEXT = {
    "en": {
        "lang": "en",
        "heading": "TeamViewer remote support",
        "empty": "No TeamViewer sessions for this incident yet.",
        "create": "Create session",
        "working": "Working…",
        "waiting": "Waiting for the customer",
        "active": "Customer online",
        "closed": "Closed",
        "join": "Join as admin",
        "close": "Close session",
        "created": "created",
        "connected": "is online and waiting for you",
        "rate_limited": "Try again in 30 seconds.",
        "login_link": "Sign in to TeamViewer",
    },
    "ja": {
        "lang": "ja",
        "heading": "TeamViewer リモートサポート",
        "empty": "このインシデントの TeamViewer セッションはまだありません。",
        "create": "セッションを作成",
        "working": "処理中…",
        "waiting": "お客様の接続待ち",
        "active": "お客様オンライン",
        "closed": "終了",
        "join": "管理者として参加",
        "close": "セッションを終了",
        "created": "を作成しました",
        "connected": "のお客様がオンラインになり",
        "rate_limited": "30 秒後にもう一度お試しください。",
        "login_link": "TeamViewer にサインイン",
    },
}


def create_requests(page) -> list[str]:
    """Every create the page posts, to show the login resumed it without a second one."""
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/sessions/create/") else None)
    return posted


def csp_refusals(page) -> list[str]:
    """What Chromium reports the Content-Security-Policy refused on this page (inline code, eval)."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_agent_creates_emails_joins_and_closes_a_session_with_one_click_each(
    chromium, site, agent_user, language
):
    words = TEXT[language]
    context, page = new_page(chromium, language=language)
    creates = create_requests(page)
    refused = csp_refusals(page)
    try:
        page.goto(launch_url(agent_user, requester_name="山田 花子", requester_email="hanako@example.com"))
        expect(page).to_have_url(re.compile(r"/incidents/INC-2001/\?requester_name="))
        expect(page.locator("html")).to_have_attribute("lang", words["lang"])
        expect(page.get_by_role("heading", level=1)).to_have_text(words["heading"])
        expect(page.get_by_label(re.compile("Requester email|依頼者のメールアドレス"))).to_have_value("hanako@example.com")
        expect(page.locator("#sessions")).to_contain_text(words["empty"])
        shoot(page, "1-empty", language)

        # Create: no TeamViewer token yet, so the sign-in opens in a pop-up by itself.
        with page.expect_popup() as opened:
            page.get_by_role("button", name=words["create"]).click()
        popup = opened.value
        expect(page.locator("#create-button")).to_have_attribute("aria-busy", "true")
        expect(page.locator("#create-button")).to_have_text(words["working"])
        popup.wait_for_load_state()
        expect(popup.locator("input[name=email]")).to_be_visible()
        shoot(popup, "2-login-popup", language)
        shoot(page, "2-waiting-for-login", language)
        sign_in_at_sandbox(popup)
        popup.wait_for_event("close")

        # The resumed create shows up without a reload or another click.
        card = page.locator("article.session").first
        expect(card.locator(".badge")).to_have_text(words["waiting"])
        session = Session.objects.get()
        expect(card.locator(".session-code")).to_have_text(session.code)
        expect(page.locator("#message")).to_contain_text(session.code)
        expect(page.locator("#message")).to_contain_text(words["created"])
        expect(page.locator("#create-button")).not_to_have_attribute("aria-busy", "true")
        expect(page.locator("#create-section")).to_be_hidden()
        assert len(creates) == 1
        shoot(page, "3-waiting", language)

        # The invitation was written to the outbox and handed to the worker; sending it (the
        # worker's job) delivers the customer's link.
        email = InvitationEmail.objects.get(session=session)
        assert email.to == "hanako@example.com"
        assert site.queued_invitations == [email.pk]
        assert invitation_send(email_id=email.pk).outcome == "sent"
        assert len(mail.outbox) == 1 and session.end_customer_link in mail.outbox[0].body

        # Join as admin: the supporter link opens in a new window.
        with page.expect_popup() as joined:
            page.get_by_role("button", name=words["join"]).click()
        supporter = joined.value
        supporter.wait_for_url(re.compile(r"/sandbox/teamviewer/support/"))
        assert supporter.url == session.supporter_link
        supporter.close()

        # The customer opens their link: the page notices by itself.
        customer = chromium.new_context()
        customer.new_page().goto(session.end_customer_link)
        expect(card.locator(".badge")).to_have_text(words["active"])
        expect(page.locator("#message")).to_contain_text(words["connected"])
        customer.close()
        shoot(page, "4-active", language)

        page.get_by_role("button", name=words["close"]).click()
        expect(card.locator(".badge")).to_have_text(words["closed"])
        expect(page.locator("#create-section")).to_be_visible()
        session.refresh_from_db()
        assert session.state == Session.State.CLOSED
        shoot(page, "5-closed", language)

        # TeamViewer limiting requests: the reason and the wait are shown, nothing is made.
        faults.inject(method="POST", path_prefix="sessions", status=429, retry_after=30)
        page.get_by_role("button", name=words["create"]).click()
        expect(page.locator("#message")).to_contain_text(words["rate_limited"])
        expect(page.locator("#create-button")).to_be_enabled()
        assert Session.objects.count() == 1
        shoot(page, "6-error-rate-limited", language)
        # htmx and the page's script ran all along without anything the CSP refuses.
        assert refused == []
    finally:
        context.close()


def test_the_page_is_used_with_the_keyboard_alone_and_shows_where_the_focus_is(chromium, site, agent_user):
    context, page = new_page(chromium)
    try:
        page.goto(launch_url(agent_user, requester_email="hanako@example.com"))
        reached = []
        for _ in range(12):
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.id || document.activeElement.name"))
            if reached[-1] == "create-button":
                break
        assert reached[-1] == "create-button", reached
        assert {"requester_name", "requester_email", "description", "send_email", "language"} <= set(reached)
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"

        # Enter on the focused button runs it, like a click.
        with page.expect_popup() as opened:
            page.keyboard.press("Enter")
        sign_in_at_sandbox(opened.value)
        expect(page.locator("article.session .badge").first).to_have_text("Waiting for the customer")
        # Focus did not get lost in the page: it sits on the message that was announced.
        assert page.evaluate("document.activeElement.id") == "message"
    finally:
        context.close()
