"""An agent's stored TeamViewer tokens: kept, forgotten, and refreshed once under concurrency.

Refresh tokens are single-use, so two callers refreshing at once would lose the agent's login:
one caller takes a short lease on the row and refreshes, the others wait for its result. The
lease is a conditional UPDATE, not a transaction held across the network call, and it works the
same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from csm_teamviewer.errors import ServiceError, TeamViewerLoginRequired, TeamViewerUnavailable
from csm_teamviewer.observability.metrics import token_refresh_failures, token_refreshes
from csm_teamviewer.row_sql import fetch_one, joined_instance, row_instance, select_columns, table

from ..models import TeamViewerToken
from .app import teamviewer_app
from .values import TeamViewerAccount, TokenSet

logger = logging.getLogger(__name__)

# How often a caller waiting on another's refresh looks again.
REFRESH_POLL_SECONDS = 0.05


def token_store(
    *, agent: User, token_set: TokenSet, account: TeamViewerAccount | None = None
) -> TeamViewerToken:
    """Keep the agent's new tokens (both of them: the old refresh token is spent), and who they
    sign in as (a new sign-in may be another account: unknown is stored as unknown)."""
    token = TeamViewerToken.objects.filter(agent=agent).first() or TeamViewerToken(agent=agent)
    account = account or TeamViewerAccount()
    token.account_user_id, token.account_name, token.account_email = account.user_id, account.name, account.email
    token.access_token = token_set.access_token
    token.refresh_token = token_set.refresh_token
    token.expires_at = token_set.expires_at
    token.scope = token_set.scope
    token.version += 1
    token.refresh_lease_until = None
    token.save()
    return token


def token_forget(*, agent: User, reason: str) -> None:
    deleted, _count = TeamViewerToken.objects.filter(agent=agent).delete()
    if deleted:
        logger.info("Forgot the TeamViewer token of agent %s: %s", agent.pk, reason)
        _audit_forgotten(agent=agent, reason=reason)


def access_token_for(*, agent: User, refused: str | None = None) -> str:
    """A usable access token for the agent, refreshed first when it is about to expire.

    With ``refused`` (an access token TeamViewer just refused), refresh unless another caller
    already has. Raises ``TeamViewerLoginRequired`` when only a new login will do.
    """
    deadline: float | None = None  # set when this caller first waits on another's refresh
    while True:
        token = _token_of(agent)
        if token is None:
            raise TeamViewerLoginRequired()
        if refused is None and not token.needs_refresh():
            return token.access_token
        if refused is not None and token.access_token != refused:
            return token.access_token
        if not token.can_refresh:
            token_forget(agent=agent, reason="expired and not refreshable")
            raise TeamViewerLoginRequired()
        if _claim_refresh(token):
            return _refresh(token).access_token
        deadline = deadline or time.monotonic() + _refresh_lease().total_seconds() + 1
        if time.monotonic() > deadline:
            raise TeamViewerUnavailable(
                _("A token refresh for this agent is taking too long."), status_code=504
            )
        time.sleep(REFRESH_POLL_SECONDS)


def token_columns(table_alias: str) -> str:
    """The token's columns for a statement that reads an agent's row and joins the token beside
    it (``LEFT JOIN`` on ``agent_id``), so that the agent's next TeamViewer call need not read it."""
    return select_columns(TeamViewerToken, table_alias)


def token_prefetched(agent: User, values: Sequence[Any]) -> None:
    """Keep the token read with ``token_columns`` (all NULL: the agent has none) on the agent for
    its next TeamViewer call."""
    agent.__dict__[_PREFETCHED] = joined_instance(TeamViewerToken, values)


# Not Django's cache of the one-to-one, which keeps whatever token object was last attached
# to the agent in memory: this one holds only a read made for the coming call.
_PREFETCHED = "_teamviewer_token_prefetched"
_NOT_READ = object()


def _token_of(agent: User) -> TeamViewerToken | None:
    """The agent's token: the one read with the agent, once; else (a second read, after waiting
    on another's refresh or a refusal, wants what is there now) from the database."""
    prefetched = agent.__dict__.pop(_PREFETCHED, _NOT_READ)
    if prefetched is not _NOT_READ:
        return cast(TeamViewerToken | None, prefetched)
    # A written-out statement costs less CPU than compiling the ORM's query (the fields are
    # still converted, and decrypted, by the model's).
    sql = f"SELECT {select_columns(TeamViewerToken, 't')} FROM {table(TeamViewerToken)} t WHERE t.agent_id = %s"  # noqa: S608 - the value is a parameter
    row = fetch_one(sql, [agent.pk])
    return None if row is None else row_instance(TeamViewerToken, row)


def _refresh_lease() -> timedelta:
    # Long enough to cover one refresh call at its full timeout.
    return timedelta(seconds=sum(settings.TEAMVIEWER_TIMEOUT) + 5)


def _claim_refresh(token: TeamViewerToken) -> bool:
    now = timezone.now()
    claimed = (
        TeamViewerToken.objects.filter(pk=token.pk, version=token.version)
        .filter(Q(refresh_lease_until__isnull=True) | Q(refresh_lease_until__lt=now))
        .update(refresh_lease_until=now + _refresh_lease())
    )
    return claimed == 1


def _refresh(token: TeamViewerToken) -> TokenSet:
    """Refresh under a lease this caller holds; save both new tokens or forget a refused one."""
    current = TeamViewerToken.objects.filter(pk=token.pk, version=token.version)
    try:
        token_set = teamviewer_app().refresh_tokens(refresh_token=token.refresh_token)
    except TeamViewerLoginRequired:
        token_refresh_failures.labels("refused").inc()
        current.delete()
        logger.info("TeamViewer refused the refresh for agent %s; a new login is needed.", token.agent_id)
        _audit_forgotten(agent=token.agent, reason="refresh refused")
        raise
    except ServiceError as exc:
        token_refresh_failures.labels(exc.code).inc()
        current.update(refresh_lease_until=None)
        raise
    token_refreshes.inc()
    current.update(
        access_token=token_set.access_token,
        refresh_token=token_set.refresh_token or token.refresh_token,
        expires_at=token_set.expires_at,
        scope=token_set.scope or token.scope,
        version=token.version + 1,
        refresh_lease_until=None,
        updated_at=timezone.now(),
    )
    return token_set


def _audit_forgotten(*, agent: User, reason: str) -> None:
    # "disconnected" is the agent's own choice; other reasons are TeamViewer refusing the token.
    outcome = "ok" if reason == "disconnected" else "token_forgotten"
    audit_record(action=AuditEvent.Action.DISCONNECT, actor=agent, outcome=outcome, detail=reason)
