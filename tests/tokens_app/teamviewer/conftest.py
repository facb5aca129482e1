"""Fixtures for the TeamViewer client's tests: the app-level client and what TeamViewer answers."""

from __future__ import annotations

import pytest

from tests.conftest import TV_API
from tokens_app.teamviewer import RemoteSession, TeamViewerApp, teamviewer_app

ACCESS_TOKEN = "api-access-token-c0ffee"
BEARER = f"Bearer {ACCESS_TOKEN}"
CODE = "s12-345-678"
SESSIONS_URL = f"{TV_API}/sessions"
SESSION_URL = f"{SESSIONS_URL}/{CODE}"
PING_URL = f"{TV_API}/ping"
REPORTS_URL = f"{TV_API}/reports/connections"
REVOKE_URL = f"{TV_API}/oauth2/revoke"
SESSION_BODY = {
    "code": CODE,
    "state": "open",
    "groupid": "g12345",
    "description": "INC-1001 printer",
    "end_customer_link": f"https://get.teamviewer.com/{CODE}",
    "supporter_link": f"https://get.teamviewer.com/{CODE}-secret",
    "webclient_supporter_link": f"https://login.teamviewer.com/{CODE}-secret",
    "online": False,
    "valid_until": "2026-12-01T09:30:00Z",
    "created_at": "2026-11-30T09:30:00Z",
}


@pytest.fixture
def client(tv) -> TeamViewerApp:
    return teamviewer_app()


def create(client: TeamViewerApp, **kwargs) -> RemoteSession:
    return client.api(ACCESS_TOKEN).create_session(**kwargs)
