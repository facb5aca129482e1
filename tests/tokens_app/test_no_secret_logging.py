"""Nothing logs a token, the client secret, an authorization code or a PKCE verifier."""

from __future__ import annotations

import json
import logging
import logging.config
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.conf import settings

from tests.conftest import TV_API, TV_CLIENT_SECRET
from tests.factories import LoginFlowFactory
from tokens_app.models import LoginFlow, TeamViewerToken
from tokens_app.services import token_disconnect
from tokens_app.teamviewer import teamviewer_app
from tokens_app.teamviewer.tokens import access_token_for

from .conftest import (
    AUTH_CODE,
    CALLBACK_PATH,
    NEW_ACCESS_TOKEN,
    NEW_REFRESH_TOKEN,
    RESUMED_ACTION,
    token_body,
)

REFRESHED_ACCESS_TOKEN = "refreshed-access-token-77c1"
REFRESHED_REFRESH_TOKEN = "refreshed-refresh-token-3e90"


@pytest.fixture
def every_logger_at_debug():
    """Force DEBUG on the root and on every logger there is, authlib and urllib3 included."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    yield
    for logger, level in levels.items():
        logger.setLevel(level)


@pytest.fixture
def configured_logging():
    """settings.LOGGING as deployed, with only the root turned down to DEBUG."""
    logging.config.dictConfig(settings.LOGGING)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    yield
    root.setLevel(level)
    logging.config.dictConfig(settings.LOGGING)


def full_login_refresh_and_disconnect(client, tv, agent) -> dict[str, str]:
    """Start → callback → token exchange → resume, then a refresh and a disconnect.

    Returns every secret that went over the wire, by name.
    """
    token_url = f"{TV_API}/oauth2/token"
    tv.post(token_url, json=token_body())
    tv.post(token_url, json=token_body(REFRESHED_ACCESS_TOKEN, REFRESHED_REFRESH_TOKEN, 3600))
    tv.post(f"{TV_API}/oauth2/revoke", status=204)
    tv.get(f"{TV_API}/account", json={"userid": "u1", "name": "Sato", "email": "sato@example.com"})
    flow = LoginFlowFactory(agent=agent, action=RESUMED_ACTION, action_args={"incident_id": "INC-7"})
    verifier = LoginFlow.objects.get(pk=flow.pk).code_verifier

    assert client.get(f"/oauth/teamviewer/start/{flow.flow_id}/").status_code == 302
    done = client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE})
    assert done.status_code == 200
    # A replay, refused: error paths log too.
    assert client.get(CALLBACK_PATH, {"state": flow.state, "code": AUTH_CODE}).status_code == 400
    expires_at = TeamViewerToken.objects.get(agent=agent).expires_at
    with time_machine.travel(expires_at, tick=False):
        assert access_token_for(agent=agent) == REFRESHED_ACCESS_TOKEN
    token_disconnect(agent=agent)

    assert len(tv.calls) == 4
    return {
        "access token": NEW_ACCESS_TOKEN,
        "refresh token": NEW_REFRESH_TOKEN,
        "refreshed access token": REFRESHED_ACCESS_TOKEN,
        "refreshed refresh token": REFRESHED_REFRESH_TOKEN,
        "client secret": TV_CLIENT_SECRET,
        "authorization code": AUTH_CODE,
        "code verifier": verifier,
    }


def assert_no_secret_in(text: str, secrets: dict[str, str]) -> None:
    leaked = [name for name, value in secrets.items() if value in text]
    assert leaked == [], f"logged: {leaked}"


def test_a_full_login_and_refresh_log_no_secret_with_the_configured_levels(
    client, tv, agent, resumed_calls, configured_logging, caplog
):
    caplog.set_level(logging.DEBUG)

    secrets = full_login_refresh_and_disconnect(client, tv, agent)

    assert_no_secret_in(caplog.text, secrets)
    # The capture did see the flow's own logging (so an empty log cannot pass this test).
    assert f"Forgot the TeamViewer token of agent {agent.pk}: disconnected" in caplog.text


def test_a_full_login_and_refresh_log_no_secret_even_with_every_logger_at_debug(
    client, tv, agent, resumed_calls, every_logger_at_debug, caplog, settings
):
    # DEBUG on makes django.db.backends log every SQL statement with its parameters.
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)

    secrets = full_login_refresh_and_disconnect(client, tv, agent)

    assert_no_secret_in(caplog.text, secrets)
    assert any(record.name == "django.db.backends" for record in caplog.records)
    assert "Forgot the TeamViewer token" in caplog.text


def test_the_configured_logging_keeps_authlib_and_urllib3_above_debug():
    # authlib logs PKCE verifiers and urllib3 full URLs at DEBUG (see settings.LOGGING).
    for name in ("authlib", "urllib3"):
        assert logging.getLevelName(settings.LOGGING["loggers"][name]["level"]) >= logging.INFO


class _TokenEndpoint(BaseHTTPRequestHandler):
    """A real HTTP token endpoint, so urllib3 and authlib run for real (not behind responses)."""

    def do_POST(self):  # the name http.server dispatches to
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(token_body()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def real_token_endpoint(tv, settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenEndpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    tv.add_passthru(base)
    settings.TEAMVIEWER_API_URL = f"{base}/api/v1"
    yield
    server.shutdown()
    server.server_close()


def test_token_calls_over_a_real_connection_log_no_secret_at_debug(
    real_token_endpoint, every_logger_at_debug, caplog
):
    caplog.set_level(logging.DEBUG)
    verifier = "v" * 43 + "-real-connection-verifier"

    teamviewer_app().exchange_code(code=AUTH_CODE, code_verifier=verifier)
    teamviewer_app().refresh_tokens(refresh_token="refresh-token-sent-over-the-wire")

    assert_no_secret_in(
        caplog.text,
        {
            "access token": NEW_ACCESS_TOKEN,
            "refresh token": NEW_REFRESH_TOKEN,
            "sent refresh token": "refresh-token-sent-over-the-wire",
            "client secret": TV_CLIENT_SECRET,
            "authorization code": AUTH_CODE,
            "code verifier": verifier,
        },
    )
    # urllib3 did log the requests at DEBUG (method and path only).
    assert any(record.name.startswith("urllib3") for record in caplog.records)
