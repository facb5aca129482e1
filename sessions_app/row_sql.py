"""SQL written out for one model row, for the statements of a create (its costliest path).

The ORM builds and compiles each query anew, which costs more CPU than the database takes to run
it, and it cannot join an INSERT to a condition or to another write. The values here are still
prepared by the model's fields, as the ORM's own INSERT and UPDATE prepare them (defaults,
``auto_now``, encryption).
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager, nullcontext
from typing import Any, cast

from django.db import connection, models, transaction


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(field: models.Field) -> str:
    """The field's quoted column (every concrete field has one)."""
    return connection.ops.quote_name(cast(str, field.column))


def assignments(model: type[models.Model], changes: dict[str, Any]) -> tuple[str, list[Any]]:
    """``col = %s, ...`` for an UPDATE of ``changes`` (field name -> value), and its parameters."""
    fields = [cast(models.Field, model._meta.get_field(name)) for name in changes]
    sql = ", ".join(f"{_column(field)} = %s" for field in fields)
    return sql, [field.get_db_prep_save(changes[field.name], connection) for field in fields]


def insert_select(row: models.Model, tail: str = "") -> tuple[str, list[Any]]:
    """``INSERT ... SELECT <row's values> <tail>`` for an unsaved row, and its parameters.

    ``tail`` (``FROM ...``, ``WHERE ...``) decides whether the row is written. A column the
    database fills (an auto id) is left out; each value is cast to its column's type, which a
    SELECT list does not infer.
    """
    head, fields = _insert_head(type(row), connection.alias)
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    return f"{head} {tail}", values


@functools.cache
def _insert_head(model: type[models.Model], alias: str) -> tuple[str, list[models.Field]]:
    """``INSERT INTO t (cols) SELECT %s::type, ...`` and its fields: the same for every row of a
    model, and costlier to build than the values (a create builds three), so built once."""
    fields = [field for field in model._meta.concrete_fields if not field.db_returning]
    columns = ", ".join(_column(field) for field in fields)
    casts = ", ".join(f"%s::{_cast_type(field)}" for field in fields)
    return f"INSERT INTO {table(model)} ({columns}) SELECT {casts}", fields  # noqa: S608 - values are parameters


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
