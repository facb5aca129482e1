"""Rows read by a written-out SELECT come back as the ORM would give them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from csm_teamviewer.row_sql import row_instance, select_columns, table
from sessions_app.models import Session
from tests.factories import SessionFactory, TeamViewerTokenFactory
from tokens_app.models import TeamViewerToken

pytestmark = pytest.mark.django_db


def _read(model, pk):
    key = model._meta.pk.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select_columns(model, 'r')} FROM {table(model)} r WHERE r.id = %s", [key])  # noqa: S608
        return row_instance(model, cursor.fetchone())


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_an_encrypted_row_is_decrypted_and_its_dates_are_aware():
    stored = TeamViewerTokenFactory(access_token="access-secret", refresh_token="refresh-secret")
    read = _read(TeamViewerToken, stored.pk)
    assert _fields(read) == _fields(TeamViewerToken.objects.get(pk=stored.pk))
    assert (read.access_token, read.refresh_token) == ("access-secret", "refresh-secret")
    assert timezone.is_aware(read.expires_at)
    assert read._state.adding is False


def test_nulls_booleans_and_uuids_read_as_the_orm_reads_them():
    stored = SessionFactory(closed_at=None, valid_until=timezone.now() + timedelta(hours=1))
    read = _read(Session, stored.pk)
    assert _fields(read) == _fields(Session.objects.get(pk=stored.pk))
    assert read.closed_at is None
