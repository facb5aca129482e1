from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sessions_app.models import ApiKey
from sessions_app.services.api_keys import api_key_authenticate, api_key_revoke


def _create_key(name: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("create_api_key", name, stdout=out, stderr=err)
    return out.getvalue().strip()


def test_create_api_key_prints_the_key_once_and_stores_only_its_hash(db):
    key = _create_key("CSM production")
    stored = ApiKey.objects.get()
    assert stored.name == "CSM production"
    assert stored.digest == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.digest, stored.prefix, stored.name}
    assert key.startswith(stored.prefix)
    assert api_key_authenticate(key=key) == stored


def test_a_revoked_or_wrong_key_does_not_authenticate(db):
    key = _create_key("CSM test")
    assert api_key_authenticate(key=key + "x") is None
    api_key_revoke(api_key=ApiKey.objects.get())
    assert api_key_authenticate(key=key) is None


def test_create_api_key_refuses_an_empty_name(db):
    with pytest.raises(CommandError):
        _create_key("   ")
