"""Admins' wordings of the invitation (``InvitationTemplate``): saved and deleted, each audited.

What customers are sent is part of what the audit answers for, so every edit names who made it.
"""

from __future__ import annotations

from django.contrib.auth.models import User

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record

from ..models import InvitationTemplate


def invitation_template_save(
    *, template: InvitationTemplate, actor: User | None, changed: list[str], via: str = "admin"
) -> None:
    """Save the template and audit the edit; ``changed`` names the fields the editor changed."""
    created = template.pk is None
    template.save()
    what = "created" if created else f"changed {', '.join(changed) or 'nothing'}"
    audit_record(
        action=AuditEvent.Action.TEMPLATE_EDITED, actor=actor, detail=f"{template.language}: {what}", via=via
    )


def invitation_template_delete(
    *, template: InvitationTemplate, actor: User | None, via: str = "admin"
) -> None:
    """Delete the template (the built-in wording is sent again) and audit it."""
    language = template.language
    template.delete()
    audit_record(
        action=AuditEvent.Action.TEMPLATE_EDITED, actor=actor, detail=f"{language}: deleted", via=via
    )
