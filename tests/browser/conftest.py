"""Headless Chromium (Debian's package, driven by Playwright) against a live server and the sandbox.

The live server runs in a thread of this process, so the ``settings`` fixture's overrides reach
it. The server calls the TeamViewer sandbox mounted on itself over real HTTP, exactly as it
calls TeamViewer. Screenshots of every state land in ``artifacts/screenshots/``.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from csm_teamviewer.sandbox import faults
from sessions_app.services.launch import launch_link_create
from tests.handed_over import catch_invitations, let_hand_overs_through
from tests.net import free_port
from tests.prerequisites import CHROMIUM, chromium_found, missing
from tests.smtp import Inbox
from tests.workers import celery_env

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
SANDBOX = "/sandbox/teamviewer"
# Every wait on the page is bounded: a broken flow fails in seconds, not at the suite's timeout.
WAIT_MS = 15_000
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"



@dataclass
class Site:
    url: str
    # Outbox rows handed to "Celery" (recorded here instead; the test sends them itself).
    queued_invitations: list[int]


@pytest.fixture(scope="package")
def chromium() -> Iterator:
    """One Chromium for the browser tests, stopped when they are done.

    Playwright's sync API keeps an event loop running in this thread, which Django's async-safety
    check mistakes for async code calling the ORM: it is told otherwise while the loop runs, and
    only then, so the rest of the suite keeps the check.
    """
    if not chromium_found():
        missing(f"Chromium not found at {CHROMIUM} (install Debian's chromium, or set CHROMIUM)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        # launch() gives Chromium a fresh temporary profile of its own, removed when it closes.
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def site(live_server, settings, transactional_db, monkeypatch) -> Site:
    """Point the server at the sandbox on the live server, and keep invitations in this process."""
    url = live_server.url
    settings.PUBLIC_BASE_URL = url
    settings.TEAMVIEWER_API_URL = f"{url}{SANDBOX}/api/v1"
    settings.TEAMVIEWER_AUTHORIZE_URL = f"{url}{SANDBOX}/oauth2/authorize"
    settings.TEAMVIEWER_REDIRECT_URI = f"{url}/oauth/teamviewer/callback/"
    settings.TEAMVIEWER_CLIENT_ID = "sandbox-client-id"
    settings.TEAMVIEWER_CLIENT_SECRET = "sandbox-client-secret"
    settings.SANDBOX_LATENCY_SECONDS = 0
    settings.SESSION_SYNC_SECONDS = 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The outbox row is what matters; the test sends it itself instead of a Celery worker.
    queued = catch_invitations(monkeypatch)
    cache.clear()
    faults.clear()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return Site(url=url, queued_invitations=queued)


@dataclass
class DeliveringSite:
    url: str
    inbox: Inbox
    worker_log: Path


@pytest.fixture
def delivering_site(
    site, monkeypatch, requires_postgres, redis_url, queue_name, producer, celery_processes, smtp
) -> DeliveringSite:
    """Opt-in instead of ``site``: what the page hands over goes to a real Celery worker on Redis,
    which sends invitations to a real SMTP server on loopback and writes notes to the CSM sandbox."""
    let_hand_overs_through(monkeypatch)  # undo ``site``'s catch: publish for real
    port = free_port()
    inbox = smtp(port)
    env = celery_env(
        PUBLIC_BASE_URL=site.url, CELERY_BROKER_URL=redis_url, CELERY_TASK_DEFAULT_QUEUE=queue_name,
        EMAIL_URL=f"smtp://127.0.0.1:{port}", EMAIL_TIMEOUT="5", DEFAULT_FROM_EMAIL="service-desk@example.test",
    )  # fmt: skip
    celery_processes.start(
        "worker", "--pool=solo", "-l", "info", "-Q", queue_name, "-n", f"{queue_name}@%h",
        "--without-gossip", "--without-mingle", env=env,
    )  # fmt: skip
    return DeliveringSite(url=site.url, inbox=inbox, worker_log=celery_processes.log)


@pytest.fixture
def agent_user(transactional_db):
    return get_user_model().objects.create_user(username="agent.sato", email="sato@example.com")


def launch_url(agent, incident_id: str = "INC-2001", **requester: str) -> str:
    return launch_link_create(agent=agent, incident_id=incident_id, **requester)


def new_page(browser, *, language: str = "en", init_script: str | None = None):
    locale = {"en": "en-US", "ja": "ja-JP"}[language]
    context = browser.new_context(
        locale=locale,
        extra_http_headers={"Accept-Language": f"{language},{'en' if language == 'ja' else 'ja'};q=0.5"},
        viewport={"width": 760, "height": 820},
        timezone_id="Asia/Tokyo",
    )
    context.set_default_timeout(WAIT_MS)
    if init_script:
        context.add_init_script(init_script)
    return context, context.new_page()


def sign_in_at_sandbox(popup, *, email: str = "sato@example.com") -> None:
    """What the agent does in TeamViewer's login pop-up (the sandbox's stand-in for it)."""
    popup.wait_for_load_state()
    popup.fill("input[name=email]", email)
    popup.fill("input[name=password]", "any password")
    popup.click("button[value=allow]")


def shoot(page, name: str, language: str) -> Path:
    path = SCREENSHOTS / f"{language}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
