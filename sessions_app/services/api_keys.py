"""API keys: shown once at creation, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from ..models import ApiKey

KEY_PREFIX = "csmtv_"
# Writing last_used_at on every request would make each API call a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(*, name: str) -> tuple[ApiKey, str]:
    """A new key: the record, and the key itself (the only time it is ever seen)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(name=name, prefix=key[: len(KEY_PREFIX) + 6], digest=_digest(key))
    return api_key, key


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key matching ``key``, or None."""
    if not key or len(key) > 200:
        return None
    digest = _digest(key)
    api_key = _active_key(digest)
    if api_key is None or not hmac.compare_digest(api_key.digest, digest):
        return None
    _touch(api_key)
    return api_key


def _active_key(digest: str) -> ApiKey | None:
    # Every API call looks its key up: a written-out statement costs half the CPU of the ORM's
    # compiling the same one.
    quote = connection.ops.quote_name
    sql = f"SELECT * FROM {quote(ApiKey._meta.db_table)} WHERE digest = %s AND revoked_at IS NULL"  # noqa: S608 - the digest is a parameter
    return next(iter(ApiKey.objects.raw(sql, [digest])), None)


def _touch(api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def api_key_revoke(*, api_key: ApiKey) -> None:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
