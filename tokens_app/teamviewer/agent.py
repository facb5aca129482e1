"""TeamViewer acting for one agent: ``teamviewer_for(agent).close_session(code)``.

The caller makes plain calls; the agent's token is kept fresh inside: refreshed before it
expires (``TEAMVIEWER_REFRESH_MARGIN_SECONDS``), refreshed once per agent however many callers
meet it at once, and, when TeamViewer refuses it, refreshed and tried once more. A second
refusal, or a refused refresh, forgets the token and raises ``TeamViewerLoginRequired``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.contrib.auth.models import User

from csm_teamviewer.errors import TeamViewerLoginRequired

from .api import AuthorizedApi
from .app import teamviewer_app
from .tokens import access_token_for, token_forget
from .values import ConnectionReport, RemoteSession

T = TypeVar("T")


@dataclass(frozen=True)
class AgentTeamViewer:
    agent: User

    def create_session(
        self,
        *,
        description: str,
        end_customer_name: str,
        end_customer_email: str,
        valid_until: datetime | None,
        custom_api: str,
    ) -> RemoteSession:
        """A new session code. A refused token is retried: TeamViewer made nothing then."""
        return self._retrying(
            AuthorizedApi.create_session,
            description=description,
            end_customer_name=end_customer_name,
            end_customer_email=end_customer_email,
            valid_until=valid_until,
            custom_api=custom_api,
        )

    def get_session(self, code: str) -> RemoteSession:
        return self._retrying(AuthorizedApi.get_session, code)

    def close_session(self, code: str) -> None:
        self._retrying(AuthorizedApi.close_session, code)

    def iter_sessions(self, state: str = "open") -> Iterator[RemoteSession]:
        """The agent's sessions in ``state``; every page is read first, so a refused token
        retries the whole listing rather than leaving half of it read."""
        return iter(self._retrying(_all_sessions, state))

    def connection_reports(self, code: str) -> list[ConnectionReport]:
        return self._retrying(AuthorizedApi.connection_reports, code)

    def ping(self) -> bool:
        """Whether TeamViewer accepts the agent's token (refreshed first if due)."""
        return self._retrying(AuthorizedApi.ping)

    def revoke(self) -> None:
        """Revoke the agent's token at TeamViewer, refreshed first if stale so the refresh
        token dies too. The token is kept here: forgetting it is the caller's decision."""
        self._retrying(AuthorizedApi.revoke_token)

    # For callers that make the HTTP calls elsewhere (the cleanup's threads): the token is
    # resolved here, on the calling thread, and the ``AuthorizedApi`` only speaks HTTP.

    def authorized(self) -> AuthorizedApi:
        """The API with the agent's access token, refreshed first if due."""
        return teamviewer_app().api(access_token_for(agent=self.agent))

    def reauthorized(self, refused: AuthorizedApi) -> AuthorizedApi:
        """After TeamViewer refused ``refused``'s token: a refreshed one (once per agent)."""
        return teamviewer_app().api(access_token_for(agent=self.agent, refused=refused.access_token))

    def forget_refused(self) -> None:
        """TeamViewer refused the refreshed token too: only a new login will do."""
        token_forget(agent=self.agent, reason="refused by TeamViewer")

    def _retrying(self, call: Callable[..., T], *args: object, **kwargs: object) -> T:
        api = self.authorized()
        try:
            return call(api, *args, **kwargs)
        except TeamViewerLoginRequired:
            pass
        api = self.reauthorized(api)
        try:
            return call(api, *args, **kwargs)
        except TeamViewerLoginRequired:
            self.forget_refused()
            raise


def _all_sessions(api: AuthorizedApi, state: str) -> list[RemoteSession]:
    return list(api.iter_sessions(state=state))


def teamviewer_for(agent: User) -> AgentTeamViewer:
    """TeamViewer as ``agent``: the sessions it makes belong to the agent's account."""
    return AgentTeamViewer(agent)
