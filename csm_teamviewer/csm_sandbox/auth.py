"""``POST /CherwellAPI/token``: the password and refresh grants, and the bearer check (csm-api.md §A1).

The sandbox knows one REST API client key and one account (``CSM_SANDBOX_CLIENT_ID``,
``CSM_SANDBOX_USERNAME``, ``CSM_SANDBOX_PASSWORD``). Refresh tokens are single use (the strict
reading of an undocumented point: clients must keep the newest one). ``auth_mode`` is taken from
the query string or the body, as sources disagree; only ``Internal`` is enabled here.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Token
from .protocol import OAuthFailure, TokenRefused

ENABLED_AUTH_MODES = {"internal"}


def _same(given: str, expected: str) -> bool:
    # hmac.compare_digest raises on a non-ASCII str, which anyone can send as a login.
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def token_grant(form: Mapping[str, str], query: Mapping[str, str]) -> dict[str, Any]:
    client_id = form.get("client_id", "")
    if not _same(client_id, _setting("CSM_SANDBOX_CLIENT_ID", "")):
        raise OAuthFailure("invalid_client_id", f"Client {client_id} is not registered in the system.")
    grant_type = form.get("grant_type", "")
    if grant_type == "password":
        return _password(form, query, client_id)
    if grant_type == "refresh_token":
        return _refresh(form, client_id)
    raise OAuthFailure("unsupported_grant_type", f"Grant type {grant_type!r} is not supported.")


def _password(form: Mapping[str, str], query: Mapping[str, str], client_id: str) -> dict[str, Any]:
    mode = (query.get("auth_mode") or form.get("auth_mode") or "Internal").lower()
    if mode not in ENABLED_AUTH_MODES:
        raise OAuthFailure("invalid_grant", f"The authentication mode {mode!r} is not enabled.")
    username, password = form.get("username", ""), form.get("password", "")
    known_user = _same(username.lower(), str(_setting("CSM_SANDBOX_USERNAME", "")).lower())
    if not (known_user and _same(password, _setting("CSM_SANDBOX_PASSWORD", ""))):
        raise OAuthFailure("invalid_grant", "Could not login to system with the provided user ID and password.")
    return _issue(username=username, client_id=client_id, grant=Token.Grant.PASSWORD)


def _refresh(form: Mapping[str, str], client_id: str) -> dict[str, Any]:
    refused = OAuthFailure("invalid_grant", "The refresh token is not valid.")
    value = form.get("refresh_token", "")
    token = Token.objects.filter(refresh_hash=hash_secret(value)).first() if value else None
    if token is None or token.refresh_expires_at <= timezone.now():
        raise refused
    with transaction.atomic():
        spent = Token.objects.filter(pk=token.pk, refresh_used_at__isnull=True).update(refresh_used_at=timezone.now())
        if not spent:
            raise refused
        return _issue(username=token.username, client_id=client_id, grant=Token.Grant.REFRESH)


def _issue(*, username: str, client_id: str, grant: str) -> dict[str, Any]:
    access, refresh = secrets.token_urlsafe(96), secrets.token_hex(16)
    lifetime = int(_setting("CSM_SANDBOX_TOKEN_SECONDS", 1199))
    refresh_lifetime = int(_setting("CSM_SANDBOX_REFRESH_TOKEN_SECONDS", 1440 * 60))
    now = timezone.now()
    Token.objects.create(
        access_hash=hash_secret(access),
        refresh_hash=hash_secret(refresh),
        username=username,
        grant=grant,
        access_expires_at=now + timedelta(seconds=lifetime),
        refresh_expires_at=now + timedelta(seconds=refresh_lifetime),
    )
    return {
        "access_token": access,
        "token_type": "bearer",
        "expires_in": lifetime,
        "refresh_token": refresh,
        "as:client_id": client_id,
        "username": username,
        ".issued": format_datetime(now, usegmt=True),
        ".expires": format_datetime(now + timedelta(seconds=lifetime), usegmt=True),
    }


def authenticate(access_token: str) -> Token:
    """The token behind a bearer header, or CSM's 401."""
    token = Token.objects.filter(access_hash=hash_secret(access_token)).first() if access_token else None
    if token is None or token.is_expired():
        raise TokenRefused()
    return token
