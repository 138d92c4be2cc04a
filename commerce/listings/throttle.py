"""Each marketplace account's request rate, held across every worker process and machine.

The allowance is one row per account keeping the moment its next request may leave (the
generic cell rate algorithm): taking a slot is a single conditional UPDATE that moves the
moment on by one interval. A worker whose slot is less than ``max_wait`` away sleeps until
then and sends; a worker that would wait longer takes no slot and puts its job back for
later, so a slow account never ties up threads that other accounts could use.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import case, select, update

from commerce.db import Database, write_transaction
from commerce.listings.models import ChannelAccount, RateAllowance
from integrations.base import RetryableError

_allowance = RateAllowance.__table__


class AllowanceExhausted(RetryableError):
    """Our own pacing: the account's next free slot is too far away to wait for in a thread."""


class DatabaseGate:
    """A RateGate for one account, shared through the database."""

    def __init__(
        self,
        database: Database,
        *,
        account_id: int,
        rate_per_second: float,
        max_wait: float = 1.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.database = database
        self.account_id = account_id
        self.interval = 1.0 / rate_per_second
        self.max_wait = max_wait
        self.clock = clock
        self.sleep = sleep

    def acquire(self) -> None:
        now = self.clock()
        column = _allowance.c.next_slot
        start_from = case((column < now, now), else_=column)
        with self.database.session() as session, write_transaction(session):
            taken = session.execute(
                update(_allowance)
                .where(_allowance.c.channel_account_id == self.account_id, column <= now + self.max_wait)
                .values(next_slot=start_from + self.interval)
                .returning(column)
            ).scalar()
            if taken is None:
                next_slot = session.execute(
                    select(column).where(_allowance.c.channel_account_id == self.account_id)
                ).scalar()
        if taken is not None:
            wait = taken - self.interval - now
            if wait > 0:
                self.sleep(wait)
            return
        wait = (next_slot or now) - now - self.max_wait
        raise AllowanceExhausted(
            "waiting for the account's rate allowance", retry_after=max(wait, self.interval), throttled=True
        )

    def penalize(self, seconds: float) -> None:
        until = self.clock() + seconds
        column = _allowance.c.next_slot
        with self.database.session() as session, write_transaction(session):
            session.execute(
                update(_allowance)
                .where(_allowance.c.channel_account_id == self.account_id, column < until)
                .values(next_slot=until)
            )
            session.execute(
                update(ChannelAccount)
                .where(ChannelAccount.id == self.account_id)
                .values(throttled_count=ChannelAccount.throttled_count + 1)
            )
