"""The project's own TeamViewer client, over real HTTP, against the sandbox on a live server."""
from __future__ import annotations

import gc
import re
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from csm_teamviewer.errors import TeamViewerNotFound
from tokens_app.teamviewer import TeamViewerApp

from .conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, query_of

pytestmark = pytest.mark.urls("tests.sandbox.urls")

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def tv_client(live_server, transactional_db, settings) -> Iterator[TeamViewerApp]:
    settings.PUBLIC_BASE_URL = live_server.url
    base = f"{live_server.url}/sandbox/teamviewer"
    settings.TEAMVIEWER_API_URL = f"{base}/api/v1"
    settings.TEAMVIEWER_AUTHORIZE_URL = f"{base}/oauth2/authorize"
    client = TeamViewerApp(
        api_url=settings.TEAMVIEWER_API_URL,
        authorize_url=settings.TEAMVIEWER_AUTHORIZE_URL,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        session_group="CSM",
        timeout=(5, 5),
    )
    yield client
    client.http.close()
    _hang_up_kept_alive_connections()


def _hang_up_kept_alive_connections() -> None:
    """Let the live server finish every kept-alive connection while it still shares the DB.

    A server thread still holding a connection when the session-scoped server stops closes
    the shared in-memory database from the wrong thread (a warning, and on Python 3.11 a
    crash in traceback's use of ``ast``). The client's token calls leave their sockets to the
    garbage collector, so collect them and wait for the server's threads to see the hang-up.
    """
    gc.collect()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(
        thread.name.endswith("(process_request_thread)") for thread in threading.enumerate()
    ):
        time.sleep(0.01)


def sign_in_with_a_browser(authorize_url: str, *, state: str) -> str:
    """What the agent does in the pop-up: open the login page and allow. Returns the code."""
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=5)
        token = CSRF.search(page.text).group(1)
        answer = browser.post(
            authorize_url,
            data={"csrfmiddlewaretoken": token, "email": "agent@example.com", "password": "pw", "action": "allow"},
            allow_redirects=False,
            timeout=5,
        )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(REDIRECT_URI)
    query = query_of(answer.headers["Location"])
    assert query["state"] == state
    return query["code"]


def test_the_projects_client_signs_in_and_manages_sessions_against_the_sandbox(tv_client):
    state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    code = sign_in_with_a_browser(tv_client.build_authorize_url(state=state, code_verifier=verifier), state=state)

    tokens = tv_client.exchange_code(code=code, code_verifier=verifier)
    access = tokens.access_token
    valid_until = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    created = tv_client.api(access).create_session(
        description="Printer", end_customer_name="Ann",
        end_customer_email="ann@example.com", custom_api='{"incident": "42"}', valid_until=valid_until,
    )
    fetched = tv_client.api(access).get_session(created.code)
    listed = tv_client.api(access).list_sessions()

    assert tv_client.api(access).ping() is True
    assert re.match(r"^s\d\d-\d{3}-\d{3}$", created.code) and created.state == "open"
    assert created.end_customer_link and created.supporter_link and created.valid_until == valid_until
    assert (fetched.code, fetched.description) == (created.code, "Printer")
    assert [session.code for session in listed.sessions] == [created.code]

    requests.get(created.end_customer_link, timeout=5).raise_for_status()
    reports = tv_client.api(access).connection_reports(created.code)
    assert [report.session_code for report in reports] == [created.code]

    tv_client.api(access).close_session(created.code)
    assert tv_client.api(access).get_session(created.code).is_closed
    assert tv_client.api(access).list_sessions().sessions == []
    with pytest.raises(TeamViewerNotFound):
        tv_client.api(access).close_session("s00-000-000")

    renewed = tv_client.refresh_tokens(refresh_token=tokens.refresh_token)
    assert renewed.refresh_token != tokens.refresh_token
    assert tv_client.api(renewed.access_token).ping() is True

    tv_client.revoke_token(access_token=renewed.access_token)
    assert tv_client.api(renewed.access_token).ping() is False
    tv_client.revoke_token(access_token="123-never-issued")  # an unknown token counts as done
