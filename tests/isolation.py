"""How tests keep apart: a transaction rolled back at their end, or the tables emptied after one that shares them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from commerce.db import Database


@contextmanager
def rolled_back(database: Database) -> Iterator[Connection]:
    """Every session of ``database`` inside one transaction on one connection, rolled back at the end."""
    with database.engine.connect() as connection:
        transaction = connection.begin()
        try:
            with database.sessions_within(connection):
                yield connection
        finally:
            transaction.rollback()


def empty_all_tables(database: Database) -> None:
    """Delete every row (SQLite) or truncate every table, restarting the ids (PostgreSQL)."""
    from commerce.models import metadata

    tables = [table.name for table in metadata.sorted_tables]
    with database.engine.begin() as connection:
        if database.is_sqlite:
            for name in reversed(tables):
                connection.exec_driver_sql(f'DELETE FROM "{name}"')
        else:
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " RESTART IDENTITY CASCADE"
            )
