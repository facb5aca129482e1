"""Deactivating an agent revokes their TeamViewer token (connected in apps.ready())."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save

from .models import TeamViewerToken
from .services import token_revoke_if_inactive


def revoke_when_deactivated(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.is_active or not TeamViewerToken.objects.filter(agent_id=instance.pk).exists():
        return
    # After the commit: the network call is outside the admin's transaction, and an error in it
    # is logged (robust) instead of failing the save; tokens_revoke_inactive tries again later.
    transaction.on_commit(partial(token_revoke_if_inactive, agent_id=instance.pk), robust=True)


def connect() -> None:
    post_save.connect(
        revoke_when_deactivated, sender=get_user_model(), dispatch_uid="tokens_app.revoke_deactivated"
    )
