"""Agents' TeamViewer tokens and logins: store, refresh, forget, and the OAuth login flow.

Refresh tokens are single-use, so two callers refreshing at once would lose the agent's login:
one caller takes a short lease on the row and refreshes, the others wait for its result. The
lease is a conditional UPDATE, not a transaction held across the network call, and it works the
same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.errors import (
    LoginFlowInvalid,
    ServiceError,
    TeamViewerLoginRequired,
    TeamViewerRateLimited,
    TeamViewerUnavailable,
)

from . import resume, signals
from .client import TokenSet, get_client
from .models import LoginFlow, TeamViewerToken

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How often a caller waiting on another's refresh looks again.
REFRESH_POLL_SECONDS = 0.05


def _refresh_lease() -> timedelta:
    # Long enough to cover one refresh call at its full timeout.
    return timedelta(seconds=sum(settings.TEAMVIEWER_TIMEOUT) + 5)


# --- tokens -----------------------------------------------------------------------------------


def token_store(*, agent: AbstractBaseUser, token_set: TokenSet) -> TeamViewerToken:
    """Keep the agent's new tokens (both of them: the old refresh token is spent)."""
    token = TeamViewerToken.objects.filter(agent=agent).first() or TeamViewerToken(agent=agent)
    token.access_token = token_set.access_token
    token.refresh_token = token_set.refresh_token
    token.expires_at = token_set.expires_at
    token.scope = token_set.scope
    token.version += 1
    token.refresh_lease_until = None
    token.save()
    return token


def token_forget(*, agent: AbstractBaseUser, reason: str) -> None:
    deleted, _ = TeamViewerToken.objects.filter(agent=agent).delete()
    if deleted:
        logger.info("Forgot the TeamViewer token of agent %s: %s", agent.pk, reason)
        signals.token_forgotten.send(sender=TeamViewerToken, agent=agent, reason=reason)


def token_disconnect(*, agent: AbstractBaseUser) -> None:
    """Revoke the agent's token at TeamViewer and forget it here.

    The token is forgotten even when TeamViewer cannot be reached: the agent asked to be
    disconnected, and a token we no longer hold cannot be used by this server.
    """
    token = TeamViewerToken.objects.filter(agent=agent).first()
    if token is None:
        return
    try:
        get_client().revoke_token(access_token=token.access_token)
    except (TeamViewerUnavailable, TeamViewerRateLimited) as exc:
        logger.warning(
            "Could not revoke agent %s's token at TeamViewer (%s); forgetting it here.", agent.pk, exc.code
        )
    token_forget(agent=agent, reason="disconnected")


def token_revoke_if_inactive(*, agent_id: int) -> bool:
    """A deactivated agent's token: revoked at TeamViewer (refreshed first if its access token
    is stale, so the refresh token dies too) and forgotten. True when nothing is left to do.

    While TeamViewer cannot be reached the token is kept for ``tokens_revoke_inactive`` to try
    again: forgetting it here would leave it valid at TeamViewer until it expires.
    """
    token = TeamViewerToken.objects.select_related("agent").filter(agent_id=agent_id).first()
    if token is None or token.agent.is_active:
        return True
    agent = token.agent
    try:
        with_access_token(agent=agent, call=lambda access: get_client().revoke_token(access_token=access))
    except TeamViewerLoginRequired:
        pass  # TeamViewer already refuses both tokens (and the refresh forgot them)
    except ServiceError as exc:
        logger.warning("Deactivated agent %s: revoke failed (%s); will try again.", agent_id, exc.code)
        return False
    token_forget(agent=agent, reason="agent deactivated")
    return True


def token_revoke_detached(*, agent_id: int, access_token: str, refresh_token: str, stale: bool) -> bool:
    """Revoke at TeamViewer tokens no row holds any more (their agent was deleted). True when done.

    The values were read before the delete. A stale access token is refreshed first, so the
    revoke kills the refresh token too. There is no row left to retry from: a failure is logged
    (no token in it) and the refresh token stays valid at TeamViewer until it lapses.
    """
    try:
        if stale and refresh_token:
            access_token = get_client().refresh_tokens(refresh_token=refresh_token).access_token
        elif stale:
            return True  # expired and not refreshable: TeamViewer already refuses it
        get_client().revoke_token(access_token=access_token)
    except TeamViewerLoginRequired:
        return True  # TeamViewer already refuses it
    except ServiceError as exc:
        logger.warning("Deleted agent %s: revoke at TeamViewer failed (%s).", agent_id, exc.code)
        return False
    return True


def tokens_revoke_inactive(*, limit: int = 100) -> int:
    """For the cleanup: revoke and forget tokens still held for deactivated agents (a revoke
    that failed, or agents deactivated by a bulk update, which sends no signal)."""
    held = TeamViewerToken.objects.filter(agent__is_active=False).values_list("agent_id", flat=True)
    return sum(token_revoke_if_inactive(agent_id=agent_id) for agent_id in list(held[:limit]))


def token_status(*, agent: AbstractBaseUser) -> dict[str, Any]:
    token = TeamViewerToken.objects.filter(agent=agent).first()
    if token is None:
        return {"connected": False, "expires_at": None}
    connected = token.can_refresh or not token.is_expired()
    return {"connected": connected, "expires_at": token.expires_at if connected else None}


def token_ping(*, agent: AbstractBaseUser) -> bool:
    """Whether TeamViewer accepts the agent's token (refreshed first if due); the admin's status check.

    Raises ``TeamViewerLoginRequired`` without a usable token, and TeamViewer's typed errors.
    """
    return with_access_token(
        agent=agent, call=lambda access_token: get_client().ping(access_token=access_token)
    )


def token_access(*, agent: AbstractBaseUser, stale_access_token: str | None = None) -> str:
    """A usable access token for the agent, refreshed first when it is about to expire.

    With ``stale_access_token`` (one TeamViewer just refused), refresh unless another caller
    already has. Raises ``TeamViewerLoginRequired`` when only a new login will do.
    """
    deadline = time.monotonic() + _refresh_lease().total_seconds() + 1
    while True:
        token = TeamViewerToken.objects.filter(agent=agent).first()
        if token is None:
            raise TeamViewerLoginRequired()
        if stale_access_token is None and not token.needs_refresh():
            return token.access_token
        if stale_access_token is not None and token.access_token != stale_access_token:
            return token.access_token
        if not token.can_refresh:
            token_forget(agent=agent, reason="expired and not refreshable")
            raise TeamViewerLoginRequired()
        if _claim_refresh(token):
            return _refresh(token).access_token
        if time.monotonic() > deadline:
            raise TeamViewerUnavailable(
                _("A token refresh for this agent is taking too long."), status_code=504
            )
        time.sleep(REFRESH_POLL_SECONDS)


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
        token_set = get_client().refresh_tokens(refresh_token=token.refresh_token)
    except TeamViewerLoginRequired:
        current.delete()
        logger.info("TeamViewer refused the refresh for agent %s; a new login is needed.", token.agent_id)
        signals.token_forgotten.send(sender=TeamViewerToken, agent=token.agent, reason="refresh refused")
        raise
    except ServiceError:
        current.update(refresh_lease_until=None)
        raise
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


def with_access_token(*, agent: AbstractBaseUser, call: Callable[[str], T]) -> T:
    """Run ``call(access_token)``; if TeamViewer refuses the token, refresh once and retry.

    A second refusal (or a refused refresh) forgets the token and raises "login required".
    """
    access_token = token_access(agent=agent)
    try:
        return call(access_token)
    except TeamViewerLoginRequired:
        pass
    fresh_token = token_access(agent=agent, stale_access_token=access_token)
    try:
        return call(fresh_token)
    except TeamViewerLoginRequired:
        token_forget(agent=agent, reason="refused by TeamViewer")
        raise


def tokens_purge_dead(*, now: datetime | None = None) -> int:
    """Delete tokens that are expired and cannot be refreshed (nothing can revive them)."""
    now = now or timezone.now()
    expired = TeamViewerToken.objects.filter(expires_at__lte=now)
    # The refresh token column is randomised ciphertext, so "has none" is only known decrypted.
    dead = [token.pk for token in expired.only("pk", "refresh_token").iterator() if not token.can_refresh]
    # Still expired at delete time: a login completed meanwhile rewrote the row and keeps it.
    deleted, _ = expired.filter(pk__in=dead).delete()
    return deleted


# --- login flows ------------------------------------------------------------------------------


def login_flow_create(
    *, agent: AbstractBaseUser, action: str = "", args: dict[str, Any] | None = None
) -> LoginFlow:
    """A pending login that, once complete, resumes ``action`` with ``args``."""
    if action and not resume.is_registered(action):
        raise ValueError(f"No resumable action named {action!r} is registered.")
    return LoginFlow.objects.create(agent=agent, action=action, action_args=args or {})


def login_required_error(
    *, agent: AbstractBaseUser, action: str = "", args: dict[str, Any] | None = None
) -> TeamViewerLoginRequired:
    """The 409 to answer with: its ``authorize_url`` starts a login that resumes the action."""
    flow = login_flow_create(agent=agent, action=action, args=args)
    return TeamViewerLoginRequired(authorize_url=flow.authorize_url, login_flow=flow.flow_id)


# Flow ids and states are ``secrets.token_urlsafe`` values; anything else is refused before it
# reaches the database (PostgreSQL rejects a NUL in a string parameter with an error, not a miss).
_FLOW_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The OAuth ``error`` parameter is an ASCII code (RFC 6749 §4.1.2.1); keep nothing else of it.
_OAUTH_ERROR = re.compile(r"[a-z0-9_]{1,64}")


def _require_flow_token(value: str | None) -> str:
    if not value or not _FLOW_TOKEN.fullmatch(value):
        raise LoginFlowInvalid()
    return value


def login_flow_begin(*, flow_id: str, signed_in: AbstractBaseUser | None = None) -> tuple[LoginFlow, str]:
    """Mark the flow as sent to TeamViewer (once only) and give TeamViewer's login URL.

    ``signed_in`` is whoever this browser is signed in to this server as, if anyone: a link
    that reached another agent's browser is refused (and stays usable by its own agent), or
    that agent's TeamViewer account would receive this agent's sessions.
    """
    _require_flow_token(flow_id)
    now = timezone.now()
    flows = LoginFlow.objects.filter(flow_id=flow_id, status=LoginFlow.Status.PENDING, expires_at__gt=now)
    if signed_in is not None:
        flows = flows.filter(agent=signed_in)
    begun = flows.update(status=LoginFlow.Status.STARTED, started_at=now)
    if begun != 1:
        raise LoginFlowInvalid()
    flow = LoginFlow.objects.get(flow_id=flow_id)
    url = get_client().build_authorize_url(state=flow.state, code_verifier=flow.code_verifier)
    return flow, url


def _claim_flow(*, state: str, browser_flow_id: str | None) -> LoginFlow:
    """Take the flow for this state, once: unknown, used, expired or foreign states are refused."""
    _require_flow_token(state)
    _require_flow_token(browser_flow_id)
    now = timezone.now()
    claimed = LoginFlow.objects.filter(
        state=state,
        flow_id=browser_flow_id,
        status=LoginFlow.Status.STARTED,
        used_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now)
    if claimed != 1:
        raise LoginFlowInvalid()
    return LoginFlow.objects.select_related("agent").get(state=state)


def login_flow_complete(*, state: str, code: str, browser_flow_id: str | None) -> LoginFlow:
    """Finish a login: exchange the code, store the tokens, resume the pending action.

    ``browser_flow_id`` is the flow this browser started (from a signed cookie), so a callback
    URL carried to another browser does nothing.
    """
    flow = _claim_flow(state=state, browser_flow_id=browser_flow_id)
    try:
        token_set = get_client().exchange_code(code=code, code_verifier=flow.code_verifier)
    except ServiceError as exc:
        _finish(flow, LoginFlow.Status.FAILED, {"ok": False, "code": exc.code, "detail": exc.detail})
        raise
    token_store(agent=flow.agent, token_set=token_set)
    signals.login_completed.send(sender=LoginFlow, agent=flow.agent, flow=flow)
    _finish(flow, LoginFlow.Status.COMPLETED, _resume(flow))
    return flow


def login_flow_deny(*, state: str, browser_flow_id: str | None, error: str) -> LoginFlow:
    """The agent refused (or TeamViewer failed) at the login page: the flow ends here."""
    flow = _claim_flow(state=state, browser_flow_id=browser_flow_id)
    code = error if _OAUTH_ERROR.fullmatch(error) else "teamviewer_error"
    _finish(flow, LoginFlow.Status.FAILED, {"ok": False, "code": code, "detail": ""})
    return flow


def _resume(flow: LoginFlow) -> dict[str, Any]:
    if not flow.action:
        return {"ok": True}
    if not resume.is_registered(flow.action):
        # A flow stored before a deploy that dropped its action: the login itself still counts.
        logger.warning("Login flow %s names no registered action %r.", flow.pk, flow.action)
        return {
            "ok": False,
            "action": flow.action,
            "code": "error",
            "detail": str(ServiceError.default_detail),
        }
    try:
        result = resume.run(flow.action, agent=flow.agent, args=flow.action_args)
    except ServiceError as exc:
        logger.info("Resumed %s for agent %s failed: %s", flow.action, flow.agent_id, exc.code)
        return {"ok": False, "action": flow.action, **exc.body()}
    return {"ok": True, "action": flow.action, **result}


def _finish(flow: LoginFlow, status: str, result: dict[str, Any]) -> None:
    flow.status, flow.result = status, result
    flow.save(update_fields=["status", "result"])


def login_flows_purge(
    *, now: datetime | None = None, keep_finished_for: timedelta = timedelta(days=1)
) -> int:
    """Delete expired logins and finished ones older than ``keep_finished_for``."""
    now = now or timezone.now()
    stale = Q(expires_at__lte=now) & (Q(used_at__isnull=True) | Q(used_at__lte=now - keep_finished_for))
    deleted, _ = LoginFlow.objects.filter(stale).delete()
    return deleted
