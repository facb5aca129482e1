"""TeamViewer as this server's OAuth app: the calls that act for no agent.

The login's authorize URL and code exchange, a refresh, and the revoke of tokens no agent holds
any more. Calls for an agent go through ``teamviewer_for(agent)`` (``agent.py``), which keeps
the agent's token fresh.
"""

from __future__ import annotations

import threading

from django.conf import settings

from .api import AuthorizedApi
from .http import TeamViewerHttp
from .values import TokenSet


class TeamViewerApp:
    def __init__(
        self,
        *,
        api_url: str,
        authorize_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        session_group: str,
        timeout: tuple[float, float],
    ) -> None:
        self.http = TeamViewerHttp(
            api_url=api_url,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            timeout=timeout,
        )
        self.authorize_endpoint = authorize_url
        self.session_group = session_group

    def __repr__(self) -> str:
        return f"TeamViewerApp({self.http!r})"

    def api(self, access_token: str) -> AuthorizedApi:
        """The Web API calls made with ``access_token`` as it is (no refresh)."""
        return AuthorizedApi(http=self.http, access_token=access_token, session_group=self.session_group)

    def build_authorize_url(self, *, state: str, code_verifier: str) -> str:
        return self.http.authorize_url(self.authorize_endpoint, state=state, code_verifier=code_verifier)

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code (with its PKCE verifier) for tokens."""
        return TokenSet.from_token_response(self.http.fetch_token(code=code, code_verifier=code_verifier))

    def refresh_tokens(self, *, refresh_token: str) -> TokenSet:
        """A new access token and a new refresh token; the old refresh token is spent."""
        return TokenSet.from_token_response(self.http.refresh_token(refresh_token=refresh_token))

    def revoke_token(self, *, access_token: str) -> None:
        """Revoke the token (and so its refresh token). Already invalid counts as done."""
        self.api(access_token).revoke_token()


_local = threading.local()


def teamviewer_app() -> TeamViewerApp:
    """The app-level client built from settings, one per thread (its connection pool is reused)."""
    key = (
        settings.TEAMVIEWER_API_URL,
        settings.TEAMVIEWER_AUTHORIZE_URL,
        settings.TEAMVIEWER_CLIENT_ID,
        settings.TEAMVIEWER_CLIENT_SECRET,
        settings.TEAMVIEWER_REDIRECT_URI,
        settings.TEAMVIEWER_SESSION_GROUP,
        tuple(settings.TEAMVIEWER_TIMEOUT),
    )
    app = getattr(_local, "app", None)
    if app is None or getattr(_local, "key", None) != key:
        api_url, authorize_url, client_id, client_secret, redirect_uri, session_group, timeout = key
        app = TeamViewerApp(
            api_url=api_url,
            authorize_url=authorize_url,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            session_group=session_group,
            timeout=timeout,
        )
        _local.app, _local.key = app, key
    return app
