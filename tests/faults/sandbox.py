"""The TeamViewer sandbox as the fault tests and the load test use it: agents with tokens, records.

Agents are given a token straight away (the sandbox's digest and our encrypted copy), as if each
had signed in once, so that a test starts with the fault and not with the login.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from csm_teamviewer.sandbox.models import Session as SandboxSession
from csm_teamviewer.sandbox.models import Token as SandboxToken
from csm_teamviewer.sandbox.oauth import hash_secret
from tokens_app.models import TeamViewerToken

SANDBOX = "/sandbox/teamviewer"
CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"


def sandbox_settings(base_url: str) -> dict[str, object]:
    """Settings that point this server's TeamViewer client at the sandbox served at ``base_url``."""
    return {
        "PUBLIC_BASE_URL": base_url,
        "TEAMVIEWER_API_URL": f"{base_url}{SANDBOX}/api/v1",
        "TEAMVIEWER_AUTHORIZE_URL": f"{base_url}{SANDBOX}/oauth2/authorize",
        "TEAMVIEWER_REDIRECT_URI": f"{base_url}/oauth/teamviewer/callback/",
        "TEAMVIEWER_CLIENT_ID": CLIENT_ID,
        "TEAMVIEWER_CLIENT_SECRET": CLIENT_SECRET,
        "SANDBOX_LATENCY_SECONDS": 0,
    }


def agent_with_token(username: str):
    """The agent (made if new) holding a fresh sandbox token, as after one sign-in."""
    agent, _ = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.test"}
    )
    access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    expires_at = timezone.now() + timedelta(days=1)
    SandboxToken.objects.create(
        access_hash=hash_secret(access),
        refresh_hash=hash_secret(refresh),
        client_id=CLIENT_ID,
        email=agent.email,
        access_expires_at=expires_at,
    )
    TeamViewerToken.objects.update_or_create(
        agent=agent, defaults={"access_token": access, "refresh_token": refresh, "expires_at": expires_at}
    )
    return agent


def incident_of(remote: SandboxSession) -> str:
    """The incident named by our marker in the sandbox session's ``custom_api`` ("" if none)."""
    try:
        return str(json.loads(remote.custom_api)["incident_id"])
    except (ValueError, KeyError, TypeError):
        return ""


def open_at_sandbox(agent, incident_id: str | None = None) -> list[SandboxSession]:
    """The agent's open sessions at the sandbox (of one incident, when given)."""
    sessions = SandboxSession.objects.filter(owner_email=agent.email, state=SandboxSession.State.OPEN)
    return [item for item in sessions if incident_id is None or incident_of(item) == incident_id]
