"""What both sandboxes (TeamViewer's and CSM's) share to misbehave on purpose: a fault row, its
body, and taking the oldest matching fault for a call, counted down once across processes."""
from __future__ import annotations

import json
from typing import Any, TypeVar

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class FaultBase(models.Model):
    """A failure to answer with instead of the real result (see each sandbox's ``faults.inject``)."""

    method = models.CharField(max_length=10, default="*")
    path_prefix = models.CharField(max_length=200, blank=True, default="")
    # Null: only delay, then answer normally.
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.TextField(blank=True, default="")
    content_type = models.CharField(max_length=100, default="application/json")
    # Null: until cleared.
    remaining = models.PositiveIntegerField(null=True, blank=True)
    delay_seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.path_prefix or '*'} -> {self.status or 'delay'}"


F_ = TypeVar("F_", bound=FaultBase)


def fault_fields(*, method: str, path_prefix: str, body: dict[str, Any] | str | None) -> dict[str, Any]:
    """The stored form of a fault's match and body: a dict is JSON, a string an HTML page (like a
    gateway's), ``None`` the sandbox's own error body for the status."""
    content_type = "application/json"
    if isinstance(body, str):
        text, content_type = body, "text/html; charset=utf-8"
    else:
        text = json.dumps(body) if body is not None else ""
    return {"method": method.upper(), "path_prefix": fault_path(path_prefix), "body": text, "content_type": content_type}


def fault_path(path: str) -> str:
    return path.strip().lstrip("/").lower()


def fault_take(model: type[F_], *, method: str, path: str) -> F_ | None:
    """The oldest fault of ``model`` matching this call, counted down; ``None`` when none does."""
    path = fault_path(path)
    for fault in model._default_manager.filter(Q(remaining__isnull=True) | Q(remaining__gt=0)):
        if fault.method not in ("*", method.upper()) or not path.startswith(fault.path_prefix):
            continue
        if fault.remaining is None or _count_down(fault):
            return fault
    return None


def _count_down(fault: FaultBase) -> bool:
    # A conditional update, so that two processes never both spend the last one.
    rows = type(fault)._default_manager.filter(pk=fault.pk, remaining__gt=0)
    return bool(rows.update(remaining=F("remaining") - 1))
