"""The TeamViewer sign-in paths: a token TeamViewer no longer accepts, and a blocked pop-up."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from csm_teamviewer.sandbox import faults
from sessions_app.models import Session
from tokens_app.models import LoginFlow

from .conftest import launch_url, new_page, shoot, sign_in_at_sandbox

pytestmark = pytest.mark.browser

# The pop-up cannot reach the page that opened it (as when a browser's opener isolation cuts
# the link): only the page's polling of the login's status can finish the action.
NO_OPENER = "Object.defineProperty(window, 'opener', {get: function () { return null; }});"
# Every window.open is refused, as a pop-up blocker does.
BLOCK_POPUPS = "window.open = function () { return null; };"


def create_until_sign_in(page):
    """Create, with no TeamViewer token yet: the sign-in pop-up that opens."""
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Create session").click()
    return opened.value


def create_with_login(page) -> Session:
    popup = create_until_sign_in(page)
    sign_in_at_sandbox(popup)
    expect(page.locator("article.session .badge").first).to_have_text("Waiting for the customer")
    popup.close()
    return Session.objects.get()


def expect_create_button_free(page) -> None:
    expect(page.locator("#create-button")).to_be_enabled()
    expect(page.locator("#create-button")).to_have_text("Create session")


def test_closing_with_a_token_teamviewer_revoked_takes_one_click_and_a_sign_in(chromium, site, agent_user):
    context, page = new_page(chromium, init_script=NO_OPENER)
    try:
        page.goto(launch_url(agent_user))
        session = create_with_login(page)
        # The stored token is now refused by TeamViewer, and so is its refresh token.
        assert faults.revoke_all_tokens() >= 1

        with page.expect_popup() as opened:
            page.get_by_role("button", name="Close session").click()
        expect(page.locator("#close-" + str(session.pk))).to_have_attribute("aria-busy", "true")
        popup = opened.value
        sign_in_at_sandbox(popup)
        # The done page found no opener to tell (it says so by not promising to close itself).
        expect(popup.locator("#closing-hint")).to_be_hidden()

        expect(page.locator("article.session .badge").first).to_have_text("Closed")
        expect(page.locator("#message")).to_have_text(f"Session {session.code} closed.")
        session.refresh_from_db()
        assert session.state == Session.State.CLOSED
        closing = LoginFlow.objects.get(action="close")
        assert closing.status == LoginFlow.Status.COMPLETED
    finally:
        context.close()


BLOCKED = {
    "en": {
        "create": "Create session",
        "login_link": "Sign in to TeamViewer",
        "blocked": "Your browser blocked the TeamViewer sign-in window",
        "waiting": "Waiting for the customer",
        "created": "Session {code} created.",
        "join": "Join as admin",
        "join_link": "Join session {code}",
        "join_blocked": "Your browser blocked the new window.",
    },
    "ja": {
        "create": "セッションを作成",
        "login_link": "TeamViewer にサインイン",
        "blocked": "ブラウザーが TeamViewer のサインインウィンドウをブロックしました。",
        "waiting": "お客様の接続待ち",
        "created": "セッション {code} を作成しました。",
        "join": "管理者として参加",
        "join_link": "セッション {code} に参加",
        "join_blocked": "ブラウザーが新しいウィンドウをブロックしました。",
    },
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_blocked_pop_up_offers_a_link_that_signs_in_and_carries_on(chromium, site, agent_user, language):
    words = BLOCKED[language]
    context, page = new_page(chromium, language=language, init_script=BLOCK_POPUPS)
    try:
        page.goto(launch_url(agent_user, requester_email="hanako@example.com"))
        page.get_by_role("button", name=words["create"]).click()

        link = page.get_by_role("link", name=words["login_link"])
        expect(link).to_be_visible()
        expect(page.locator("#message")).to_contain_text(words["blocked"])
        shoot(page, "7-login-popup-blocked", language)
        with page.expect_popup() as opened:
            link.click()
        sign_in_at_sandbox(opened.value)

        card = page.locator("article.session").first
        expect(card.locator(".badge")).to_have_text(words["waiting"])
        session = Session.objects.get()
        expect(page.locator("#message")).to_contain_text(words["created"].format(code=session.code))

        # Join as admin with the new window blocked: the supporter link is offered instead.
        page.get_by_role("button", name=words["join"]).click()
        expect(page.locator("#message")).to_contain_text(words["join_blocked"])
        join = page.get_by_role("link", name=words["join_link"].format(code=session.code))
        expect(join).to_have_attribute("href", session.supporter_link)
        with page.expect_popup() as supporter:
            join.click()
        supporter.value.wait_for_url(re.compile(r"/sandbox/teamviewer/support/"))
    finally:
        context.close()


def test_refusing_the_sign_in_says_so_and_does_nothing(chromium, site, agent_user):
    context, page = new_page(chromium)
    try:
        page.goto(launch_url(agent_user))
        popup = create_until_sign_in(page)
        popup.wait_for_load_state()
        popup.click("button[value=deny]")
        expect(page.locator("#message")).to_have_text("The TeamViewer sign-in was refused, so nothing was done.")
        expect_create_button_free(page)
        assert not Session.objects.exists()
    finally:
        context.close()


def test_teamviewer_down_while_closing_is_reported_and_the_session_stays_open(chromium, site, agent_user):
    context, page = new_page(chromium)
    try:
        page.goto(launch_url(agent_user))
        session = create_with_login(page)
        faults.inject(method="PUT", path_prefix="sessions", status=503, times=None)
        page.get_by_role("button", name="Close session").click()
        expect(page.locator("#message")).to_have_text("TeamViewer is not reachable right now. Try again shortly.")
        expect(page.locator(f"#close-{session.pk}")).to_be_enabled()
        shoot(page, "9-error-teamviewer-down", "en")
        assert Session.objects.get().state == Session.State.OPEN

        faults.clear()
        page.get_by_role("button", name="Close session").click()
        expect(page.locator("article.session .badge").first).to_have_text("Closed")
    finally:
        context.close()


def test_stopping_to_wait_for_the_sign_in_frees_the_button(chromium, site, agent_user):
    context, page = new_page(chromium)
    try:
        page.goto(launch_url(agent_user))
        popup = create_until_sign_in(page)
        expect(page.locator("#create-button")).to_have_attribute("aria-busy", "true")
        page.get_by_role("button", name="Stop waiting").click()
        expect(page.locator("#message")).to_have_text("Stopped waiting for the TeamViewer sign-in. Nothing was done.")
        expect_create_button_free(page)
        popup.close()
        assert not Session.objects.exists()
    finally:
        context.close()
