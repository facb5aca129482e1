"""SQL written out for model rows, for the statements every create and API call makes.

The ORM builds and compiles each query anew, which costs more CPU than the database takes to run
it, and it cannot join an INSERT to a condition or to another write. The values here are still
prepared by the model's fields, as the ORM's own INSERT and UPDATE prepare them (defaults,
``auto_now``, encryption).
"""

from __future__ import annotations

import datetime
import enum
import functools
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

M = TypeVar("M", bound=models.Model)


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _wrapper() -> BaseDatabaseWrapper:
    # The default connection itself: each use of the ``connection`` proxy looks it up again,
    # and preparing a row's values uses it several times per field.
    return connections[DEFAULT_DB_ALIAS]


def _column(field: models.Field) -> str:
    """The field's quoted column (every concrete field has one)."""
    return connection.ops.quote_name(cast(str, field.column))


def assignments(model: type[models.Model], changes: dict[str, Any]) -> tuple[str, list[Any]]:
    """``col = %s, ...`` for an UPDATE of ``changes`` (field name -> value), and its parameters."""
    wrapper = _wrapper()
    sql, fields = _assignments(model, tuple(changes), wrapper.vendor)
    return sql, [field.get_db_prep_save(changes[field.name], wrapper) for field in fields]


@functools.cache
def _assignments(model: type[models.Model], names: tuple[str, ...], _vendor: str) -> tuple[str, list[models.Field]]:
    fields = [cast(models.Field, model._meta.get_field(name)) for name in names]
    return ", ".join(f"{_column(field)} = %s" for field in fields), fields


def insert_select(row: models.Model, tail: str = "") -> tuple[str, list[Any]]:
    """``INSERT ... SELECT <row's values> <tail>`` for an unsaved row, and its parameters.

    ``tail`` (``FROM ...``, ``WHERE ...``) decides whether the row is written. A column the
    database fills (an auto id) is left out; each value is cast to its column's type, which a
    SELECT list does not infer.
    """
    wrapper = _wrapper()
    head, fields = _insert_head(type(row), wrapper.vendor)
    values = [field.get_db_prep_save(field.pre_save(row, True), wrapper) for field in fields]
    return f"{head} {tail}", values


@functools.cache
def _insert_head(model: type[models.Model], _vendor: str) -> tuple[str, list[models.Field]]:
    """``INSERT INTO t (cols) SELECT %s::type, ...`` and its fields: the same for every row of a
    model, and costlier to build than the values (a create builds three), so built once."""
    fields = [field for field in model._meta.concrete_fields if not field.db_returning]
    columns = ", ".join(_column(field) for field in fields)
    casts = ", ".join(f"%s::{_cast_type(field)}" for field in fields)
    return f"INSERT INTO {table(model)} ({columns}) SELECT {casts}", fields  # noqa: S608 - values are parameters


def fetch_one(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> tuple[Any, ...] | None:
    """Run one statement and return its first row (None when it has none)."""
    wrapper = connections[using]
    if wrapper.vendor == "postgresql":
        params = [_plain(value) for value in params]
    with wrapper.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


_PLAIN_TYPES = frozenset({str, int, bool, float, type(None)})


def _plain(value: Any) -> Any:
    """``value`` as a built-in type where PostgreSQL reads the same literal: psycopg looks up an
    adapter per type for every statement, and a choice, a UUID or a datetime cost several
    times a plain string's (a create passes about 30 of them). The column, or a cast in the
    statement, gives the literal its type."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if kind is datetime.datetime and value.tzinfo is not None:
        return value.isoformat()
    if kind is uuid.UUID:
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)  # psycopg's Int2/Int4, which Django passes for small integer fields
    return value


def mark_written(row: models.Model) -> None:
    """The row is in the database now, as a save would leave it."""
    row._state.adding = False
    row._state.db = connection.alias


def alone() -> AbstractContextManager[Any]:
    """Around one statement: in autocommit it is its own transaction; inside a caller's
    transaction a savepoint keeps its failure from breaking the caller's."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _cast_type(field: models.Field) -> str:
    # Without the length: a cast to varchar(n) would cut a longer value where the INSERT refuses it.
    if isinstance(field, models.CharField):
        return connection.ops.cast_char_field_without_max_length
    return field.cast_db_type(connection) or "text"


def select_columns(model: type[models.Model], table_alias: str) -> str:
    """``alias."col", ...`` for every concrete field of ``model``: a SELECT list ``row_instance``
    reads back (the ORM's raw queries resolve the same columns by name on every call)."""
    return _select_columns(model, table_alias, connection.vendor)


@functools.cache
def _select_columns(model: type[models.Model], table_alias: str, _vendor: str) -> str:
    return ", ".join(f"{table_alias}.{_column(field)}" for field in model._meta.concrete_fields)


def row_instance(model: type[M], values: Sequence[Any]) -> M:
    """The ``model`` instance of a row read with ``select_columns``, each value converted as the
    ORM converts it (dates on SQLite, decryption)."""
    wrapper = _wrapper()
    attnames, converters = _converters(model, wrapper)
    converted = list(values)
    for index, column, convert in converters:
        converted[index] = convert(converted[index], column, wrapper)
    return model.from_db(DEFAULT_DB_ALIAS, attnames, converted)


def joined_instance(model: type[M], values: Sequence[Any]) -> M | None:
    """``row_instance``, or None when a LEFT JOIN found no row (its columns, the key first, NULL)."""
    return None if values[0] is None else row_instance(model, values)


# Per connection: a backend's converters are methods of that connection's operations.
@functools.lru_cache(maxsize=64)
def _converters(model: type[models.Model], wrapper: BaseDatabaseWrapper) -> tuple[list[str], list[tuple]]:
    """The model's field names and, for each value that needs one, its converters in order."""
    fields = list(model._meta.concrete_fields)
    converters = []
    for index, field in enumerate(fields):
        column = field.cached_col
        for convert in (*wrapper.ops.get_db_converters(column), *column.get_db_converters(wrapper)):
            converters.append((index, column, convert))
    return [field.attname for field in fields], converters
