"""API keys: shown once at creation, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from csm_teamviewer.audit.models import AuditEvent
from csm_teamviewer.audit.services import audit_record
from csm_teamviewer.authentication import username_column
from csm_teamviewer.row_sql import fetch_one, joined_instance, select_columns
from tokens_app.models import TeamViewerToken
from tokens_app.teamviewer.tokens import token_columns, token_prefetched

from ..models import ApiKey

KEY_PREFIX = "csmtv_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_create(*, name: str, actor: User | None = None, via: str = "command") -> tuple[ApiKey, str]:
    """A new key: the record, and the key itself (the only time it is ever seen).

    ``actor``: the admin user who made it (None from the command line); ``via``: where.
    """
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(name=name, prefix=key[: len(KEY_PREFIX) + 6], digest=_digest(key))
    audit_record(action=AuditEvent.Action.API_KEY_CREATED, actor=actor, detail=_described(api_key), via=via)
    return api_key, key


def _described(api_key: ApiKey) -> str:
    # The prefix tells keys apart and opens nothing: the audit never holds a key.
    return f"{api_key.name} ({api_key.prefix}…)"


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key matching ``key``, or None."""
    found = api_key_with_agent(key=key, login=None)
    return None if found is None else found[0]


def api_key_with_agent(*, key: str, login: str | None) -> tuple[ApiKey, User | None] | None:
    """The active key matching ``key`` and the user whose login is ``login`` (None when there is
    none yet); None when the key is unknown or revoked.

    Every API call needs both, so they are read in one statement: the user's row, joined (or
    not) beside the key's. Nothing is cached, so a revoked key or a deactivated agent is refused
    at once.
    """
    if not key or len(key) > 200:
        return None
    digest = _digest(key)
    row = _key_and_user(digest, login)
    if row is None or not hmac.compare_digest(row[3], digest):
        return None
    # The other fields are left deferred: read from the database if anything asks for them.
    api_key = ApiKey.from_db(connection.alias, ["id", "name", "prefix", "digest"], row[:4])
    if row[4]:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now())
    user_model = get_user_model()
    user_columns = len(user_model._meta.concrete_fields)
    agent = joined_instance(user_model, row[5 : 5 + user_columns])
    if agent is not None:
        token_prefetched(agent, row[5 + user_columns :])
    return api_key, agent


def _key_and_user(digest: str, login: str | None) -> tuple[Any, ...] | None:
    """The key's id, name, prefix, digest and whether its last use is old enough to write down,
    then the user's columns (all NULL when there is no such user), then the user's TeamViewer
    token's (all NULL when there is none): most calls go on to TeamViewer for the agent.

    A written-out statement: the ORM cannot join two unrelated tables, and compiling its query
    (or resolving a raw query's columns) costs more CPU than the database takes to answer.
    """
    User = get_user_model()
    quote = connection.ops.quote_name
    username = quote(username_column())
    sql = (
        "SELECT k.id, k.name, k.prefix, k.digest, (k.last_used_at IS NULL OR k.last_used_at < %s),"  # noqa: S608 - every value is a parameter
        f" {select_columns(User, 'u')}, {token_columns('t')}"
        f" FROM {quote(ApiKey._meta.db_table)} k"
        f" LEFT JOIN {quote(User._meta.db_table)} u ON u.{username} = %s"
        f" LEFT JOIN {quote(TeamViewerToken._meta.db_table)} t ON t.agent_id = u.{quote(cast(str, User._meta.pk.column))}"
        " WHERE k.digest = %s AND k.revoked_at IS NULL"
    )
    # Writing last_used_at on every call would make each one a write: once a minute is enough.
    touch_before = connection.ops.adapt_datetimefield_value(timezone.now() - LAST_USED_RESOLUTION)
    return fetch_one(sql, [touch_before, login, digest])


def api_key_revoke(*, api_key: ApiKey, actor: User | None = None, via: str = "admin") -> None:
    """Revoke the key from now on (a revoked key stays revoked; only the first revoke is audited)."""
    if api_key.revoked_at is not None:
        return
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(action=AuditEvent.Action.API_KEY_REVOKED, actor=actor, detail=_described(api_key), via=via)
