"""Rows read by a written-out SELECT come back as the ORM would give them."""

from __future__ import annotations

import uuid
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


@pytest.mark.postgres
def test_fetch_one_passes_choices_uuids_times_and_small_integers_as_plain_literals(requires_postgres, db):
    from django.test.utils import CaptureQueriesContext
    from psycopg.types.numeric import Int2

    from csm_teamviewer.row_sql import fetch_one

    at = timezone.now() - timedelta(days=3)
    session_id = uuid.uuid4()
    sql = "SELECT %s::varchar, %s::uuid, %s::timestamp with time zone, %s::smallint, %s, %s"
    with CaptureQueriesContext(connection) as statements:
        row = fetch_one(sql, [Session.State.OPEN, session_id, at, Int2(7), True, None])
    assert row == ("open", session_id, at, 7, True, None)
    # As psycopg writes a plain string: no cast of its own beside the statement's.
    [statement] = statements.captured_queries
    assert f"'{session_id}'::uuid" in statement["sql"]
    assert "::uuid::uuid" not in statement["sql"] and "'7'" not in statement["sql"]
