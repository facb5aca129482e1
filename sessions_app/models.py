"""The mApp's *TeamViewer Session* business object, its invitation emails and API keys (the audit is in the shell)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from csm_teamviewer.crypto import EncryptedTextField

from .invitation_placeholders import validate_placeholders
from .lifecycle import FINISHED_STATES, LIVE_STATES, PAIR_STATES, SessionQuerySet, SessionState, stale_age


class ApiKey(models.Model):
    """A key CSM uses to call the REST API. Only its SHA-256 digest is stored."""

    name = models.CharField(_("name"), max_length=100)
    # The first characters of the key, to tell keys apart in the admin without revealing them.
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Session(models.Model):
    """A TeamViewer session code made for an incident by an agent."""

    # The states, their moves and the sets everyone asks for: lifecycle.py.
    State = SessionState
    LIVE_STATES = LIVE_STATES

    class EmailStatus(models.TextChoices):
        NOT_SENT = "not_sent", _("Not sent")
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    incident_id = models.CharField(_("incident"), max_length=64)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="teamviewer_sessions"
    )
    code = models.CharField(_("session code"), max_length=32, blank=True, default="")
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.CREATING)
    end_customer_link = models.URLField(_("end-customer link"), max_length=500, blank=True, default="")
    # Whoever holds the supporter link can take the supporter's seat: a secret, kept encrypted.
    supporter_link = EncryptedTextField(_("supporter link"), blank=True, default="")
    webclient_supporter_link = EncryptedTextField(_("WebClient supporter link"), blank=True, default="")
    requester_name = models.CharField(_("requester name"), max_length=100, blank=True, default="")
    requester_email = models.EmailField(_("requester email"), max_length=254, blank=True, default="")
    description = models.CharField(_("description"), max_length=1000, blank=True, default="")
    language = models.CharField(_("language"), max_length=8, blank=True, default="")
    valid_until = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    email_status = models.CharField(
        _("email status"), max_length=16, choices=EmailStatus.choices, default=EmailStatus.NOT_SENT
    )
    email_sent_at = models.DateTimeField(_("email sent"), null=True, blank=True)
    # When the state sync first saw the customer online (set once, with the move to active).
    customer_waiting_since = models.DateTimeField(_("customer online since"), null=True, blank=True)
    # While the lease runs, one cleanup run (named by the claim) is closing this session at
    # TeamViewer and no other may (see services/expiry.py).
    cleanup_claim = models.UUIDField(null=True, blank=True, editable=False)
    cleanup_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # When the periodic state sync last took this session, so that every open one gets its turn.
    synced_at = models.DateTimeField(_("last synced"), null=True, blank=True, editable=False)
    # Its connection reports (services/connections.py): fetched once it is closed or expired, again
    # at growing intervals while a report may still appear, then final. ``connections_due_at`` is
    # the next fetch (set by the move that closed it); while a worker fetches, its lease's end.
    connections_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    connections_attempts = models.PositiveSmallIntegerField(_("report fetches"), default=0, editable=False)
    connections_fetched_at = models.DateTimeField(_("connection report fetched"), null=True, blank=True)
    connections_final = models.BooleanField(_("connection report final"), default=False)
    # How many rows ``connections`` holds: a listing reads them only for the sessions that have some.
    connections_count = models.PositiveIntegerField(_("connections"), default=0)
    # Why the reports could not be fetched, when fetching was given up (final then).
    connections_error = models.CharField(_("connection report error"), max_length=300, blank=True, default="")

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("TeamViewer session")
        verbose_name_plural = _("TeamViewer sessions")
        ordering = ["-created_at"]
        constraints = [
            # A double click or a retrying CSM never makes two TeamViewer sessions.
            models.UniqueConstraint(
                fields=["incident_id", "agent"],
                condition=Q(state__in=[state.value for state in PAIR_STATES]),
                name="one_live_session_per_incident_and_agent",
            ),
        ]
        indexes = [
            models.Index(fields=["incident_id", "-created_at"]),
            models.Index(fields=["state", "valid_until"]),
            models.Index(fields=["code"]),
            # The dashboard counts sessions by the day they were created.
            models.Index(fields=["created_at"], name="session_created_at"),
            models.Index(
                fields=["connections_due_at"],
                condition=Q(connections_due_at__isnull=False),
                name="session_connections_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code or 'new session'} for incident {self.incident_id}"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES

    @property
    def is_past_lifetime(self) -> bool:
        return self.valid_until <= timezone.now()

    @property
    def is_stale_reservation(self) -> bool:
        """A reservation older than any live create: its process died mid-create."""
        return self.state == self.State.CREATING and self.created_at < timezone.now() - stale_age()

    @property
    def connections_status(self) -> str:
        return connections_status(
            state=self.state, final=self.connections_final, error=self.connections_error
        )


class ConnectionsStatus(models.TextChoices):
    """Where a session's connection report stands (the API's ``connections_status``)."""

    NOT_FETCHED = "not_fetched", _("Not fetched (the session is not over)")
    PENDING = "pending", _("Pending")
    FINAL = "final", _("Final")
    FAILED = "failed", _("Could not be fetched")


def connections_status(*, state: str, final: bool, error: str) -> str:
    if final:
        return ConnectionsStatus.FAILED if error else ConnectionsStatus.FINAL
    return ConnectionsStatus.PENDING if state in FINISHED_STATES else ConnectionsStatus.NOT_FETCHED


class SessionConnection(models.Model):
    """One connection TeamViewer reported for a session's code: a row of its connection report."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="connections")
    # TeamViewer's report id: a fetch again updates the row instead of adding one.
    report_id = models.CharField(_("report id"), max_length=64)
    start = models.DateTimeField(_("start"), null=True, blank=True)
    end = models.DateTimeField(_("end"), null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    supporter = models.CharField(_("supporter"), max_length=254, blank=True, default="")
    device_name = models.CharField(_("device name"), max_length=200, blank=True, default="")
    device_id = models.CharField(_("device id"), max_length=64, blank=True, default="")
    notes = models.TextField(_("notes"), blank=True, default="")
    fetched_at = models.DateTimeField(_("fetched"), default=timezone.now)

    class Meta:
        verbose_name = _("session connection")
        verbose_name_plural = _("session connections (connection reports)")
        ordering = ["start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "report_id"], name="one_row_per_connection_report"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id} of {self.session_id}"

    @property
    def device(self) -> str:
        """The device as people know it: its name, with its TeamViewer ID when both are known."""
        return device_label(name=self.device_name, device_id=self.device_id)


def device_label(*, name: str, device_id: str) -> str:
    return f"{name} ({device_id})" if name and device_id else name or device_id


class InvitationEmail(models.Model):
    """The outbox: an invitation to send, written in the same transaction as its cause."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="emails")
    to = models.EmailField(_("to"), max_length=254)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # While set and in the future, one worker is sending this row; no other may (see invitation_send).
    claimed_until = models.DateTimeField(_("being sent until"), null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation email")
        verbose_name_plural = _("invitation emails (outbox)")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # The dashboard counts invitations by the day they were asked for.
            models.Index(fields=["created_at"], name="invitation_created_at"),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.to} ({self.status})"


class InvitationTemplate(models.Model):
    """An admin's wording of the invitation for one language, used instead of the built-in one."""

    class Language(models.TextChoices):
        JAPANESE = "ja", _("Japanese")
        ENGLISH = "en", _("English")

    language = models.CharField(_("language"), max_length=8, choices=Language.choices, unique=True)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("Untick to send the built-in invitation again.")
    )
    subject = models.CharField(_("subject"), max_length=200, validators=[validate_placeholders])
    text_body = models.TextField(_("plain-text body"), validators=[validate_placeholders])
    html_body = models.TextField(
        _("HTML body"),
        blank=True,
        default="",
        validators=[validate_placeholders],
        help_text=_("Leave empty to send the plain-text body as simple HTML."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("invitation template")
        verbose_name_plural = _("invitation templates")
        ordering = ["language"]

    def __str__(self) -> str:
        return f"{self.get_language_display()}: {self.subject}"


class LaunchLink(models.Model):
    """A one-time link from CSM that signs its agent in and opens an incident's page.

    Only the SHA-256 digest of the token is kept; the link itself is shown once, to CSM.
    """

    digest = models.CharField(max_length=64, unique=True, editable=False)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teamviewer_launch_links"
    )
    incident_id = models.CharField(_("incident"), max_length=64)
    requester_name = models.CharField(_("requester name"), max_length=100, blank=True, default="")
    requester_email = models.EmailField(_("requester email"), max_length=254, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)

    class Meta:
        verbose_name = _("launch link")
        verbose_name_plural = _("launch links")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Launch link of {self.agent} for incident {self.incident_id}"
