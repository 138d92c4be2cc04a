"""Rate allowances shared by every worker process and machine (one per rate-limited counterpart account).

An allowance is one row keeping the moment its next request may leave (the generic cell rate
algorithm): taking a slot is a single conditional UPDATE that moves the moment on by one
interval. A claim takes a slot for each job under a rate key it takes, no further ahead than its
horizon, and skips the others (``service.claim``): the job's first request then leaves at its
slot (``prepaid_slot``). Any further request takes a slot when it is sent: a worker whose slot
is less than ``max_wait`` away sleeps until then and sends, and one that would wait longer takes
no slot and puts its job back for later without using up an attempt. On PostgreSQL a slot is
taken by a statement that commits on its own, so the allowance's row is locked only for as long
as the server takes to run it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, case, select, update
from sqlmodel import Session

from commerce.db import Database, single_statement, write_transaction
from commerce.jobs.models import CostBucketState, RateAllowance
from commerce.sql import dialect_insert, dialect_of, upsert
from integrations.base import RetryableError

_allowance = RateAllowance.__table__
log = logging.getLogger(__name__)


class AllowanceExhausted(RetryableError):
    """Our own pacing: the next free slot is too far away to wait for in a thread."""


def open_allowance(session: Session, key: str, *, rate_per_second: float) -> None:
    """Create the allowance of a rate key, or set its rate (in the caller's transaction)."""
    insert = dialect_insert(dialect_of(session), _allowance)
    slot_seconds = 1.0 / rate_per_second
    session.execute(
        insert.values(key=key, next_slot=0.0, slot_seconds=slot_seconds).on_conflict_do_update(
            index_elements=["key"], set_={"slot_seconds": slot_seconds}
        )
    )


# Where the next slot starts: the allowance's next slot, or :now if that has passed.
_FREE_FROM = case((_allowance.c.next_slot < bindparam("now"), bindparam("now")), else_=_allowance.c.next_slot)
# Take the next slot if it is no later than :latest.
_TAKE_SLOT = (
    update(_allowance)
    .where(_allowance.c.key == bindparam("rate_key"), _allowance.c.next_slot <= bindparam("latest"))
    .values(next_slot=_FREE_FROM + bindparam("interval"))
    .returning(_allowance.c.next_slot)
)
_NEXT_SLOT = select(_allowance.c.next_slot).where(_allowance.c.key == bindparam("rate_key"))


# Take ``count`` slots in a row, however far ahead; returns where they end.
_TAKE_SLOTS = (
    update(_allowance)
    .where(_allowance.c.key == bindparam("rate_key"))
    .values(next_slot=_FREE_FROM + _allowance.c.slot_seconds * bindparam("count"))
    .returning(_allowance.c.next_slot, _allowance.c.slot_seconds)
)
# Give one slot back, unless the allowance has been idle since.
_GIVE_BACK = (
    update(_allowance)
    .where(
        _allowance.c.key == bindparam("rate_key"),
        _allowance.c.next_slot - _allowance.c.slot_seconds >= bindparam("now"),
    )
    .values(next_slot=_allowance.c.next_slot - _allowance.c.slot_seconds)
)


def take_slots(connection: Connection, key: str, count: int, *, now: float) -> list[float]:
    """Take ``count`` consecutive slots of a key's allowance (it must know its slot length), in the
    caller's transaction; returns the moment of each, earliest first."""
    end, slot_seconds = connection.execute(_TAKE_SLOTS, {"rate_key": key, "now": now, "count": count}).one()
    start = end - count * slot_seconds
    return [start + index * slot_seconds for index in range(count)]


@dataclass
class PrepaidSlot:
    """A slot taken in advance for the first request of a block of work under ``key``."""

    key: str
    at: float
    used: bool = False


_prepaid: ContextVar[PrepaidSlot | None] = ContextVar("prepaid_slot", default=None)


@contextmanager
def prepaid_slot(
    database: Database, key: str, at: float, *, clock: Callable[[], float] = time.time
) -> Iterator[PrepaidSlot]:
    """Run a block whose first request under ``key`` leaves at the slot already taken at ``at``.

    A slot the block did not use (it had nothing to send, or failed first) is given back, so the
    allowance does not go to waste.
    """
    slot = PrepaidSlot(key, at)
    token = _prepaid.set(slot)
    try:
        yield slot
    finally:
        _prepaid.reset(token)
        if not slot.used:
            try:
                with database.session() as session, single_statement(session) as connection:
                    connection.execute(_GIVE_BACK, {"rate_key": key, "now": clock()})
            except Exception:
                log.exception("giving back a rate allowance slot failed", extra={"rate_key": key})


def _take_slot(connection: Connection, parameters: dict) -> tuple[float | None, float | None]:
    """(the slot's end if one was taken, else None; the next free slot when none was)."""
    taken = connection.execute(_TAKE_SLOT, parameters).scalar()
    if taken is not None:
        return taken, None
    return None, connection.execute(_NEXT_SLOT, {"rate_key": parameters["rate_key"]}).scalar()


class DatabaseGate:
    """A RateGate over one rate key, shared through the database."""

    def __init__(
        self,
        database: Database,
        *,
        key: str,
        rate_per_second: float,
        max_wait: float = 1.0,
        on_penalty: Callable[[Session], None] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.database = database
        self.key = key
        self.interval = 1.0 / rate_per_second
        self.max_wait = max_wait
        self.on_penalty = on_penalty
        self.clock = clock
        self.sleep = sleep

    def acquire(self) -> None:
        prepaid = _prepaid.get()
        if prepaid is not None and not prepaid.used and prepaid.key == self.key:
            prepaid.used = True
            wait = prepaid.at - self.clock()
            if wait > 0:
                self.sleep(wait)
            return
        now = self.clock()
        parameters = {"rate_key": self.key, "now": now, "latest": now + self.max_wait, "interval": self.interval}
        with self.database.session() as session, single_statement(session) as connection:
            taken, next_slot = _take_slot(connection, parameters)
        if taken is not None:
            wait = taken - self.interval - now
            if wait > 0:
                self.sleep(wait)
            return
        if next_slot is None:
            raise RetryableError(f"no rate allowance named {self.key!r}")
        wait = next_slot - now - self.max_wait
        raise AllowanceExhausted(
            "waiting for the account's rate allowance", retry_after=max(wait, self.interval), throttled=True
        )

    def penalize(self, seconds: float) -> None:
        until = self.clock() + seconds
        column = _allowance.c.next_slot
        with self.database.session() as session, write_transaction(session, durable=False):
            session.execute(
                update(_allowance).where(_allowance.c.key == self.key, column < until).values(next_slot=until)
            )
            if self.on_penalty is not None:
                self.on_penalty(session)


_bucket = CostBucketState.__table__
# The points the bucket holds now: what it held when last described, plus what came back since, at most full.
_HOLDS = _bucket.c.available + (bindparam("now") - _bucket.c.seen) * _bucket.c.restore_rate
_NOW_HOLDS = case((_bucket.c.maximum < _HOLDS, _bucket.c.maximum), else_=_HOLDS)
_TAKE_POINTS = (
    update(_bucket)
    .where(
        _bucket.c.key == bindparam("bucket_key"),
        case((bindparam("need") > _bucket.c.maximum, _bucket.c.maximum), else_=bindparam("need")) <= _NOW_HOLDS,
    )
    .values(available=_NOW_HOLDS - bindparam("cost"), seen=bindparam("now"))
    .returning(_bucket.c.key)
)
_BUCKET = select(_NOW_HOLDS, _bucket.c.restore_rate, _bucket.c.maximum).where(_bucket.c.key == bindparam("bucket_key"))


class DatabaseBucket:
    """A CostBucket shared through the database by every worker of an account: each answer writes
    what the counterpart said, and each call takes its points with one conditional UPDATE, so two
    processes never count on the same points."""

    def __init__(self, database: Database, *, key: str, clock: Callable[[], float] = time.time):
        self.database = database
        self.key = key
        self.clock = clock

    def take(self, cost: float, *, reserve: float) -> float:
        now = self.clock()
        parameters = {"bucket_key": self.key, "now": now, "cost": cost, "need": cost + reserve}
        with self.database.session() as session, single_statement(session) as connection:
            if connection.execute(_TAKE_POINTS, parameters).first() is not None:
                return 0.0
        with self.database.session() as session:
            known = session.connection().execute(_BUCKET, parameters).first()
        if known is None:
            return 0.0  # not described yet: the first answer will say
        holds, rate, most = known
        if rate <= 0:
            return 0.0
        # Another worker took the points between the two statements when nothing is missing.
        return max((min(cost + reserve, most) - holds) / rate, 0.01)

    def observe(self, available: float, *, rate: float, most: float) -> None:
        values = {"available": available, "restore_rate": rate, "maximum": most, "seen": self.clock()}
        with self.database.session() as session, write_transaction(session, durable=False):
            upsert(
                session, _bucket, [{"key": self.key, **values}], conflict_columns=["key"], update_columns=list(values)
            )
