"""Invitation emails through an outbox: the intent is a row written with its cause, sent later.

Nothing is lost when SMTP or the broker is down: the row stays queued, the task retries, and
the cleanup re-drives whatever is still queued when they return. The outbox hands a row to the
worker's task by the task's name (``csm_teamviewer/outbox.py``), so this module never imports the
task module (which imports it): the dependency runs one way, tasks -> services.
"""
from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from csm_teamviewer.leases import lease_free
from csm_teamviewer.observability.metrics import invitations_failed, invitations_sent
from csm_teamviewer.outbox import (
    SKIPPED,
    HandOver,
    SendResult,
    outbox_backoff,
    outbox_hand_over,
    outbox_redrive,
)

from ..models import InvitationEmail, Session
from .email_render import invitation_render
from .journal import journal_emailed

logger = logging.getLogger(__name__)

SUPPORTED_LANGUAGES = ("ja", "en")
# Enough for an admin to see what SMTP said; an SMTP reply can be long.
MAX_ERROR_LENGTH = 300
# Per re-drive run: a minute's worth of invitations for a busy service desk, and bounded work.
REDRIVE_BATCH = 200
# The task that sends one outbox row (sessions_app/tasks.py registers itself under this name).
SEND_INVITATION_TASK = "sessions_app.tasks.send_invitation"


def invitation_language(*, requested: str | None, session: Session) -> str:
    for candidate in (requested, session.language, settings.INVITATION_DEFAULT_LANGUAGE):
        if candidate in SUPPORTED_LANGUAGES:
            return candidate
    return "en"


def invitation_queue(
    *,
    session: Session,
    requested_by: User | None,
    to: str | None = None,
    language: str | None = None,
) -> InvitationEmail:
    """Write the invitation to the outbox and hand it to a worker once the transaction commits.

    Call inside the transaction that creates or changes the session, so that both land or
    neither does.
    """
    email = invitation_outbox_row(session=session, requested_by=requested_by, to=to, language=language)
    email.save(force_insert=True)
    Session.objects.filter(pk=session.pk).update(email_status=Session.EmailStatus.QUEUED)
    session.email_status = Session.EmailStatus.QUEUED
    invitation_enqueue_on_commit(email.pk)
    return email


def invitation_outbox_row(
    *, session: Session, requested_by: User | None, to: str | None = None, language: str | None = None
) -> InvitationEmail:
    """The invitation's outbox row, not yet written (a create writes it with the session)."""
    return InvitationEmail(
        session=session,
        to=to or session.requester_email,
        language=invitation_language(requested=language, session=session),
        requested_by=requested_by,
    )


def invitation_enqueue_on_commit(email_id: int) -> None:
    """Hand the written outbox row to a worker once the transaction that wrote it commits."""
    transaction.on_commit(lambda: invitation_enqueue(email_id))


def invitation_enqueue(email_id: int) -> bool:
    """Hand an outbox row to a worker; False (and the row stays queued) when the broker is down."""
    return outbox_hand_over(SEND_INVITATION_TASK, email_id, what=f"invitation {email_id}")


def invitation_hand_over(email_id: int) -> HandOver:
    return HandOver(SEND_INVITATION_TASK, email_id, what=f"invitation {email_id}")


# --- sending --------------------------------------------------------------------------------


# What one send did: ``sent``, ``retrying`` (in ``retry_in`` seconds), ``failed``, or ``skipped``
# (not queued, not yet due, or another worker holds it).
InvitationSendResult = SendResult


def invitation_backoff(*, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: base × 2^(attempts-1), capped."""
    return outbox_backoff(
        attempts=attempts, base=settings.INVITATION_RETRY_BASE_SECONDS, cap=settings.INVITATION_RETRY_MAX_SECONDS
    )


def _lease() -> timedelta:
    # Longer than the slowest possible send (each SMTP step may take EMAIL_TIMEOUT), so that a
    # lease only runs out when its worker died; then another may take the row over.
    return timedelta(seconds=(settings.EMAIL_TIMEOUT or 60) * 10 + 30)


def _due(now: datetime) -> QuerySet[InvitationEmail]:
    return InvitationEmail.objects.filter(status=InvitationEmail.Status.QUEUED, next_attempt_at__lte=now).filter(
        lease_free("claimed_until", now)
    )


def _claim(email_id: int) -> tuple[InvitationEmail, datetime] | None:
    """Take a due row for this worker alone: one conditional UPDATE, no lock held while sending."""
    now = timezone.now()
    lease = now + _lease()
    if _due(now).filter(pk=email_id).update(claimed_until=lease) != 1:
        return None
    email = InvitationEmail.objects.select_related("session", "session__agent", "requested_by").get(pk=email_id)
    return email, lease


def invitation_send(*, email_id: int) -> InvitationSendResult:
    """Send one queued invitation if it is due and no other worker is sending it.

    SMTP failures are recorded on the row (attempts, a short error, the next attempt time) and
    the row stays queued until ``INVITATION_MAX_ATTEMPTS``, then fails.
    """
    claimed = _claim(email_id)
    if claimed is None:
        return SKIPPED
    email, lease = claimed
    if not email.session.is_live:
        return _record_failure(email, lease, "The session is no longer open.", final=True)
    if not email.session.end_customer_link:
        return _record_failure(email, lease, "The session has no end-customer link yet.")
    try:
        _deliver(email)
    except Exception as exc:  # noqa: BLE001 - whatever the mail backend raises, the row records it and backs off
        logger.warning("Invitation %s not sent (attempt %s): %s", email.pk, email.attempts + 1, _describe(exc))
        return _record_failure(email, lease, _describe(exc))
    return _record_success(email, lease)


def _deliver(email: InvitationEmail) -> None:
    rendered = invitation_render(session=email.session, language=email.language)
    message = EmailMultiAlternatives(
        subject=rendered.subject, body=rendered.text, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to]
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send(fail_silently=False)


def _describe(exc: Exception) -> str:
    """A short, single-line account of a send failure, with the SMTP credentials blanked out."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        text = f"{exc.smtp_code} {reply}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        text = "recipient refused: " + ", ".join(str(code) for code, _ in exc.recipients.values())
    elif isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    else:
        text = str(exc)
    message = " ".join(f"{type(exc).__name__}: {text}".split())
    for secret in (settings.EMAIL_HOST_PASSWORD, settings.EMAIL_HOST_USER):
        if secret:
            message = message.replace(secret, "***")
    return message[:MAX_ERROR_LENGTH]


def _record_success(email: InvitationEmail, lease: datetime) -> InvitationSendResult:
    now = timezone.now()
    with transaction.atomic():
        InvitationEmail.objects.filter(pk=email.pk, claimed_until=lease).update(
            status=InvitationEmail.Status.SENT, sent_at=now, attempts=email.attempts + 1,
            last_error="", claimed_until=None,
        )
        Session.objects.filter(pk=email.session_id).update(
            email_status=Session.EmailStatus.SENT, email_sent_at=now
        )
        journal_emailed(email.session, to=email.to)
        _audit(email, outcome="sent", detail=f"attempt {email.attempts + 1}")
    invitations_sent.inc()
    logger.info("Invitation %s sent for incident %s.", email.pk, email.session.incident_id)
    return InvitationSendResult("sent")


def _record_failure(
    email: InvitationEmail, lease: datetime, error: str, *, final: bool = False
) -> InvitationSendResult:
    attempts = email.attempts + 1
    final = final or attempts >= settings.INVITATION_MAX_ATTEMPTS
    delay = invitation_backoff(attempts=attempts)
    status = InvitationEmail.Status.FAILED if final else InvitationEmail.Status.QUEUED
    with transaction.atomic():
        InvitationEmail.objects.filter(pk=email.pk, claimed_until=lease).update(
            status=status, attempts=attempts, last_error=error,
            next_attempt_at=timezone.now() + delay, claimed_until=None,
        )
        if final:
            _mark_session_failed(email)
        _audit(email, outcome="failed" if final else "retrying", detail=f"attempt {attempts}: {error}")
    if final:
        invitations_failed.inc()
        return InvitationSendResult("failed")
    return InvitationSendResult("retrying", retry_in=delay.total_seconds())


def _mark_session_failed(email: InvitationEmail) -> None:
    # A newer invitation (a resend) still on its way keeps the session's status "queued".
    others = InvitationEmail.objects.filter(session_id=email.session_id, status=InvitationEmail.Status.QUEUED)
    if not others.exclude(pk=email.pk).exists():
        Session.objects.filter(pk=email.session_id).update(email_status=Session.EmailStatus.FAILED)


def _audit(email: InvitationEmail, *, outcome: str, detail: str) -> None:
    audit_record(
        action=AuditEvent.Action.EMAIL,
        actor=email.requested_by,
        session=email.session,
        outcome=outcome,
        detail=f"{detail} ({email.language})",
        via="worker",
    )


# --- re-driving -----------------------------------------------------------------------------


def invitations_redrive(*, limit: int = REDRIVE_BATCH) -> int:
    """Hand due, unclaimed queued invitations to a worker again; the number handed over.

    Catches what a down broker or a dead worker left behind. A row handed over twice is still
    sent once: the worker's claim decides.
    """
    ids = list(_due(timezone.now()).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    return outbox_redrive(ids, hand_over=invitation_enqueue, what="queued invitation(s)")


def invitation_retry(*, email: InvitationEmail) -> bool:
    """Queue an unsent invitation again at once (the admin's "retry now").

    False when it was sent already or a worker is sending it now.

    A failed row gets a fresh series of attempts.
    """
    now = timezone.now()
    unsent = InvitationEmail.objects.filter(pk=email.pk).exclude(status=InvitationEmail.Status.SENT)
    # A row a worker is sending right now is left to it: queuing it again could send it twice.
    with transaction.atomic():
        updated = unsent.filter(lease_free("claimed_until", now)).update(
            status=InvitationEmail.Status.QUEUED, attempts=0, next_attempt_at=now
        )
        if not updated:
            return False
        Session.objects.filter(pk=email.session_id).update(email_status=Session.EmailStatus.QUEUED)
        transaction.on_commit(lambda: invitation_enqueue(email.pk))
    return True
