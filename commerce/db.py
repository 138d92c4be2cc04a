"""Engine and session handling, exact column types, the write-transaction rule and migrations.

Helpers for building statements, and the only place code asks which database it runs on, are in
``commerce.sql``.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from psycopg import RawCursor, RawServerCursor
from sqlalchemy import (
    BigInteger,
    DateTime,
    Numeric,
    event,
    select,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import NullPool, QueuePool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from commerce.config import PROJECT_ROOT

T = TypeVar("T")

MIGRATIONS_PATH = PROJECT_ROOT / "migrations"


# PostgreSQL's answers when a statement gave way to concurrent work: deadlock detected,
# serialization failure, lock not available.
_CONTENTION_STATES = frozenset({"40P01", "40001", "55P03"})


def gave_way(error: BaseException) -> bool:
    """Whether a database error means the work gave way to concurrent work and was rolled back
    whole (a deadlock, a lock not granted in time, SQLite's file locked past the busy timeout),
    so the same request can simply be sent again."""
    original = getattr(error, "orig", None)
    if original is None:
        return False
    if getattr(original, "sqlstate", None) in _CONTENTION_STATES:
        return True
    return isinstance(original, sqlite3.OperationalError) and "database is locked" in str(original)


def violated_check(error: BaseException) -> str | None:
    """The name of the CHECK constraint a database error says a statement broke, if it says one."""
    original = getattr(error, "orig", None)
    if original is None:
        return None
    diagnostics = getattr(original, "diag", None)
    if diagnostics is not None:
        return diagnostics.constraint_name if getattr(original, "sqlstate", None) == "23514" else None
    prefix = "CHECK constraint failed: "
    message = str(original)
    return (
        message[len(prefix) :].strip()
        if isinstance(original, sqlite3.IntegrityError) and message.startswith(prefix)
        else None
    )


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class ExactDecimal(TypeDecorator):
    """A decimal stored exactly: NUMERIC on PostgreSQL, scaled integer units on SQLite.

    SQLite keeps NUMERIC values as floating point, which loses cents on large amounts;
    an integer of 10**-scale units keeps every digit and still sums and sorts correctly.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 4, precision: int = 20):
        super().__init__()
        self.scale = scale
        self.precision = precision
        self._quantum = Decimal(1).scaleb(-scale)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(scale={self.scale}, precision={self.precision})"

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def exact(self, value):
        """The value as a decimal of this scale (None stays None); more decimal places are refused."""
        if value is None:
            return None
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        exact = value.quantize(self._quantum)
        if exact != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return exact

    def process_bind_param(self, value, dialect):
        exact = self.exact(value)
        if exact is not None and dialect.name == "sqlite":
            return int(exact.scaleb(self.scale))
        return exact

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, _dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """SQLAlchemy's recipe for real SQLite transactions: we emit BEGIN ourselves."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


_RELAXED_COMMIT = "SET LOCAL synchronous_commit TO OFF"
# Statements a PostgreSQL connection keeps prepared. psycopg prepares a statement on its fifth
# use and counts uses in a cache of this size; a worker running every kind of job sends more
# distinct statements than psycopg's default 100, which would leave them all parsed and
# planned afresh on every execution.
PREPARED_STATEMENTS = 1000

# A pooled connection idle longer than this is tested before use; busier ones are trusted.
IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, but only for connections that sat idle.

    ``pool_pre_ping`` costs a round trip on every checkout, which on a busy worker doubles the
    statements sent; a connection returned a moment ago is as alive as the server.
    """

    @event.listens_for(engine, "checkin")
    def _note_checkin(_dbapi_connection, record):
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        checked_in = record.info.get("checked_in_at")
        if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as error:
            raise DisconnectionError("the pooled connection is gone") from error


def _set_up_connection(dbapi_connection, _record) -> None:
    dbapi_connection.prepared_max = PREPARED_STATEMENTS
    # Named cursors (results streamed in batches) take $1 placeholders too, as the rest do.
    dbapi_connection.server_cursor_factory = RawServerCursor


class Database:
    """The engine of one deployment and the sessions made from it."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000, pool_size: int = 10, echo: bool = False):
        self.url = url
        self.dialect_name = url.split(":", 1)[0].split("+", 1)[0]
        if self.dialect_name == "sqlite":
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Connections are kept: opening one costs the WAL and pragma set-up, a millisecond per transaction.
            in_memory = not path or path == ":memory:"
            self.engine = create_engine(
                url,
                echo=echo,
                poolclass=NullPool if in_memory else QueuePool,
                connect_args={"check_same_thread": False},
                **({} if in_memory else {"pool_size": pool_size, "max_overflow": pool_size}),
            )
            _configure_sqlite(self.engine, busy_timeout_ms)
            if not in_memory:
                _WRITER_TURNS[self.engine] = WriterTurns(path)
        else:
            # Statements go to psycopg with PostgreSQL's own $1 placeholders, so its RawCursor sends
            # them as they are: psycopg parses a %(name)s query again on every execution once it is
            # longer than 4,096 characters (its cache's limit), 0.2 ms for an order's statement.
            self.engine = create_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=pool_size,
                paramstyle="numeric_dollar",
                connect_args={"cursor_factory": RawCursor},
            )
            _ping_when_idle(self.engine)
            event.listen(self.engine, "connect", _set_up_connection)
        self._sessions_bind = self.engine
        if self.dialect_name == "postgresql":
            self._sessions_bind = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._within: Connection | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect_name == "sqlite"

    def session(self) -> Session:
        """A new session; objects stay readable after commit.

        On PostgreSQL its reads run outside a transaction: each statement sees what is
        committed when it starts, as under READ COMMITTED, without a BEGIN and a ROLLBACK
        round trip around every request. Its writes go through ``write_transaction`` (or
        ``single_statement``), which opens a real transaction.
        """
        if self._within is not None:
            return _SessionWithin(self._within, expire_on_commit=False, join_transaction_mode="create_savepoint")
        return Session(self._sessions_bind, expire_on_commit=False)

    @contextmanager
    def sessions_within(self, connection: Connection) -> Iterator[Connection]:
        """Make every session of this database work inside ``connection``'s open transaction.

        SQLAlchemy's recipe for joining sessions into an external transaction: each session's
        commit releases a savepoint, its rollback returns to one, and whoever owns the transaction
        decides what stays (a test rolls it back). One thread at a time uses the connection, so
        this is for work confined to one thread: tests, or a dry run.
        """
        if self._within is not None:
            raise RuntimeError("sessions already work within a connection")
        self._within = connection
        try:
            yield connection
        finally:
            self._within = None

    @property
    def within(self) -> Connection | None:
        """The connection whose transaction every session joins (see ``sessions_within``), if any."""
        return self._within

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


class _SessionWithin(Session):
    """A session joined to an outer transaction (``Database.sessions_within``).

    Savepoints nest by time, not by session: a session that opened one to read, then saw other
    sessions commit inside it, would take their work away by rolling back to it. So a session
    that only read ends its savepoint as committed (when it closes or rolls back), as ending a
    read-only transaction does; one that wrote (``write_transaction``, or a flush) rolls back.
    """

    def _only_read(self) -> bool:
        transaction = self.get_transaction()
        return (
            transaction is not None
            and transaction.is_active
            and not self.info.get("writing")
            and not self.info.get("flushed")
            and not (self.new or self.dirty or self.deleted)
        )

    def rollback(self) -> None:
        if not self._only_read():
            super().rollback()
            return
        super().commit()
        self.expire_all()

    def close(self) -> None:
        if self._only_read():
            super().commit()
        super().close()


@event.listens_for(_SessionWithin, "after_flush")
def _note_flush(session, _context) -> None:
    session.info["flushed"] = True


@event.listens_for(_SessionWithin, "after_transaction_end")
def _forget_flush(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("flushed", None)


def row_for_update(session: Session, model: type[T], key: Any) -> T | None:
    """A row read afresh for a change that depends on what it holds (a status transition): on
    PostgreSQL it stays locked until the transaction ends, so two requests changing it at once
    take turns and the second sees the first's change (SQLite's writers take turns already)."""
    statement = select(model).where(sa_inspect(model).primary_key[0] == key).with_for_update()
    return session.scalars(statement.execution_options(populate_existing=True)).first()


@contextmanager
def write_transaction(session: Session, *, durable: bool = True) -> Iterator[Session]:
    """Run one unit of work that writes: committed on success, rolled back on any error.

    On SQLite the transaction starts with BEGIN IMMEDIATE so that concurrent writers queue
    on the busy timeout instead of failing when a read lock cannot be upgraded. Nested use
    joins the outer unit of work.

    ``durable=False`` is for bookkeeping whose loss in a database server crash only repeats
    idempotent work (a job given back to the queue, a rate allowance held back): on PostgreSQL
    its commit does not wait for the WAL to reach the disk, so its row locks are let go at once.
    A crash can lose the last fraction of a second of such commits, never a half of one.
    """
    if session.info.get("writing"):
        yield session
        return
    dialect = session.get_bind().dialect.name
    within = isinstance(session, _SessionWithin)
    # SQLite must start afresh with BEGIN IMMEDIATE. A PostgreSQL session that reads outside a
    # transaction starts one here; one already in a transaction carries on in it (READ
    # COMMITTED: each statement sees what is committed), which saves a COMMIT and a BEGIN.
    # A session within an outer transaction starts a savepoint of its own here, so a rollback
    # undoes this unit of work and nothing before it.
    if session.in_transaction() and (dialect == "sqlite" or within or _autocommitting(session)):
        session.commit()
    session.info["writing"] = True
    turn = None if within else _WRITER_TURNS.get(session.get_bind())
    try:
        with turn if turn is not None else nullcontext():
            if not session.in_transaction():
                if within:
                    session.connection()
                else:
                    session.connection(
                        execution_options={"sqlite_begin": "IMMEDIATE"}
                        if dialect == "sqlite"
                        else {"isolation_level": "READ COMMITTED"}
                    )
            if not durable and dialect == "postgresql":
                session.connection().exec_driver_sql(_RELAXED_COMMIT)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        session.info["writing"] = False


@contextmanager
def single_statement(session: Session) -> Iterator[Connection]:
    """Where to run a write that is a single statement (a claim, a slot of a rate allowance).

    On PostgreSQL a session reads outside a transaction (``Database.session``), and there the
    statement commits on its own: no BEGIN and COMMIT round trips, and its row locks end inside
    the server with the statement instead of lasting until this process, perhaps waiting for its
    turn among busy threads, sends a COMMIT. Inside ``write_transaction``, on a session already
    in a transaction, or on SQLite, it is an ordinary write transaction.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.info.get("writing") and _autocommitting(session):
        yield session.connection()
        return
    with write_transaction(session):
        yield session.connection()


def _autocommitting(session: Session) -> bool:
    """Whether the session's current connection commits each statement on its own."""
    return session.connection().get_execution_options().get("isolation_level") == "AUTOCOMMIT"


class WriterTurns:
    """Writers of one SQLite file take turns on an operating-system lock before BEGIN IMMEDIATE.

    SQLite's busy handler polls with sleeps of 1, 2, 5, 10 ms and more, so a writer waiting for
    the lock stays asleep long after it was freed; a writer blocked on ``flock`` wakes as soon as
    the lock is released. Each thread holds its own descriptor, so threads of one process take
    turns too. BEGIN IMMEDIATE still guards writers that do not use this (another program).
    """

    def __init__(self, database_path: str):
        self.path = f"{database_path}.writer-lock"
        self.local = threading.local()

    def __enter__(self) -> None:
        descriptor = getattr(self.local, "descriptor", None)
        if descriptor is None:
            descriptor = self.local.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)

    def __exit__(self, *_exception) -> None:
        fcntl.flock(self.local.descriptor, fcntl.LOCK_UN)


_WRITER_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurns] = weakref.WeakKeyDictionary()


def alembic_config(url: str):
    """The Alembic configuration for this project, pointed at a database URL."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_PATH))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_schema(url: str, revision: str = "head") -> None:
    """Bring the schema to a revision, one process at a time on this machine."""
    from alembic import command

    lock_path = Path(PROJECT_ROOT / "instance" / ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            command.upgrade(alembic_config(url), revision)
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
