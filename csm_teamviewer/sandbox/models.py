"""The sandbox's state, in the database so that every process (web, worker) sees the same.

Authorization codes and tokens are kept only as SHA-256 hex digests: a copy of this database
never holds a usable credential.
"""
from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from csm_teamviewer.fault_injection import FaultBase


class AuthorizationCode(models.Model):
    """One grant from the login page: single use, short-lived, bound to its request."""

    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=200)
    redirect_uri = models.CharField(max_length=2000)
    # Empty when the client sent no PKCE challenge (only S256 is ever stored).
    code_challenge = models.CharField(max_length=128, blank=True, default="")
    email = models.CharField(max_length=254)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"code for {self.email}"

    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class Token(models.Model):
    """An access token and the refresh token issued with it."""

    access_hash = models.CharField(max_length=64, unique=True)
    refresh_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=200)
    email = models.CharField(max_length=254)
    # Kept through every refresh, so that replaying the code revokes the whole family.
    code = models.ForeignKey(
        AuthorizationCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="tokens"
    )
    access_expires_at = models.DateTimeField()
    refresh_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token for {self.email}"

    def is_expired(self) -> bool:
        return self.access_expires_at <= timezone.now()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Session(models.Model):
    """A service-case session code such as ``s12-345-678``."""

    class State(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    code = models.CharField(max_length=16, unique=True)
    owner_email = models.CharField(max_length=254, db_index=True)
    groupid = models.CharField(max_length=32, db_index=True)
    groupname = models.CharField(max_length=200, blank=True, default="")
    description = models.TextField(blank=True, default="")
    end_customer_name = models.CharField(max_length=100, blank=True, default="")
    end_customer_email = models.CharField(max_length=254, blank=True, default="")
    custom_api = models.TextField(blank=True, default="")
    waiting_message = models.TextField(blank=True, default="")
    assigned_userid = models.CharField(max_length=32)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    online = models.BooleanField(default=False)
    valid_until = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    assigned_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.code

    @property
    def compact_code(self) -> str:
        """``s12345678``: the form TeamViewer's links use."""
        return self.code.replace("-", "")

    def is_expired(self) -> bool:
        return self.valid_until <= timezone.now()


class ConnectionRecord(models.Model):
    """A connection report row: the customer opened the session's link."""

    report_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="connections")
    userid = models.CharField(max_length=32)
    username = models.CharField(max_length=254)
    deviceid = models.CharField(max_length=32)
    devicename = models.CharField(max_length=200)
    start_date = models.DateTimeField(default=timezone.now)
    end_date = models.DateTimeField(null=True, blank=True)
    # Set through PUT /reports/connections/{id} (API notes §4.2), as a supporter's notes are.
    notes = models.TextField(blank=True, default="")
    billing_state = models.CharField(max_length=16, default="Bill")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return str(self.report_id)


class Fault(FaultBase):
    retry_after = models.PositiveIntegerField(null=True, blank=True)


class ApiCall(models.Model):
    """Which token, of which account, made each authenticated API call: what tests check to know
    that a close, a sync or a cleanup acted with the session owner's token."""

    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    token = models.ForeignKey(Token, null=True, on_delete=models.SET_NULL, related_name="+")
    email = models.CharField(max_length=254)
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} by {self.email}"
