"""Running a Django admin action as a staff member's browser does, and reading what it said."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model
from django.test import Client
from django.urls import reverse


def admin_action_post(client: Client, model: type[Model], action: str, objects: Iterable[Model]) -> Any:
    """Select ``objects`` on ``model``'s change list and run ``action``; follows to the list."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    data = {"action": action, "_selected_action": [str(obj.pk) for obj in objects]}
    return client.post(url, data, follow=True)


def admin_messages(response: Any) -> list[str]:
    """The messages the admin showed after the action (``django.contrib.messages``)."""
    return [str(message) for message in response.context["messages"]]
