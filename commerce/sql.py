"""Building statements for both databases: the one place code asks which database it runs on.

A statement that differs between PostgreSQL and SQLite takes the difference from here (an
INSERT with ``ON CONFLICT``, a list of ids as an array, byte order, JSON objects, bulk loads).
Faster ways written for PostgreSQL alone (``orders.postgresql``, ``catalog.postgresql``) are
chosen with ``on_postgresql``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from psycopg import errors as driver_errors
from sqlalchemy import (
    Select,
    String,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    type_coerce,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.db import ExactDecimal

# Below this many rows a multi-row INSERT is one round trip, where COPY takes several.
COPY_FROM_ROWS = 50


def exact_sum(column: Any, scale: int = 4, *, or_zero: bool = False) -> Any:
    """The sum of a column of exact decimals, read back exactly at ``scale`` places (the column's
    own: SQLite keeps them as scaled integers); with ``or_zero``, 0 where there is no row."""
    total = func.sum(column)
    if or_zero:
        total = func.coalesce(total, 0)
    return type_coerce(total, ExactDecimal(scale))


def among(session: Session, column: Any, values: Sequence[Any]):
    """``column IN values``; on PostgreSQL sent as ``= ANY(array)``, one short statement whatever the count.

    Long IN lists are a statement of their own for every length, which the driver re-parses and
    the server re-plans; an array parameter keeps one prepared statement.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(list(values), type_=postgresql.ARRAY(column.type)))
    return column.in_(list(values))


def fixed_text(value: str):
    """A fixed string of ours (an enum's value) written into a statement as an SQL literal, where a
    parameter would be rendered or sent again on every execution."""
    return literal_column(f"'{value}'")


def formatted(template: str, value: Any) -> Any:
    """SQL for ``template.format(value)``, ``template`` holding one ``{}``: a key or name a Python
    function makes from the same template (``listings.service.stock_key``) built in a statement."""
    before, after = template.split("{}")
    expression = cast(value, String)
    if before:
        expression = literal_column(f"'{before}'", String) + expression
    if after:
        expression = expression + literal_column(f"'{after}'", String)
    return expression


def json_object(dialect: str, **values: Any) -> Any:
    """SQL building a JSON object of these keys and SQL values."""
    build = func.json_build_object if dialect == "postgresql" else func.json_object
    return build(*(part for name, value in values.items() for part in (literal_column(f"'{name}'"), value)))


def among_selected(dialect: str, column: Any, ids: Select) -> Any:
    """``column IN (ids)``; on PostgreSQL ``= ANY(ARRAY(ids))``, the ids gathered once before the
    walk, so the planner need not guess the subquery's size (a catalogue page of a cluster's
    firms was measured 150 times faster so)."""
    if dialect == "postgresql":
        return column == any_(func.array(ids.scalar_subquery()))
    return column.in_(ids)


def in_byte_order(dialect: str, column: Any) -> Any:
    """The column ordered by its bytes (codes as customs' files sort them): PostgreSQL orders
    text by the database's locale unless told ``C``; SQLite compares bytes already."""
    return column.collate("C") if dialect == "postgresql" else column


def refresh_statistics(session: Session, tables: Sequence[str]) -> None:
    """After a bulk load: PostgreSQL's planner statistics and visibility map brought up to date at
    once, rather than when autovacuum comes by (SQLite keeps no statistics unless asked)."""
    if dialect_of(session) != "postgresql":
        return
    with session.get_bind().engine.connect() as connection:
        names = ", ".join(tables)
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            f"VACUUM (ANALYZE, SKIP_LOCKED) {names}"
        )


def among_parameter(dialect: str, column: Any, name: str, *, single: bool = False):
    """``column IN :name`` for a statement built once (see ``prebuilt``), the values given when it runs.

    One statement text whatever the count, where an expanding IN is rendered again for every
    execution: on PostgreSQL ``= ANY(:name)`` with an array, on SQLite ``IN (SELECT value FROM
    json_each(:name))`` with the values as a JSON array (SQLite still looks each one up by its key).

    ``single``: ``column = :name``, the one value given as it is, for a hot statement that mostly
    runs for one value (a one-line order): psycopg sends no array (building one costs more than
    the statement's other parameters together), SQLite reads no JSON, and the plan PostgreSQL
    keeps for a prepared statement (``db.PREPARED_STATEMENTS``) is made for one row where an array
    of unknown length is planned for ten.
    """
    if single:
        return column == bindparam(name, type_=column.type)
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam(name, type_=JsonList()))))


class JsonList(TypeDecorator):
    """A list of plain values sent as its JSON text (for SQLite's ``json_each``)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):  # noqa: ARG002 (SQLAlchemy's signature)
        return None if value is None else json.dumps(list(value))


_PREBUILT: dict[tuple[Any, ...], Any] = {}


def prebuilt(executor: Session | Connection, build: Callable[..., Any], *shape: Hashable) -> Any:
    """The statement ``build(dialect_name, *shape)`` makes, built once per database kind and shape.

    For statements on hot paths whose shape depends on the dialect (ON CONFLICT, FOR UPDATE,
    JSON functions) or on a few choices (which filters a list has): building and caching them by
    hand saves SQLAlchemy's construction and cache-key work on every call.
    """
    key = (build, dialect_of(executor), *shape)
    statement = _PREBUILT.get(key)
    if statement is None:
        statement = _PREBUILT[key] = build(*key[1:])
    return statement


def dialect_of(executor: Session | Connection) -> str:
    """The kind of database a session or connection talks to: ``postgresql`` or ``sqlite``."""
    if isinstance(executor, Connection):
        return executor.dialect.name
    return executor.get_bind().dialect.name


def on_postgresql(executor: Session | Connection) -> bool:
    """Whether a faster way written for PostgreSQL alone may be taken (see ``orders.postgresql``)."""
    return dialect_of(executor) == "postgresql"


def dialect_insert(dialect: str, table: Any) -> Any:
    """An INSERT into ``table`` that knows the database's ``ON CONFLICT`` clauses (SQLAlchemy spells
    PostgreSQL's and SQLite's alike, from different constructs)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def upsert(
    session: Session,
    table: Any,
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """Insert rows, updating the named columns where the conflict columns already exist."""
    if not rows:
        return
    statement = dialect_insert(dialect_of(session), table)
    statement = statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={name: getattr(statement.excluded, name) for name in update_columns},
    )
    session.execute(statement, list(rows))


def bulk_insert(
    session: Session, table: Any, rows: Sequence[dict[str, Any]], *, returning_ids: bool = False
) -> list[int]:
    """Insert many rows fast in the caller's transaction; returns their new ids, in order, if asked.

    On PostgreSQL the ids are drawn from the table's sequence first and the rows are sent
    with COPY, which is many times faster than multi-row INSERT statements. Elsewhere it is
    a multi-row INSERT ... RETURNING.
    """
    if not rows:
        return []
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        if not returning_ids:
            connection.execute(table.insert(), list(rows))
            return []
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.execute(statement, list(rows)).scalars())
    if len(rows) < COPY_FROM_ROWS and not returning_ids:
        connection.execute(table.insert(), list(rows))
        return []
    columns = list(rows[0])
    ids: list[int] = []
    if returning_ids:
        ids = list(
            connection.execute(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"),
                {"table": table.name, "count": len(rows)},
            ).scalars()
        )
    converters = [_copy_converter(table.c[name].type, dialect) for name in columns]
    plain = all(converter is None for converter in converters)
    cursor = connection.connection.driver_connection.cursor()
    names = ", ".join(f'"{name}"' for name in (["id"] if returning_ids else []) + columns)
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for index, row in enumerate(rows):
                values = (
                    [row[name] for name in columns]
                    if plain
                    else [
                        row[name] if converter is None else converter(row[name])
                        for name, converter in zip(columns, converters, strict=True)
                    ]
                )
                copy.write_row([ids[index], *values] if returning_ids else values)
    except driver_errors.IntegrityError as error:
        raise IntegrityError(f"COPY {table.name}", None, error) from error
    return ids


def _copy_converter(column_type: Any, dialect: Any):
    """The column's bind processing for COPY (None when there is none), done once for a value
    repeated across rows, such as a timestamp."""
    if isinstance(column_type, ExactDecimal):
        # PostgreSQL takes the decimal itself: only its scale needs checking (a COPY may carry a million).
        return column_type.exact
    processor = column_type._cached_bind_processor(dialect)
    if processor is None:
        return None
    last: list[Any] = [object(), None]

    def convert(value: Any) -> Any:
        if value is last[0] and not isinstance(value, dict | list):
            return last[1]
        last[0], last[1] = value, processor(value)
        return last[1]

    return convert
