"""The one TeamViewer Web API client.

- ``values``: what TeamViewer answers, typed (tokens, sessions, connection reports).
- ``http``: the only module that speaks HTTP to TeamViewer; timeouts, safe retries, typed errors.
- ``api``: one method per Web API endpoint, with a given access token.
- ``app``: the calls that act for no agent (login URL, code exchange, refresh, revoke).
- ``tokens``: an agent's stored tokens, refreshed once per agent under a lease.
- ``agent``: ``teamviewer_for(agent)``, the client services use.
"""

from .agent import AgentTeamViewer, teamviewer_for
from .api import AuthorizedApi
from .app import TeamViewerApp, teamviewer_app
from .values import ConnectionReport, RemoteSession, SessionPage, TeamViewerAccount, TokenSet

__all__ = [
    "AgentTeamViewer",
    "AuthorizedApi",
    "ConnectionReport",
    "RemoteSession",
    "SessionPage",
    "TeamViewerAccount",
    "TeamViewerApp",
    "TokenSet",
    "teamviewer_app",
    "teamviewer_for",
]
