"""The sandbox's log of authenticated API calls: who called, with which token (``ApiCall``).

Kept for a day, so a sandbox left running does not grow without end.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from .models import ApiCall, Token

KEPT_FOR = timedelta(days=1)
PRUNE_EVERY = 1000


def call_record(*, token: Token, method: str, path: str) -> None:
    call = ApiCall.objects.create(token=token, email=token.email, method=method, path=path[:500])
    if call.pk % PRUNE_EVERY == 0:
        ApiCall.objects.filter(made_at__lt=timezone.now() - KEPT_FOR).delete()
