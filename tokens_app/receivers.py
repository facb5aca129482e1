"""Deactivating or deleting an agent revokes their TeamViewer token (connected in apps.ready())."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_save, pre_delete

from .models import TeamViewerToken
from .services import token_revoke_detached, token_revoke_if_inactive


def revoke_when_deactivated(sender: Any, instance: Any, **kwargs: Any) -> None:
    if instance.is_active or not TeamViewerToken.objects.filter(agent_id=instance.pk).exists():
        return
    agent_id = instance.pk

    def revoke() -> None:
        token_revoke_if_inactive(agent_id=agent_id)

    # After the commit: the network call is outside the admin's transaction, and an error in it
    # is logged (robust) instead of failing the save; tokens_revoke_inactive tries again later.
    # A closure, not a partial: Django names the callable (``__qualname__``) when it fails.
    transaction.on_commit(revoke, robust=True)


def revoke_when_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    token = TeamViewerToken.objects.filter(agent_id=instance.pk).first()
    if token is None:
        return
    # Read now: the delete cascades to the token row. The values stay in this closure only
    # (never in a log line: Django logs a failed callback by its name).
    agent_id, access, refresh, stale = (
        instance.pk,
        token.access_token,
        token.refresh_token,
        token.needs_refresh(),
    )

    def revoke() -> None:
        token_revoke_detached(agent_id=agent_id, access_token=access, refresh_token=refresh, stale=stale)

    # pre_delete runs inside the delete's transaction: the revoke waits for its commit, and a
    # delete rolled back revokes nothing.
    transaction.on_commit(revoke, robust=True)


def connect() -> None:
    user_model = get_user_model()
    post_save.connect(
        revoke_when_deactivated, sender=user_model, dispatch_uid="tokens_app.revoke_deactivated"
    )
    pre_delete.connect(revoke_when_deleted, sender=user_model, dispatch_uid="tokens_app.revoke_deleted")
