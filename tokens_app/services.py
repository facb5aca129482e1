"""Agents' TeamViewer connections and logins: status, disconnect, revoke, and the OAuth login flow.

The tokens themselves (stored, refreshed once per agent, forgotten) are the TeamViewer client's
business: ``teamviewer/tokens.py``, used through ``teamviewer_for(agent)``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from csm_teamviewer.errors import (
    LoginFlowInvalid,
    ServiceError,
    TeamViewerLoginRequired,
    TeamViewerRateLimited,
    TeamViewerUnavailable,
)
from csm_teamviewer.observability import metrics

from . import pending_actions
from .login_result import LoginResult
from .models import LoginFlow, TeamViewerToken
from .teamviewer import TeamViewerAccount, teamviewer_app, teamviewer_for
from .teamviewer.tokens import token_forget, token_store

logger = logging.getLogger(__name__)

# --- tokens -----------------------------------------------------------------------------------


def token_disconnect(*, agent: User) -> None:
    """Revoke the agent's token at TeamViewer (refreshed first if stale, so the refresh token
    dies too) and forget it here.

    The token is forgotten even when TeamViewer cannot be reached: the agent asked to be
    disconnected, and a token we no longer hold cannot be used by this server.
    """
    if not TeamViewerToken.objects.filter(agent=agent).exists():
        return
    try:
        teamviewer_for(agent).revoke()
    except TeamViewerLoginRequired:
        pass  # TeamViewer already refuses both tokens
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
        teamviewer_for(agent).revoke()
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
            access_token = teamviewer_app().refresh_tokens(refresh_token=refresh_token).access_token
        elif stale:
            return True  # expired and not refreshable: TeamViewer already refuses it
        teamviewer_app().revoke_token(access_token=access_token)
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


def token_status(*, agent: User) -> dict[str, Any]:
    """The agent's connection: ``connected``, ``expires_at``, and who it signs in as
    (``account_name``, ``account_email``: None when not connected, or when TeamViewer did not say)."""
    token = TeamViewerToken.objects.filter(agent=agent).first()
    connected = token is not None and (token.can_refresh or not token.is_expired())
    if token is None or not connected:
        return {"connected": False, "expires_at": None, "account_name": None, "account_email": None}
    return {
        "connected": True,
        "expires_at": token.expires_at,
        "account_name": token.account_name or None,
        "account_email": token.account_email or None,
    }


def token_ping(*, agent: User) -> bool:
    """Whether TeamViewer accepts the agent's token (refreshed first if due); the admin's status check.

    Raises ``TeamViewerLoginRequired`` without a usable token, and TeamViewer's typed errors.
    """
    return teamviewer_for(agent).ping()


def tokens_purge_dead(*, now: datetime | None = None) -> int:
    """Delete tokens that are expired and cannot be refreshed (nothing can revive them)."""
    now = now or timezone.now()
    expired = TeamViewerToken.objects.filter(expires_at__lte=now)
    # The refresh token column is randomised ciphertext, so "has none" is only known decrypted.
    dead = [token.pk for token in expired.only("pk", "refresh_token").iterator() if not token.can_refresh]
    # Still expired at delete time: a login completed meanwhile rewrote the row and keeps it.
    deleted, _count = expired.filter(pk__in=dead).delete()
    return deleted


# --- login flows ------------------------------------------------------------------------------


def login_flow_create(
    *, agent: User, action: str = "", args: dict[str, Any] | None = None
) -> LoginFlow:
    """A pending login that, once complete, carries out ``action`` with ``args``."""
    if action and not pending_actions.is_registered(action):
        raise ValueError(f"No pending action named {action!r} is registered.")
    return LoginFlow.objects.create(agent=agent, action=action, action_args=args or {})


def login_required_error(
    *, agent: User, action: str = "", args: dict[str, Any] | None = None
) -> TeamViewerLoginRequired:
    """The 409 to answer with: its ``authorize_url`` starts a login that carries out the action."""
    flow = login_flow_create(agent=agent, action=action, args=args)
    metrics.logins_required.labels(action or "connect").inc()
    return TeamViewerLoginRequired(authorize_url=flow.authorize_url, login_flow=flow.flow_id)


# Flow ids and states are ``secrets.token_urlsafe`` values; anything else is refused before it
# reaches the database (PostgreSQL rejects a NUL in a string parameter with an error, not a miss).
_FLOW_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The OAuth ``error`` parameter is an ASCII code (RFC 6749 §4.1.2.1); keep nothing else of it.
_OAUTH_ERROR = re.compile(r"[a-z0-9_]{1,64}")
# The codes RFC 6749 §4.1.2.1 names (and ours for a callback without one): the failure's label.
OAUTH_ERRORS = frozenset(
    {
        "access_denied",
        "invalid_request",
        "invalid_scope",
        "no_code",
        "server_error",
        "temporarily_unavailable",
        "unauthorized_client",
        "unsupported_response_type",
    }
)


def _require_flow_token(value: str | None) -> str:
    if not value or not _FLOW_TOKEN.fullmatch(value):
        raise LoginFlowInvalid()
    return value


def login_flow_begin(*, flow_id: str, signed_in: User | None = None) -> tuple[LoginFlow, str]:
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
    metrics.logins_started.inc()
    flow = LoginFlow.objects.get(flow_id=flow_id)
    url = teamviewer_app().build_authorize_url(state=flow.state, code_verifier=flow.code_verifier)
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
    """Finish a login: exchange the code, store the tokens, carry out the pending action.

    ``browser_flow_id`` is the flow this browser started (from a signed cookie), so a callback
    URL carried to another browser does nothing.
    """
    flow = _claim_flow(state=state, browser_flow_id=browser_flow_id)
    try:
        token_set = teamviewer_app().exchange_code(code=code, code_verifier=flow.code_verifier)
    except ServiceError as exc:
        _finish(flow, LoginFlow.Status.FAILED, LoginResult.failed(exc))
        metrics.logins_failed.labels(exc.code).inc()
        raise
    token_store(agent=flow.agent, token_set=token_set, account=_account_of(token_set.access_token, flow=flow))
    metrics.logins_completed.inc()
    detail = f"resumes {flow.action}" if flow.action else ""
    audit_record(action=AuditEvent.Action.LOGIN, actor=flow.agent, detail=detail, via="oauth")
    _finish(flow, LoginFlow.Status.COMPLETED, _run_pending_action(flow))
    return flow


def _account_of(access_token: str, *, flow: LoginFlow) -> TeamViewerAccount | None:
    """Who the new token signs in as; None when TeamViewer will not say (an app registered
    without "view account data", or TeamViewer failing): the sign-in stands all the same."""
    try:
        return teamviewer_app().api(access_token).get_account()
    except ServiceError as exc:
        logger.info("Login flow %s: TeamViewer did not give the account (%s).", flow.pk, exc.code)
        return None


def login_flow_deny(*, state: str, browser_flow_id: str | None, error: str) -> LoginFlow:
    """The agent refused (or TeamViewer failed) at the login page: the flow ends here."""
    flow = _claim_flow(state=state, browser_flow_id=browser_flow_id)
    code = error if _OAUTH_ERROR.fullmatch(error) else "teamviewer_error"
    _finish(flow, LoginFlow.Status.FAILED, LoginResult.denied(code=code))
    metrics.logins_failed.labels(code if code in OAUTH_ERRORS else "teamviewer_error").inc()
    return flow


def _run_pending_action(flow: LoginFlow) -> LoginResult:
    if not flow.action:
        return LoginResult.succeeded()
    if not pending_actions.is_registered(flow.action):
        # A flow stored before a deploy that dropped its action: the login itself still counts.
        logger.warning("Login flow %s names no registered action %r.", flow.pk, flow.action)
        return LoginResult.failed(ServiceError(), action=flow.action)
    try:
        answer = pending_actions.run(flow.action, agent=flow.agent, args=flow.action_args)
    except ServiceError as exc:
        logger.info("Pending %s for agent %s failed: %s", flow.action, flow.agent_id, exc.code)
        return LoginResult.failed(exc, action=flow.action)
    return LoginResult.succeeded(action=flow.action, answer=answer)


def _finish(flow: LoginFlow, status: str, result: LoginResult) -> None:
    flow.status, flow.result = status, result.to_json()
    flow.save(update_fields=["status", "result"])


def login_flows_purge(
    *, now: datetime | None = None, keep_finished_for: timedelta = timedelta(days=1)
) -> int:
    """Delete expired logins and finished ones older than ``keep_finished_for``."""
    now = now or timezone.now()
    stale = Q(expires_at__lte=now) & (Q(used_at__isnull=True) | Q(used_at__lte=now - keep_finished_for))
    deleted, _ = LoginFlow.objects.filter(stale).delete()
    return deleted
