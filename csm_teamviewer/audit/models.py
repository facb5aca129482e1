"""The audit trail: who did what to which incident's session, when, and how it ended.

It lives in the shell so every app can write to it and anything may follow it (the events are
written in the same transaction as the change they record). It refers to a session by id only,
not by a foreign key: the shell knows no app's models, and a row outlives the session it names.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Who did what to which incident's session, when, and how it ended."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        EMAIL = "email", _("Email")
        JOIN = "join", _("Join as admin")
        CLOSE = "close", _("Close")
        LOGIN = "login", _("TeamViewer login")
        DISCONNECT = "disconnect", _("TeamViewer disconnect")
        EXPIRE = "expire", _("Expire (cleanup)")
        SYNC = "sync", _("State sync")
        REPORT = "report", _("Connection report")
        # Not about a session: how an agent or CSM got in, and what an admin changed.
        LAUNCH_ISSUED = "launch_issued", _("Launch link issued")
        LAUNCH_USED = "launch_used", _("Launch link used")
        API_KEY_CREATED = "api_key_created", _("API key created")
        API_KEY_REVOKED = "api_key_revoked", _("API key revoked")
        TEMPLATE_EDITED = "template_edited", _("Invitation template edited")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    incident_id = models.CharField(_("incident"), max_length=64, blank=True, default="", db_index=True)
    session_id = models.UUIDField(_("session"), null=True, blank=True, db_index=True)
    session_code = models.CharField(_("session code"), max_length=32, blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=64, default="ok")
    detail = models.TextField(_("detail"), blank=True, default="")
    via = models.CharField(_("via"), max_length=16, blank=True, default="")

    class Meta:
        # The table it had when it belonged to sessions_app: it moved without copying a row.
        db_table = "sessions_app_auditevent"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.incident_id} {self.outcome}"
