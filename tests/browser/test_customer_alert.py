"""The tab left in the background: the customer-waiting alert, who the agent is at TeamViewer, and
joining in the browser, in headless Chromium against the live server and its TeamViewer sandbox.

The page's clock is Playwright's fake one, stepped by the test, so "how often the list asks" is a
count of polls per step, never a measured time. Headless Chromium always reports a page as
visible, so "hidden" is the Page Visibility API as the page sees it: ``document.hidden`` and
``visibilityState`` answered by an init script, with the ``visibilitychange`` event a real tab
switch sends. Notifications are recorded by wrapping ``window.Notification`` (the permission
itself is granted to the browser context, as a user would).
"""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from sessions_app.models import Session
from tokens_app.models import TeamViewerToken

from .conftest import SANDBOX, WAIT_MS, launch_url, new_page, shoot, sign_in_at_sandbox
from .test_incident_page import csp_refusals

pytestmark = pytest.mark.browser

HIDDEN_POLL_SECONDS = 3

# What the page sees of its visibility, switched by the test; the notifications it shows; the
# times it asked the browser for the permission.
INSTRUMENTS = """
(function () {
  var hidden = false;
  Object.defineProperty(Document.prototype, "hidden", {configurable: true, get: function () { return hidden; }});
  Object.defineProperty(Document.prototype, "visibilityState", {configurable: true,
    get: function () { return hidden ? "hidden" : "visible"; }});
  window.__setHidden = function (value) { hidden = value; document.dispatchEvent(new Event("visibilitychange")); };
  window.__notes = [];
  window.__asked = 0;
  if (window.Notification) {
    var Real = window.Notification;
    var Recorded = function (title, options) { window.__notes.push(title); return new Real(title, options); };
    Object.defineProperty(Recorded, "permission", {get: function () { return Real.permission; }});
    Recorded.requestPermission = function () { window.__asked += 1; return Real.requestPermission(); };
    window.Notification = Recorded;
  }
}());
"""

TEXT = {
    "en": {
        "signed_out": "TeamViewer: not signed in",
        "sign_in": "Sign in to TeamViewer",
        "signed_in": "TeamViewer: signed in as Sato (sato@example.com)",
        "disconnect": "Disconnect",
        "create": "Create session",
        "waiting_badge": "Waiting for the customer",
        "customer_waiting": "The customer is waiting",
        "join_now": "Join now",
        "join_web": "Join in browser",
        "close": "Close session",
        "turn_on": "Turn on alerts",
        "alerts_on": "Alerts on",
        "web_client": "You are using the web client.",
    },
    "ja": {
        "signed_out": "TeamViewer: 未サインイン",
        "sign_in": "TeamViewer にサインイン",
        "signed_in": "TeamViewer: Sato（sato@example.com）としてサインイン中",
        "disconnect": "接続を解除",
        "create": "セッションを作成",
        "waiting_badge": "お客様の接続待ち",
        "customer_waiting": "お客様が待っています",
        "join_now": "今すぐ参加",
        "join_web": "ブラウザーで参加",
        "close": "セッションを終了",
        "turn_on": "通知をオンにする",
        "alerts_on": "通知オン",
        "web_client": "Web クライアントを使用しています。",
    },
}


@pytest.fixture
def paced(settings):
    """The list polls every second while visible, every HIDDEN_POLL_SECONDS while hidden."""
    settings.SESSION_SYNC_SECONDS = 1
    settings.SESSION_HIDDEN_POLL_SECONDS = HIDDEN_POLL_SECONDS


def sign_in(page, words) -> None:
    """The header's "Sign in to TeamViewer": the pop-up sign-in, with nothing else to carry out."""
    with page.expect_popup() as opened:
        page.get_by_role("button", name=words["sign_in"]).click()
    sign_in_at_sandbox(opened.value)
    expect(page.locator("#teamviewer-account")).to_contain_text(words["signed_in"])


def create(page, words) -> Session:
    page.get_by_role("button", name=words["create"]).click()
    expect(page.locator("article.session .badge").first).to_have_text(words["waiting_badge"])
    return Session.objects.get()


class Requests:
    """The page's requests as the browser sends them: those in flight, and the list's polls."""

    def __init__(self, page, incident_id: str = "INC-2001") -> None:
        self.in_flight: set = set()
        self.polls = 0
        list_path = f"/incidents/{incident_id}/sessions/"
        page.on("request", self._sent)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._done)
        self._is_poll = lambda request: (
            request.method == "GET" and request.url.split("?")[0].endswith(list_path)
        )

    def _done(self, request) -> None:
        self.in_flight.discard(request)

    def _sent(self, request) -> None:
        self.in_flight.add(request)
        self.polls += self._is_poll(request)


def until(page, done) -> None:
    """Wait for ``done()``. Not ``wait_for_function``: its polling runs on the page's timers,
    which the fake clock holds still."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not done():
        assert time.monotonic() < deadline, "the page's requests were never answered"
        page.wait_for_timeout(20)  # lets Playwright deliver the browser's events


def answered(page, requests: Requests) -> None:
    """Every request the page made has its answer, and htmx has settled it (on a timer: the
    swapped list starts its next poll then)."""
    until(page, lambda: not requests.in_flight)
    page.clock.run_for(50)
    until(page, lambda: not requests.in_flight)


def step(page, requests: Requests, seconds: int = 1) -> None:
    """Run the page's clock on a second at a time, each poll answered and settled before the next."""
    for _ in range(seconds):
        page.clock.run_for(1000)
        answered(page, requests)


def polls_during(page, requests: Requests, seconds: int) -> int:
    before = requests.polls
    step(page, requests, seconds)
    return requests.polls - before


def mark_customer_online(browser, site, session: Session) -> None:
    """The customer's side, as the sandbox's control page offers it."""
    context = browser.new_context()
    try:
        control = context.new_page()
        control.goto(f"{site.url}{SANDBOX}/control/sessions/")
        control.get_by_role("button", name=re.compile("Mark the customer online")).click()
        expect(control.locator(f"[id='{session.code}']")).to_contain_text("The customer is online.")
    finally:
        context.close()
    # The server asks TeamViewer about a session at most once a SESSION_SYNC_SECONDS (of real
    # time, while the page's clock is the test's): the next poll asks at once.
    cache.delete(f"sessions_app:sync:{session.pk}")


@pytest.mark.parametrize("language", ["en", "ja"])
def test_a_customer_coming_online_while_the_tab_is_hidden_is_announced_once(
    chromium, site, agent_user, paced, language
):
    words = TEXT[language]
    context, page = new_page(chromium, language=language, init_script=INSTRUMENTS)
    context.grant_permissions(["notifications"], origin=site.url)
    requests = Requests(page)
    refused = csp_refusals(page)
    try:
        page.clock.install()
        page.goto(launch_url(agent_user))
        expect(page.locator("#alerts-enabled")).to_have_text(words["alerts_on"])
        sign_in(page, words)
        session = create(page, words)
        title = page.title()
        # From here the clock moves only when the test steps it.
        page.clock.pause_at(page.evaluate("Date.now()") + 1000)
        answered(page, requests)

        visible = polls_during(page, requests, 6)
        page.evaluate("window.__setHidden(true)")
        hidden = polls_during(page, requests, 3 * HIDDEN_POLL_SECONDS)
        # Visible: every second; hidden: once every HIDDEN_POLL_SECONDS, so a background tab
        # still hears of the customer, and TeamViewer is asked no more often than before.
        assert visible == 6
        assert 2 <= hidden <= 3, hidden

        mark_customer_online(chromium, site, session)
        for _ in range(2 * HIDDEN_POLL_SECONDS):
            step(page, requests)
            if page.evaluate("window.__notes.length"):
                break
        expect(page).to_have_title(f"(1) {title}")
        waiting = page.locator(f"#session-{session.pk} .customer-waiting")
        expect(waiting).to_contain_text(words["customer_waiting"])
        join = page.get_by_role("button", name=words["join_now"])
        expect(join).to_be_focused()
        assert page.evaluate("window.__notes.length") == 1
        assert session.code in page.evaluate("window.__notes[0]")
        session.refresh_from_db()
        assert session.state == Session.State.ACTIVE and session.customer_waiting_since is not None

        # The next polls show the customer still waiting: no second notification.
        assert polls_during(page, requests, 2 * HIDDEN_POLL_SECONDS) >= 1
        assert page.evaluate("window.__notes.length") == 1
        page.evaluate("window.__setHidden(false)")
        step(page, requests)
        shoot(page, "10-customer-waiting", language)

        # No live session left: the list stops asking altogether.
        page.get_by_role("button", name=words["close"]).click()
        answered(page, requests)
        step(page, requests)
        expect(page).to_have_title(title)
        assert polls_during(page, requests, 10) == 0
        page.evaluate("window.__setHidden(true)")
        assert polls_during(page, requests, 10) == 0
        shoot(page, "11-closed-no-polling", language)
        # The alert's script, the sound and notification included, runs under the page's CSP.
        assert refused == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_header_says_who_the_agent_is_at_teamviewer_until_they_disconnect(
    chromium, site, agent_user, language
):
    words = TEXT[language]
    context, page = new_page(chromium, language=language, init_script=INSTRUMENTS)
    try:
        page.goto(launch_url(agent_user))
        expect(page.locator("#teamviewer-account")).to_contain_text(words["signed_out"])
        # Alerts are asked for on a click only, never on load.
        expect(page.get_by_role("button", name=words["turn_on"])).to_be_visible()
        assert page.evaluate("window.__asked") == 0
        shoot(page, "12-teamviewer-signed-out", language)

        sign_in(page, words)
        token = TeamViewerToken.objects.get(agent=agent_user)
        assert (token.account_name, token.account_email) == ("Sato", "sato@example.com")
        shoot(page, "13-teamviewer-signed-in", language)

        page.get_by_role("button", name=words["disconnect"]).click()
        expect(page.locator("#teamviewer-account")).to_contain_text(words["signed_out"])
        expect(page.locator("#teamviewer-account")).not_to_contain_text("sato@example.com")
        assert not TeamViewerToken.objects.filter(agent=agent_user).exists()
        shoot(page, "14-teamviewer-disconnected", language)

        page.get_by_role("button", name=words["turn_on"]).click()
        until(page, lambda: page.evaluate("window.__asked") == 1)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_join_in_browser_opens_the_web_client_link(chromium, site, agent_user, language):
    words = TEXT[language]
    context, page = new_page(chromium, language=language)
    try:
        page.goto(launch_url(agent_user))
        sign_in(page, words)
        session = create(page, words)
        assert session.webclient_supporter_link
        shoot(page, "15-join-in-browser", language)

        with page.expect_popup() as joined:
            page.get_by_role("button", name=words["join_web"]).click()
        web = joined.value
        web.wait_for_url(re.compile(r"/sandbox/teamviewer/support/.*client=web"))
        assert web.url == session.webclient_supporter_link
        expect(web.locator("body")).to_contain_text(words["web_client"])
    finally:
        context.close()
