"""The mApp's *TeamViewer Token* business object and its pending logins.

The mApp keeps one login's state and PKCE verifier in global stored values, so two agents
logging in at once overwrite each other. Here every pending login is a row of its own.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.crypto import EncryptedJSONField, EncryptedTextField


class TeamViewerToken(models.Model):
    """One agent's TeamViewer OAuth tokens, encrypted at rest."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teamviewer_token"
    )
    access_token = EncryptedTextField()
    refresh_token = EncryptedTextField(blank=True, default="")
    expires_at = models.DateTimeField()
    scope = models.CharField(max_length=500, blank=True, default="")
    # Who the token signs in as at TeamViewer (``GET /account`` after each sign-in); blank when
    # TeamViewer would not say (the sign-in still counts: the account is simply unknown).
    account_user_id = models.CharField(_("TeamViewer user id"), max_length=32, blank=True, default="")
    account_name = models.CharField(_("TeamViewer account name"), max_length=200, blank=True, default="")
    account_email = models.CharField(_("TeamViewer account email"), max_length=254, blank=True, default="")
    # Bumped on every store: a refresh only writes over the tokens it started from.
    version = models.PositiveIntegerField(default=0)
    # While set and in the future, one caller is refreshing; the others wait for its result.
    refresh_lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("TeamViewer connection")
        verbose_name_plural = _("TeamViewer connections")

    def __str__(self) -> str:
        return f"TeamViewer connection of {self.agent}"

    def is_expired(self, *, margin: timedelta = timedelta(0)) -> bool:
        return self.expires_at <= timezone.now() + margin

    def needs_refresh(self) -> bool:
        return self.is_expired(margin=timedelta(seconds=settings.TEAMVIEWER_REFRESH_MARGIN_SECONDS))

    @property
    def can_refresh(self) -> bool:
        return bool(self.refresh_token)


def _new_flow_id() -> str:
    return secrets.token_urlsafe(24)


def _new_state() -> str:
    return secrets.token_urlsafe(32)


def _new_code_verifier() -> str:
    # RFC 7636: 43-128 characters from the unreserved set; 64 random bytes give 86.
    return secrets.token_urlsafe(64)


def _flow_expiry() -> datetime:
    return timezone.now() + timedelta(seconds=settings.LOGIN_FLOW_LIFETIME_SECONDS)


class LoginFlow(models.Model):
    """One pending TeamViewer login: its state, PKCE verifier, and the action it carries out."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        STARTED = "started", _("Sent to TeamViewer")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    flow_id = models.CharField(max_length=64, unique=True, default=_new_flow_id, editable=False)
    state = models.CharField(max_length=64, unique=True, default=_new_state, editable=False)
    code_verifier = EncryptedTextField(default=_new_code_verifier, editable=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teamviewer_login_flows"
    )
    action = models.CharField(max_length=64, blank=True, default="")
    action_args = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # The finished login's ``LoginResult`` as JSON (login_result.py), for the page to show.
    # Encrypted: a carried-out create's answer holds the session's supporter link.
    result = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=_flow_expiry)
    started_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("TeamViewer login")
        verbose_name_plural = _("TeamViewer logins")
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"TeamViewer login of {self.agent} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def authorize_url(self) -> str:
        """The one-time link on this server that starts the login (given to CSM and the page)."""
        return f"{settings.PUBLIC_BASE_URL}/oauth/teamviewer/start/{self.flow_id}/"


class CsmToken(models.Model):
    """The integration account's CSM token: one row, encrypted at rest, shared by every process.

    CSM may refuse simultaneous logins of one user and each login takes a licence, so all
    processes use this one token; a short lease on the row lets one caller log in or refresh
    while the others wait for its result (``tokens_app/csm/tokens.py``).
    """

    SINGLETON_ID = 1

    # A digest of the API URL, client key, user and auth mode the token was issued for: a
    # changed setting makes the stored token someone else's, and a new login is made.
    account = models.CharField(max_length=64, blank=True, default="")
    access_token = EncryptedTextField(blank=True, default="")
    refresh_token = EncryptedTextField(blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    logins = models.PositiveIntegerField(default=0)
    refreshes = models.PositiveIntegerField(default=0)
    logged_in_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("CSM sign-in")
        verbose_name_plural = _("CSM sign-in")

    def __str__(self) -> str:
        return "CSM sign-in"

    def __repr__(self) -> str:
        # Never the tokens.
        return f"<CsmToken version={self.version} expires_at={self.expires_at}>"

    def is_usable_for(self, account: str, *, margin: timedelta) -> bool:
        """True when the access token is this account's and outlives ``margin``."""
        if self.account != account or not self.access_token or self.expires_at is None:
            return False
        return self.expires_at > timezone.now() + margin

    def can_refresh_for(self, account: str) -> bool:
        return self.account == account and bool(self.refresh_token)
