"""The integration account's CSM token: stored once for every process, renewed by one at a time.

CSM can refuse simultaneous logins of one user and every login takes a licence (csm-api.md
§A1), so a login or refresh is done by whoever holds a short lease on the one ``CsmToken`` row;
the others wait for its result. The lease is a conditional UPDATE, as for TeamViewer tokens
(``tokens_app/teamviewer/tokens.py``): no transaction is held across the network call, and it
works the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import CsmToken
from .errors import CsmTokenRefused, CsmUnavailable
from .http import CsmAccount, CsmHttp

logger = logging.getLogger(__name__)

# How often a caller waiting on another's login looks again.
POLL_SECONDS = 0.05
# expires_in when CSM gives none (its documented default lifetime is 1199 seconds).
DEFAULT_EXPIRES_IN = 1199


def account_digest(account: CsmAccount) -> str:
    """Names the account a stored token belongs to, without holding anything secret."""
    parts = (account.api_url.rstrip("/").lower(), account.client_id, account.username.lower(),
             account.auth_mode.lower())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class TokenKeeper:
    """Hands out a usable access token for the account, logging in or refreshing as needed."""

    def __init__(self, http: CsmHttp) -> None:
        self.http = http
        self.account = account_digest(http.account)

    def __repr__(self) -> str:
        return f"TokenKeeper({self.http!r})"

    def access_token(self, *, refused: str | None = None) -> str:
        """A usable access token; with ``refused`` (one CSM just refused), a renewed one."""
        margin = timedelta(seconds=settings.CSM_REFRESH_MARGIN_SECONDS)
        deadline: float | None = None
        while True:
            token = _singleton()
            if refused is not None:
                if token.is_usable_for(self.account, margin=timedelta(0)) and token.access_token != refused:
                    return token.access_token  # another caller has renewed it already
            elif token.is_usable_for(self.account, margin=margin):
                return token.access_token
            if _claim(token):
                return self._renew(token)
            deadline = deadline or time.monotonic() + _lease().total_seconds() * 2 + 1
            if time.monotonic() > deadline:
                raise CsmUnavailable("Another process's CSM login is taking too long.")
            time.sleep(POLL_SECONDS)

    def forget(self) -> None:
        """Drop the stored tokens (a new login follows on the next call)."""
        CsmToken.objects.filter(pk=CsmToken.SINGLETON_ID).update(
            access_token="", refresh_token="", expires_at=None, version=F("version") + 1
        )

    def _renew(self, token: CsmToken) -> str:
        """Under the lease this caller holds: refresh, or log in when that is not possible."""
        try:
            if token.can_refresh_for(self.account):
                try:
                    return self._store(token, self.http.refresh_grant(token.refresh_token), login=False)
                except CsmTokenRefused:
                    logger.info("CSM refused the refresh token; logging in again.")
            return self._store(token, self.http.password_grant(), login=True)
        except BaseException:
            CsmToken.objects.filter(pk=token.pk, version=token.version).update(lease_until=None)
            raise

    def _store(self, token: CsmToken, answer: dict[str, Any], *, login: bool) -> str:
        access = str(answer["access_token"])
        refresh = str(answer.get("refresh_token") or ("" if login else token.refresh_token))
        now = timezone.now()
        counters = {"logins": F("logins") + 1, "logged_in_at": now} if login else {"refreshes": F("refreshes") + 1}
        CsmToken.objects.filter(pk=token.pk, version=token.version).update(
            account=self.account,
            access_token=access,
            refresh_token=refresh,
            expires_at=now + timedelta(seconds=_expires_in(answer)),
            version=token.version + 1,
            lease_until=None,
            updated_at=now,
            **counters,
        )
        logger.info("CSM %s for the integration account.", "login" if login else "token refresh")
        return access


def _singleton() -> CsmToken:
    token = CsmToken.objects.filter(pk=CsmToken.SINGLETON_ID).first()
    if token is not None:
        return token
    try:
        with transaction.atomic():
            return CsmToken.objects.create(pk=CsmToken.SINGLETON_ID)
    except IntegrityError:  # another process made it first
        return CsmToken.objects.get(pk=CsmToken.SINGLETON_ID)


def _lease() -> timedelta:
    # Long enough for a refresh and a login, each at its full timeout.
    return timedelta(seconds=2 * sum(settings.CSM_TIMEOUT) + 5)


def _claim(token: CsmToken) -> bool:
    now = timezone.now()
    claimed = (
        CsmToken.objects.filter(pk=token.pk, version=token.version)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + _lease())
    )
    return claimed == 1


def _expires_in(answer: dict[str, Any]) -> int:
    # expires_in, not .expires: that one is a loosely formatted date (csm-api.md §A1).
    try:
        return max(1, int(answer.get("expires_in") or DEFAULT_EXPIRES_IN))
    except (TypeError, ValueError):
        return DEFAULT_EXPIRES_IN
