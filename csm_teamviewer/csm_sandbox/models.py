"""The CSM sandbox's state, in the database so that every process (web, worker) sees the same.

Tokens are kept only as SHA-256 digests: a copy of this database holds no usable credential.
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone

from csm_teamviewer.fault_injection import FaultBase


class Token(models.Model):
    """An access token and the refresh token issued with it (by a login or a refresh)."""

    class Grant(models.TextChoices):
        PASSWORD = "password"  # noqa: S105 - a grant type
        REFRESH = "refresh_token"

    access_hash = models.CharField(max_length=64, unique=True)
    refresh_hash = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=200)
    grant = models.CharField(max_length=16, choices=Grant.choices)
    access_expires_at = models.DateTimeField()
    refresh_expires_at = models.DateTimeField()
    refresh_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.grant} token for {self.username}"

    def is_expired(self) -> bool:
        return self.access_expires_at <= timezone.now()


class Incident(models.Model):
    public_id = models.CharField(max_length=64, unique=True)
    rec_id = models.CharField(max_length=42, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.public_id


class Journal(models.Model):
    """One journal record saved under an incident through the journal relationship."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="journals")
    rec_id = models.CharField(max_length=42, unique=True)
    # The object it was saved as (the group or a type) and the type it says it is.
    busobid = models.CharField(max_length=42)
    type_id = models.CharField(max_length=42)
    type_name = models.CharField(max_length=200, blank=True, default="")
    details = models.TextField()
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.rec_id


class Fault(FaultBase):
    # Delay after carrying the request out (a save that is made, then answered too late).
    delay_after = models.BooleanField(default=False)
