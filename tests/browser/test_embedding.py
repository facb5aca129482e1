"""The page inside CSM's frame: allowed from the origins in CSM_FRAME_ANCESTORS, refused elsewhere.

CSM is played by a tiny parent page on 127.0.0.1 (another site than the live server's
``localhost``), so the frame's cookies are third-party, as in production: the test runs with the
production cookie settings (SameSite=None; Secure; Partitioned). Chromium treats loopback
addresses as secure contexts, so Secure cookies work over http here.
"""
from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from sessions_app.models import Session

from .conftest import launch_url, new_page, shoot, sign_in_at_sandbox

pytestmark = pytest.mark.browser


class ParentPage:
    """A stand-in for CSM's incident form: one iframe showing ``frame_url``."""

    def __init__(self) -> None:
        self.frame_url = "about:blank"
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = (
                    "<!doctype html><title>CSM incident</title><h1>CSM incident form</h1>"
                    f'<iframe id="tab" title="TeamViewer" src="{html.escape(page.frame_url)}" '
                    'width="760" height="700"></iframe>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ParentPage:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def csm() -> Iterator[ParentPage]:
    with ParentPage() as parent:
        yield parent


@pytest.fixture
def framed_cookies(settings):
    """What settings.py sets when CSM_FRAME_ANCESTORS is given and DEBUG is off."""
    settings.SESSION_COOKIE_SAMESITE = "None"
    settings.CSRF_COOKIE_SAMESITE = "None"
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.PARTITIONED_COOKIES = True


FRAMED = {
    "en": {
        "heading": "TeamViewer remote support",
        "email": "Requester email",
        "create": "Create session",
        "waiting": "Waiting for the customer",
        "created": "Session {code} created.",
    },
    "ja": {
        "heading": "TeamViewer リモートサポート",
        "email": "依頼者のメールアドレス",
        "create": "セッションを作成",
        "waiting": "お客様の接続待ち",
        "created": "セッション {code} を作成しました。",
    },
}


@pytest.mark.parametrize("language", ["en", "ja"])
def test_the_page_works_inside_a_frame_from_an_allowed_origin(
    chromium, site, agent_user, csm, settings, framed_cookies, language
):
    words = FRAMED[language]
    settings.CSM_FRAME_ANCESTORS = [csm.origin]
    csm.frame_url = launch_url(agent_user, requester_email="hanako@example.com")
    context, page = new_page(chromium, language=language)
    try:
        page.goto(csm.origin)
        tab = page.frame_locator("#tab")
        expect(tab.get_by_role("heading", name=words["heading"])).to_be_visible()
        expect(tab.get_by_label(words["email"])).to_have_value("hanako@example.com")

        # The whole flow from inside the frame: the sign-in pop-up reports back to the frame.
        with page.expect_popup() as opened:
            tab.get_by_role("button", name=words["create"]).click()
        sign_in_at_sandbox(opened.value)
        expect(tab.locator("article.session .badge").first).to_have_text(words["waiting"])
        session = Session.objects.get()
        expect(tab.locator("#message")).to_contain_text(words["created"].format(code=session.code))
        shoot(page, "8-inside-csm-frame", language)

        cookies = {cookie["name"]: cookie for cookie in context.cookies(settings.PUBLIC_BASE_URL)}
        assert cookies["sessionid"]["sameSite"] == "None" and cookies["sessionid"]["secure"]
        assert cookies["sessionid"].get("partitionKey"), "the session cookie is not partitioned (CHIPS)"
    finally:
        context.close()


def test_a_frame_from_another_origin_is_refused(chromium, site, agent_user, csm, settings):
    settings.CSM_FRAME_ANCESTORS = ["https://csm.example.com"]
    csm.frame_url = f"{site.url}/incidents/INC-2001/"
    context, page = new_page(chromium)
    refusals: list[str] = []
    page.on("console", lambda message: refusals.append(message.text) if "frame-ancestors" in message.text else None)
    try:
        page.goto(csm.origin)
        page.wait_for_load_state("load")
        expect(page.get_by_role("heading", name="CSM incident form")).to_be_visible()
        page.wait_for_timeout(300)
        frame = page.frame_locator("#tab")
        expect(frame.get_by_role("heading", name="Sign in")).to_have_count(0)
        expect(frame.locator("#id_username")).to_have_count(0)
        assert refusals, "Chromium reported no frame-ancestors refusal"
        assert "https://csm.example.com" in refusals[0]
    finally:
        context.close()
