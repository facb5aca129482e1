"""Tokens and PKCE verifiers are ciphertext in the database, and the keys can be rotated."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from csm_teamviewer.crypto import DecryptionError
from tests.factories import LoginFlowFactory, TeamViewerTokenFactory
from tokens_app.models import LoginFlow, TeamViewerToken

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw_token_columns(token: TeamViewerToken) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM tokens_app_teamviewertoken WHERE id = %s", [token.pk]
        )
        return cursor.fetchone()


def raw_verifier_column(flow: LoginFlow) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_verifier FROM tokens_app_loginflow WHERE id = %s", [flow.pk])
        return cursor.fetchone()[0]


def opens_with(key: str, ciphertext: str) -> str:
    return Fernet(key.encode()).decrypt(ciphertext.encode()).decode()


@pytest.fixture
def old_key(settings):
    settings.ENCRYPTION_KEYS = [OLD_KEY]


@pytest.fixture
def secrets_under_old_key(old_key, agent):
    token = TeamViewerTokenFactory(agent=agent)
    flow = LoginFlowFactory(agent=agent)
    return token, flow, token.access_token, token.refresh_token, flow.code_verifier


def test_token_columns_hold_no_plaintext(agent, old_key):
    token = TeamViewerTokenFactory(
        agent=agent, access_token="plain-access-123", refresh_token="plain-refresh-456"
    )

    raw_access, raw_refresh = raw_token_columns(token)

    assert "plain-access-123" not in raw_access
    assert "plain-refresh-456" not in raw_refresh
    # Ciphertext of exactly these values, under the configured key.
    assert opens_with(OLD_KEY, raw_access) == "plain-access-123"
    assert opens_with(OLD_KEY, raw_refresh) == "plain-refresh-456"


def test_login_flow_verifier_column_holds_no_plaintext(agent, old_key):
    flow = LoginFlowFactory(agent=agent)
    verifier = LoginFlow.objects.get(pk=flow.pk).code_verifier

    raw = raw_verifier_column(flow)

    assert 43 <= len(verifier) <= 128  # RFC 7636 §4.1
    assert verifier not in raw
    assert opens_with(OLD_KEY, raw) == verifier


def test_equal_secrets_give_different_ciphertexts(agent, other_agent, old_key):
    first = TeamViewerTokenFactory(agent=agent, access_token="same-token")
    second = TeamViewerTokenFactory(agent=other_agent, access_token="same-token")

    assert raw_token_columns(first)[0] != raw_token_columns(second)[0]


def test_rows_under_the_old_key_still_read_after_a_new_key_is_put_first(settings, secrets_under_old_key):
    token, flow, access, refresh, verifier = secrets_under_old_key

    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    stored = TeamViewerToken.objects.get(pk=token.pk)
    assert (stored.access_token, stored.refresh_token) == (access, refresh)
    assert LoginFlow.objects.get(pk=flow.pk).code_verifier == verifier


def test_rotation_reencrypts_every_secret_under_the_new_key_alone(settings, secrets_under_old_key):
    token, flow, access, refresh, verifier = secrets_under_old_key
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = StringIO()

    call_command("rotate_encryption_keys", stdout=out)

    raw_access, raw_refresh = raw_token_columns(token)
    raw_verifier = raw_verifier_column(flow)
    assert opens_with(NEW_KEY, raw_access) == access
    assert opens_with(NEW_KEY, raw_refresh) == refresh
    assert opens_with(NEW_KEY, raw_verifier) == verifier
    with pytest.raises(InvalidToken):
        opens_with(OLD_KEY, raw_access)
    assert "tokens_app.TeamViewerToken: 1 row(s) re-encrypted" in out.getvalue()
    assert "tokens_app.LoginFlow: 1 row(s) re-encrypted" in out.getvalue()
    # After rotation the old key can go.
    settings.ENCRYPTION_KEYS = [NEW_KEY]
    assert TeamViewerToken.objects.get(pk=token.pk).access_token == access
    assert LoginFlow.objects.get(pk=flow.pk).code_verifier == verifier


def test_rotation_works_in_batches(settings, old_key, agent, other_agent):
    tokens = [TeamViewerTokenFactory(agent=a) for a in (agent, other_agent)]
    settings.ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    call_command("rotate_encryption_keys", "--batch-size=1", stdout=StringIO())

    for token in tokens:
        assert opens_with(NEW_KEY, raw_token_columns(token)[0]) == token.access_token


def test_a_row_under_a_key_no_longer_listed_raises_decryption_error(settings, secrets_under_old_key):
    token, flow, *_ = secrets_under_old_key

    settings.ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(DecryptionError, match="TeamViewerToken.access_token"):
        TeamViewerToken.objects.get(pk=token.pk)
    with pytest.raises(DecryptionError, match="LoginFlow.code_verifier"):
        LoginFlow.objects.get(pk=flow.pk)


def test_filtering_on_an_encrypted_field_fails_loudly_instead_of_matching_nothing(agent, old_key):
    TeamViewerTokenFactory(agent=agent, refresh_token="")

    with pytest.raises(FieldError, match="ciphertext"):
        list(TeamViewerToken.objects.filter(refresh_token=""))
    assert TeamViewerToken.objects.filter(refresh_token__isnull=False).count() == 1
