"""OAuth 2.0 as the sandbox serves it: the authorization code grant with PKCE, and tokens.

TeamViewer's rules (API notes §1): no scopes; redirect URI must match the registered one exactly;
codes live 10 minutes; client credentials in the body; refresh tokens are single use and rotate;
revoking an access token kills its refresh token. Where TeamViewer documents nothing, RFC 6749,
RFC 7636 and RFC 9700 decide (``invalid_grant``, code replay, PKCE downgrade).
"""
from __future__ import annotations

import base64
import hashlib
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import AuthorizationCode, Token
from .protocol import ApiError, invalid_request, same_secret

CODE_LIFETIME = timedelta(minutes=10)
# RFC 7636 §4.1-4.2: 43-128 unreserved characters; an S256 challenge is exactly 43.
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")
_TOKEN_ALPHABET = string.ascii_letters + string.digits


class UntrustedClient(Exception):
    """The client or its redirect URI is not the registered one: never redirect there."""


class AuthorizeError(Exception):
    """A refusal that is sent back to the (trusted) redirect URI, RFC 6749 §4.1.2.1."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def userid_for(email: str) -> str:
    """The sandbox user's TeamViewer user id (``u12345678``), stable for an email."""
    number = int(hash_secret(email.strip().lower())[:12], 16) % 10**8
    return f"u{number:08d}"


def name_for(email: str) -> str:
    """The sandbox user's display name, from the email's local part: ``sato@example.com`` → ``Sato``."""
    local = email.strip().partition("@")[0]
    return " ".join(part.capitalize() for part in re.split(r"[._\-+]+", local) if part) or email


def _new_token(email: str) -> str:
    # TeamViewer's tokens look like ``<digits>-<letters and digits>`` (API notes §1.3).
    random_part = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(32))
    return f"{userid_for(email)[1:]}-{random_part}"


def authorize_request_parse(params: Mapping[str, str]) -> AuthorizeRequest:
    """Check the login page's query string; raise ``UntrustedClient`` or ``AuthorizeError``."""
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if not same_secret(client_id, settings.TEAMVIEWER_CLIENT_ID):
        raise UntrustedClient("Unknown client_id.")
    if redirect_uri != settings.TEAMVIEWER_REDIRECT_URI:
        raise UntrustedClient("redirect_uri is not the one registered for this client.")
    if params.get("response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "Only response_type=code is supported.")
    return AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        state=params.get("state", ""),
        code_challenge=_code_challenge(params),
    )


def _code_challenge(params: Mapping[str, str]) -> str:
    challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "")
    if not challenge and not method:
        return ""
    # RFC 7636 §4.3: no method means "plain", which RFC 9700 §2.1.1 says not to accept.
    if method != "S256":
        raise AuthorizeError("invalid_request", "code_challenge_method must be S256.")
    if not _S256_CHALLENGE.match(challenge):
        raise AuthorizeError("invalid_request", "code_challenge is missing or malformed.")
    return challenge


def code_issue(*, request: AuthorizeRequest, email: str) -> str:
    """A new single-use authorization code for the signed-in sandbox user."""
    code = secrets.token_urlsafe(32)
    AuthorizationCode.objects.create(
        code_hash=hash_secret(code),
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        code_challenge=request.code_challenge,
        email=email.strip().lower(),
        expires_at=timezone.now() + CODE_LIFETIME,
    )
    return code


def token_grant(params: Mapping[str, Any]) -> dict[str, Any]:
    """The token endpoint: authenticate the client, then run the grant it asks for."""
    client_id = _client_authenticate(params)
    grant_type = _param(params, "grant_type")
    if grant_type == "authorization_code":
        return _code_exchange(params, client_id=client_id)
    if grant_type == "refresh_token":
        return _refresh(params, client_id=client_id)
    if not grant_type:
        raise invalid_request("grant_type is required.")
    raise ApiError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")


def _param(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_request(f"{name} must be a string.")
    return value


def _client_authenticate(params: Mapping[str, Any]) -> str:
    client_id = _param(params, "client_id")
    secret = _param(params, "client_secret")
    known = same_secret(client_id, settings.TEAMVIEWER_CLIENT_ID)
    if not (known and same_secret(secret, settings.TEAMVIEWER_CLIENT_SECRET)):
        raise ApiError(400, "invalid_client", "The client_id or client_secret is not valid.")
    return client_id


def _invalid_grant(description: str) -> ApiError:
    return ApiError(400, "invalid_grant", description)


def _code_exchange(params: Mapping[str, Any], *, client_id: str) -> dict[str, Any]:
    code_value = _param(params, "code")
    if not code_value:
        raise invalid_request("code is required.")
    code = AuthorizationCode.objects.filter(code_hash=hash_secret(code_value)).first()
    if code is None or code.client_id != client_id:
        raise _invalid_grant("The authorization code is not valid.")
    if code.used_at is not None:
        _code_replayed(code)
    if code.is_expired():
        raise _invalid_grant("The authorization code has expired.")
    if _param(params, "redirect_uri") != code.redirect_uri:
        raise _invalid_grant("redirect_uri does not match the authorization request.")
    _pkce_verify(code, _param(params, "code_verifier"))
    with transaction.atomic():
        spent = AuthorizationCode.objects.filter(pk=code.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if spent:
            return _issue(email=code.email, client_id=client_id, code=code)
    # Another exchange of the same code won the race: that is a replay too.
    _code_replayed(code)


def _code_replayed(code: AuthorizationCode) -> NoReturn:
    # RFC 6749 §4.1.2: a replayed code revokes every token issued from it. The row lock
    # waits for an exchange still in flight, so its token is revoked too.
    with transaction.atomic():
        AuthorizationCode.objects.select_for_update().filter(pk=code.pk).first()
        Token.objects.filter(code=code, revoked_at__isnull=True).update(revoked_at=timezone.now())
    raise _invalid_grant("The authorization code has already been used.")


def _pkce_verify(code: AuthorizationCode, verifier: str) -> None:
    if not code.code_challenge:
        # RFC 9700 §2.1.1: a verifier without a challenge is a downgrade attempt.
        if verifier:
            raise _invalid_grant("code_verifier sent, but the authorization request had no challenge.")
        return
    if not verifier:
        raise _invalid_grant("code_verifier is required.")
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if not _VERIFIER.match(verifier) or not same_secret(expected, code.code_challenge):
        raise _invalid_grant("code_verifier does not match the code_challenge.")


def _refresh(params: Mapping[str, Any], *, client_id: str) -> dict[str, Any]:
    value = _param(params, "refresh_token")
    if not value:
        raise invalid_request("refresh_token is required.")
    token = Token.objects.filter(refresh_hash=hash_secret(value), client_id=client_id).first()
    if token is None or token.is_revoked or token.refresh_used_at is not None:
        raise _invalid_grant("The refresh token is not valid.")
    with transaction.atomic():
        spent = Token.objects.filter(
            pk=token.pk, refresh_used_at__isnull=True, revoked_at__isnull=True
        ).update(refresh_used_at=timezone.now())
        if not spent:
            raise _invalid_grant("The refresh token is not valid.")
        # The old access token lives on until it expires, as RFC 6749 §6 allows.
        return _issue(email=token.email, client_id=client_id, code=token.code)


def _issue(*, email: str, client_id: str, code: AuthorizationCode | None) -> dict[str, Any]:
    access, refresh = _new_token(email), _new_token(email)
    lifetime = int(getattr(settings, "SANDBOX_ACCESS_TOKEN_SECONDS", 86400))
    Token.objects.create(
        access_hash=hash_secret(access),
        refresh_hash=hash_secret(refresh),
        client_id=client_id,
        email=email,
        code=code,
        access_expires_at=timezone.now() + timedelta(seconds=lifetime),
    )
    return {"access_token": access, "token_type": "bearer", "expires_in": lifetime, "refresh_token": refresh}


def token_lookup(access_token: str) -> Token | None:
    if not access_token:
        return None
    return Token.objects.filter(access_hash=hash_secret(access_token)).first()


def token_authenticate(access_token: str) -> Token:
    """The token behind a bearer header, or the 401 TeamViewer answers with."""
    token = token_lookup(access_token)
    if token is None or token.is_revoked:
        raise ApiError(401, "invalid_token", "The access token is missing, invalid or revoked.")
    if token.is_expired():
        raise ApiError(401, "token_expired", "The access token has expired.")
    return token


def token_revoke(access_token: str) -> None:
    """Revoke the access token and its refresh token; an expired one can still be revoked."""
    token = token_lookup(access_token)
    if token is None:
        raise ApiError(401, "invalid_token", "The access token is missing or invalid.")
    Token.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
