"""Every TeamViewer call about a session is made with its owner's token, as checked at the sandbox.

The sandbox honours ownership as TeamViewer does for an app with "view and edit own sessions": a
token reads and closes only its own account's sessions, and another account's is a 404. It
records which token, of which account, made each call (``ApiCall``), so these tests read there
who closed, synced and cleaned up each session, and who made each create that a sign-in resumed
(two agents signing in at once). The server under test reaches the sandbox over real HTTP.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from csm_teamviewer.sandbox import faults
from csm_teamviewer.sandbox import sessions as sandbox_sessions
from csm_teamviewer.sandbox.models import ApiCall
from csm_teamviewer.sandbox.models import Session as SandboxSession
from csm_teamviewer.sandbox.models import Token as SandboxToken
from csm_teamviewer.sandbox.oauth import hash_secret
from sessions_app.models import Session
from sessions_app.services.api_keys import api_key_create
from sessions_app.services.expiry import sessions_expire
from sessions_app.services.sessions import session_close
from sessions_app.services.sync import sessions_sync_batch
from tests.factories import AgentFactory, SessionFactory, TeamViewerTokenFactory
from tokens_app.teamviewer import teamviewer_app

pytestmark = pytest.mark.django_db(transaction=True)

SANDBOX = "/sandbox/teamviewer"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Account:
    """An agent here, signed in to their own TeamViewer account at the sandbox."""

    agent: object
    email: str
    sandbox_token: SandboxToken

    def session(self, incident_id: str, *, valid_for: timedelta = timedelta(hours=5)) -> Session:
        remote = sandbox_sessions.session_create(token=self.sandbox_token, data={"groupname": "CSM"})
        return SessionFactory(
            agent=self.agent,
            incident_id=incident_id,
            code=remote.code,
            valid_until=timezone.now() + valid_for,
        )


def signed_in(username: str, email: str) -> Account:
    agent = AgentFactory(username=username, email=email)
    access = secrets.token_urlsafe(24)
    token = SandboxToken.objects.create(
        access_hash=hash_secret(access),
        refresh_hash=hash_secret(secrets.token_urlsafe(24)),
        client_id="sandbox-client-id",
        email=email,
        access_expires_at=timezone.now() + timedelta(days=1),
    )
    TeamViewerTokenFactory(agent=agent, access_token=access, expires_at=timezone.now() + timedelta(days=1))
    return Account(agent=agent, email=email, sandbox_token=token)


def callers(session: Session, method: str) -> list[str]:
    """The accounts whose tokens made ``method`` calls about ``session`` at the sandbox."""
    calls = ApiCall.objects.filter(method=method, path__endswith=f"/sessions/{session.code}")
    return list(calls.values_list("email", flat=True))


def remote_state(session: Session) -> str:
    return SandboxSession.objects.get(code=session.code).state


@pytest.fixture
def sandbox_over_http(live_server, settings) -> Iterator[str]:
    settings.PUBLIC_BASE_URL = live_server.url
    settings.TEAMVIEWER_API_URL = f"{live_server.url}{SANDBOX}/api/v1"
    settings.TEAMVIEWER_AUTHORIZE_URL = f"{live_server.url}{SANDBOX}/oauth2/authorize"
    settings.TEAMVIEWER_REDIRECT_URI = f"{live_server.url}/oauth/teamviewer/callback/"
    settings.TEAMVIEWER_CLIENT_ID, settings.TEAMVIEWER_CLIENT_SECRET = (
        "sandbox-client-id",
        "sandbox-client-secret",
    )
    settings.SANDBOX_LATENCY_SECONDS = 0
    settings.TEAMVIEWER_RATE_LIMIT = 0
    faults.clear()
    yield live_server.url
    # A kept-alive connection to the live server holds one of its threads, and that thread's
    # database connection, open past the test.
    teamviewer_app().http.close()


@pytest.fixture
def sato(sandbox_over_http) -> Account:
    return signed_in("agent.sato", "sato@example.com")


@pytest.fixture
def suzuki(sandbox_over_http) -> Account:
    return signed_in("agent.suzuki", "suzuki@example.com")


def test_the_sandbox_hides_another_accounts_session_from_a_token(sato, suzuki, sandbox_over_http):
    session = sato.session("INC-1")
    api = f"{sandbox_over_http}{SANDBOX}/api/v1/sessions/{session.code}"
    theirs = {"Authorization": f"Bearer {suzuki.agent.teamviewer_token.access_token}"}

    read = requests.get(api, headers=theirs, timeout=10)
    close = requests.put(api, json={"state": "closed"}, headers=theirs, timeout=10)

    assert (read.status_code, read.json()["error"]) == (404, "not_found")
    assert (close.status_code, close.json()["error"]) == (404, "not_found")
    assert remote_state(session) == "open"
    assert callers(session, "PUT") == [suzuki.email]  # the refused attempt is on record too


def test_a_staff_user_closing_an_agents_session_closes_it_with_the_agents_token(sato, suzuki):
    session = sato.session("INC-1")
    staff = AgentFactory(username="admin.tanaka", is_staff=True)

    session_close(session=session, actor=staff, via="api")

    assert callers(session, "PUT") == [sato.email]
    assert remote_state(session) == "closed"


def test_the_periodic_sync_asks_about_each_session_with_its_owners_token(sato, suzuki):
    sessions = [sato.session("INC-1"), suzuki.session("INC-1"), sato.session("INC-2")]

    sessions_sync_batch(limit=10, rate_limit=0)

    assert [callers(session, "GET") for session in sessions] == [[sato.email], [suzuki.email], [sato.email]]


def test_the_cleanup_closes_each_expired_session_with_its_owners_token(sato, suzuki):
    expired = [
        sato.session("INC-1", valid_for=-timedelta(minutes=1)),
        suzuki.session("INC-2", valid_for=-timedelta(minutes=2)),
    ]

    sessions_expire(limit=10, concurrency=2, rate_limit=0)

    assert [callers(session, "PUT") for session in expired] == [[sato.email], [suzuki.email]]
    assert [remote_state(session) for session in expired] == ["closed", "closed"]


# --- two agents signing in at once -----------------------------------------------------------


def sign_in_and_resume(base: str, api_key: str, login: str, email: str, barrier: threading.Barrier) -> str:
    """The agent's create answers 409; they sign in at the sandbox as ``email`` (both agents
    submit the login form at the same moment); the page after sign-in answers. Its HTML."""
    headers = {"Authorization": f"Token {api_key}", "X-CSM-User": login}
    create = requests.post(
        f"{base}/api/v1/sessions/", json={"incident_id": "INC-7"}, headers=headers, timeout=30
    )
    assert create.status_code == 409, create.text
    browser = requests.Session()
    form_page = browser.get(create.json()["authorize_url"], timeout=30)
    form = {"email": email, "password": "any", "action": "allow"}
    form["csrfmiddlewaretoken"] = CSRF_INPUT.search(form_page.text).group(1)
    barrier.wait()
    done = browser.post(form_page.url, data=form, timeout=60)
    assert done.status_code == 200, done.text[-2000:]
    return done.text


def test_two_agents_signing_in_at_once_each_have_their_create_made_with_their_own_token(sandbox_over_http):
    api_key = api_key_create(name="CSM")[1]
    people = [("agent.sato", "sato@example.com"), ("agent.suzuki", "suzuki@example.com")]
    barrier = threading.Barrier(len(people), timeout=30)

    with ThreadPoolExecutor(max_workers=len(people)) as pool:
        flows = [
            pool.submit(sign_in_and_resume, sandbox_over_http, api_key, *person, barrier) for person in people
        ]
        pages = [flow.result(timeout=90) for flow in flows]

    assert len(pages) == 2
    for login, email in people:
        session = Session.objects.get(agent__username=login, incident_id="INC-7")
        assert SandboxSession.objects.get(code=session.code).owner_email == email
        creates = ApiCall.objects.filter(method="POST", path__endswith="/sessions", email=email)
        assert creates.count() == 1
        assert creates.get().token.email == email
