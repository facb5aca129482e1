"""Encryption at rest: a model field that stores Fernet ciphertext, with key rotation.

``ENCRYPTION_KEYS`` is a list: the first key encrypts, every key decrypts, so a new key can be
put first and the old rows re-encrypted later (``manage.py rotate_encryption_keys``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.db import models


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    keys = settings.ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("ENCRYPTION_KEYS must hold at least one Fernet key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS must be comma-separated Fernet keys (32 url-safe base64-encoded bytes)."
        ) from exc


def _reset_fernet(*, setting: str, **kwargs: Any) -> None:
    if setting == "ENCRYPTION_KEYS":
        _fernet.cache_clear()


setting_changed.connect(_reset_fernet)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    return _fernet().decrypt(ciphertext.encode()).decode()


class DecryptionError(Exception):
    """A stored secret no key in ``ENCRYPTION_KEYS`` can open (a key was dropped too early)."""


class EncryptedTextField(models.TextField):
    """A text field whose database column only ever holds ciphertext."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        try:
            return decrypt(value)
        except InvalidToken as exc:
            raise DecryptionError(
                f"{self.model.__name__}.{self.name} cannot be decrypted with ENCRYPTION_KEYS."
            ) from exc

    def get_lookup(self, lookup_name: str) -> Any:
        # Fernet ciphertext is randomised: a column compared with a freshly encrypted value never
        # matches, so ``filter(secret=...)`` would silently find nothing. Only NULL checks work.
        if lookup_name != "isnull":
            raise FieldError(f"{type(self).__name__} can only be filtered with isnull (it is ciphertext).")
        return super().get_lookup(lookup_name)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt(value)


class EncryptedJSONField(EncryptedTextField):
    """JSON (dicts, lists, plain values) kept as ciphertext of its text; ``None`` stays NULL.

    A subclass of ``EncryptedTextField``, so key rotation finds it like any other secret.
    """

    if TYPE_CHECKING:
        # The values the model attribute takes and gives, as for Django's own JSONField (these are
        # the names django-stubs reads them from); without them it would inherit the text field's.
        _pyi_private_set_type: Any
        _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        text = super().from_db_value(value, expression, connection)
        return None if text is None else json.loads(text)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, cls=DjangoJSONEncoder))


def encrypted_fields() -> dict[type[models.Model], list[str]]:
    """Every model with encrypted fields, and the names of those fields."""
    from django.apps import apps

    found: dict[type[models.Model], list[str]] = {}
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if names:
            found[model] = names
    return found


def reencrypt_all(*, batch_size: int = 500) -> dict[str, int]:
    """Re-encrypt every stored secret under the first key; returns rows done per model."""
    from django.db import transaction

    done: dict[str, int] = {}
    for model, names in encrypted_fields().items():
        count, last_pk = 0, None
        while True:
            rows = model._base_manager.order_by("pk")
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            batch = list(rows.only("pk", *names)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                # Saving the decrypted values encrypts them again with the first key.
                model._base_manager.bulk_update(batch, names)
            count += len(batch)
            last_pk = batch[-1].pk
        done[model._meta.label] = count
    return done
