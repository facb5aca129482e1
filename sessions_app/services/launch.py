"""One-time launch links: CSM asks for one, the agent's browser spends it to sign in.

A link is single use (spent by one conditional UPDATE, so two tabs racing for it cannot both
win), short-lived (``LAUNCH_LINK_LIFETIME_SECONDS``) and unguessable (256 random bits). Only the
SHA-256 digest of its token is stored, like API keys: the database alone cannot sign anyone in.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from csm_teamviewer.errors import Invalid, ServiceError

from ..models import LaunchLink

# secrets.token_urlsafe(32) is always 43 characters from this alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class LaunchLinkInvalid(ServiceError):
    """Unknown, already used, or expired: the agent opens the tab from CSM again."""

    code = "launch_link_invalid"
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _(
        "This link has already been used or has expired. Open the TeamViewer tab from the incident again."
    )


class LaunchForStaffRefused(ServiceError):
    """A launch link signs its holder in; for a staff account that would open Django admin."""

    code = "staff_launch_refused"
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _(
        "Launch links are not given for staff or superuser accounts: sign in to this server with "
        "the account's password instead."
    )


def _may_launch(agent: User) -> bool:
    # An API key may name any login in X-CSM-User; a link for a staff login would turn the key
    # into a Django admin session.
    return agent.is_active and not (agent.is_staff or agent.is_superuser)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def launch_link_create(
    *, agent: User, incident_id: str, requester_name: str = "", requester_email: str = "", via: str = "api"
) -> str:
    """A new link for ``agent`` on ``incident_id``; the URL is the only place the token exists.

    Audited (issued, and later used): a link signs its holder in, so who got one matters.
    """
    _require_page_for(incident_id)
    if not _may_launch(agent):
        raise LaunchForStaffRefused()
    token = secrets.token_urlsafe(32)
    LaunchLink.objects.create(
        digest=_digest(token),
        agent=agent,
        incident_id=incident_id,
        requester_name=requester_name,
        requester_email=requester_email,
        expires_at=timezone.now() + timedelta(seconds=settings.LAUNCH_LINK_LIFETIME_SECONDS),
    )
    audit_record(action=AuditEvent.Action.LAUNCH_ISSUED, actor=agent, incident_id=incident_id, via=via)
    return settings.PUBLIC_BASE_URL + reverse("incidents:launch", args=[token])


def _require_page_for(incident_id: str) -> None:
    # The link leads to /incidents/<incident_id>/: an id that cannot be one path segment has no
    # page ("." and ".." would be resolved away by the browser).
    try:
        reverse("incidents:page", args=[incident_id])
    except NoReverseMatch:
        incident_id = "."
    if incident_id in (".", ".."):
        raise Invalid(errors={"incident_id": [str(_("This incident id cannot be shown on the incident page."))]})


def launch_link_redeem(*, token: str) -> LaunchLink:
    """Spend the link (once); raises ``LaunchLinkInvalid`` for unknown, used or expired ones."""
    if not _TOKEN.fullmatch(token or ""):
        raise LaunchLinkInvalid()
    now = timezone.now()
    digest = _digest(token)
    spent = LaunchLink.objects.filter(digest=digest, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if spent != 1:
        raise LaunchLinkInvalid()
    link = LaunchLink.objects.select_related("agent").get(digest=digest)
    if not _may_launch(link.agent):  # deactivated, or made staff, since the link was made
        raise LaunchLinkInvalid()
    audit_record(action=AuditEvent.Action.LAUNCH_USED, actor=link.agent, incident_id=link.incident_id, via="page")
    return link


def launch_links_purge(*, now: datetime | None = None, keep_used_for: timedelta = timedelta(days=1)) -> int:
    """Delete expired links and used ones older than ``keep_used_for`` (for the cleanup)."""
    now = now or timezone.now()
    stale = Q(expires_at__lte=now) & (Q(used_at__isnull=True) | Q(used_at__lte=now - keep_used_for))
    deleted, _count = LaunchLink.objects.filter(stale).delete()
    return deleted
