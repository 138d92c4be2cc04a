"""The one table of scheduled jobs, run by `flask scheduler run` in exactly one process.

Scheduled jobs only sweep or enqueue; the work itself runs in the workers. One scheduler
leads: on PostgreSQL it holds an advisory lock on a dedicated connection, on SQLite a lock on a
file beside the database, so a second copy started for failover waits until the first one goes
away. The leader verifies its lock before each run and steps down when it is lost.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from commerce.clusters import trademarks as cluster_trademarks
from commerce.db import Database

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 7_301_001
MISFIRE_GRACE_SECONDS = 3600


@dataclass(frozen=True)
class ScheduledJob:
    id: str
    trigger: BaseTrigger
    run: Callable[[Database], object]
    description: str


def _expire_memberships(database: Database) -> int:
    with database.session() as session:
        return cluster_trademarks.expire_memberships(session)


def _poll_orders(database: Database) -> int:
    from commerce.listings.service import PRIORITY_EVENT
    from commerce.listings.tasks import queue_for_accounts

    with database.session() as session:
        return queue_for_accounts(session, "listings.poll_orders", priority=PRIORITY_EVENT)


def _reconcile_stock(database: Database) -> int:
    from commerce.listings.service import PRIORITY_RECONCILE
    from commerce.listings.tasks import queue_for_accounts

    with database.session() as session:
        return queue_for_accounts(session, "listings.reconcile_stock", priority=PRIORITY_RECONCILE)


def _poll_customs_receipts(database: Database) -> int:
    from commerce.customs.tasks import queue_receipt_polls

    return queue_receipt_polls(database)


def _fetch_central_parity(database: Database) -> int:
    from commerce.rebates.tasks import queue_daily_fetch

    return queue_daily_fetch(database)


def _refresh_export_summary(database: Database) -> int:
    from commerce.reports.tasks import queue_recent_refresh

    return queue_recent_refresh(database)


def _requeue_stuck_jobs(database: Database) -> int:
    from commerce.jobs import service as jobs

    with database.session() as session:
        return jobs.requeue_expired(session)


def _purge_finished_jobs(database: Database) -> int:
    from datetime import timedelta

    from commerce.jobs import service as jobs

    with database.session() as session:
        return jobs.purge_finished(session, older_than=timedelta(days=7))


def scheduled_jobs() -> list[ScheduledJob]:
    """Every periodic job of the platform."""
    return [
        ScheduledJob(
            id="cluster_trademarks.expire_memberships",
            trigger=CronTrigger(hour=0, minute=5, timezone="Asia/Shanghai"),
            run=_expire_memberships,
            description="Expire trademark memberships past their validity; products lose the mark at once.",
        ),
        ScheduledJob(
            id="listings.poll_orders",
            trigger=IntervalTrigger(minutes=5),
            run=_poll_orders,
            description="Queue an order poll per marketplace account (catches orders whose webhooks were lost).",
        ),
        ScheduledJob(
            id="listings.reconcile_stock",
            trigger=CronTrigger(minute=17),
            run=_reconcile_stock,
            description="Queue a stock reconciliation per marketplace account (reads quantities back, pushes drift).",
        ),
        ScheduledJob(
            id="customs.poll_receipts",
            trigger=IntervalTrigger(minutes=1),
            run=_poll_customs_receipts,
            description="Queue a receipt poll per service platform with batches still waiting on customs.",
        ),
        ScheduledJob(
            id="rebates.fetch_parity",
            trigger=CronTrigger(day_of_week="mon-fri", hour=9, minute=40, timezone="Asia/Shanghai"),
            run=_fetch_central_parity,
            description="Queue a fetch of the last days' central parity; customs' monthly rate follows from it.",
        ),
        ScheduledJob(
            id="reports.refresh",
            trigger=IntervalTrigger(minutes=10),
            run=_refresh_export_summary,
            description="Queue a rebuild of this month's and last month's export statistics summary.",
        ),
        ScheduledJob(
            id="jobs.requeue_stuck",
            trigger=IntervalTrigger(minutes=1),
            run=_requeue_stuck_jobs,
            description="Put jobs whose worker vanished (lease over) back in the queue.",
        ),
        ScheduledJob(
            id="jobs.purge_finished",
            trigger=CronTrigger(hour=3, minute=30, timezone="Asia/Shanghai"),
            run=_purge_finished_jobs,
            description="Delete jobs finished more than a week ago (dead jobs stay until retried or handled).",
        ),
    ]


def build_scheduler(
    database: Database, *, leadership: Leadership | None = None, lost: threading.Event | None = None
) -> BackgroundScheduler:
    """A scheduler with every job registered under its explicit id; with ``leadership``, each run
    first checks that it is still held, and sets ``lost`` instead of running when it is not."""
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    lost = lost or threading.Event()
    for job in scheduled_jobs():
        run = job.run if leadership is None else guarded(job, leadership, lost)
        scheduler.add_job(
            run, trigger=job.trigger, args=[database], id=job.id, name=job.description, replace_existing=True
        )
    return scheduler


def guarded(job: ScheduledJob, leadership: Leadership, lost: threading.Event) -> Callable[[Database], object]:
    """``job``'s run, made only while ``leadership`` is verifiably held."""

    def run(database: Database) -> object:
        if not leadership.held():
            lost.set()
            log.warning("scheduler leadership lost; job not run", extra={"job_id": job.id})
            return None
        return job.run(database)

    return run


class Leadership:
    """The right to run the scheduled jobs of one database: one process holds it at a time."""

    def try_acquire(self) -> bool:
        """Take the leadership if nobody holds it; whether this process now holds it."""
        raise NotImplementedError

    def held(self) -> bool:
        """Whether this process still holds the leadership, verified now."""
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def acquire(self, stop: threading.Event, poll_seconds: float = 5.0) -> bool:
        """Wait until this process holds the leadership (False if ``stop`` is set first)."""
        while not stop.is_set():
            if self.try_acquire():
                log.info("scheduler leadership acquired")
                return True
            log.info("another scheduler is active; waiting")
            stop.wait(poll_seconds)
        return False


class AdvisoryLock(Leadership):
    """PostgreSQL: a session advisory lock on a connection of its own. The server lets it go when
    that connection ends (the process died, the network or an administrator cut it), and another
    scheduler can then take it: so the holder checks, before each run, that its connection is
    alive and still holds the lock."""

    def __init__(self, database: Database):
        self.database = database
        self.connection: Connection | None = None
        self.turns = threading.Lock()

    def try_acquire(self) -> bool:
        with self.turns:
            try:
                if self.connection is None:
                    self.connection = self.database.engine.connect()
                taken = self.connection.execute(_TRY_LOCK, {"key": LEADER_LOCK_KEY}).scalar()
                self.connection.commit()
                return bool(taken)
            except DBAPIError:
                self._forget()
                return False

    def held(self) -> bool:
        with self.turns:
            if self.connection is None:
                return False
            try:
                holds = self.connection.execute(_HOLDS_LOCK, {"key": LEADER_LOCK_KEY}).scalar()
                self.connection.commit()
            except DBAPIError:
                self._forget()
                return False
            return bool(holds)

    def release(self) -> None:
        with self.turns:
            self._forget()

    def _forget(self) -> None:
        if self.connection is not None:
            try:
                self.connection.invalidate()
                self.connection.close()
            except DBAPIError:
                pass
            self.connection = None


# Held by this very connection (an advisory lock on one bigint key has classid 0 and objid the key below 2^32).
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_HOLDS_LOCK = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid() AND classid = 0 AND objid = :key AND objsubid = 1)"
)


class LockFile(Leadership):
    """SQLite: an operating-system lock on a file beside the database, let go when the process ends.
    A lock on a file since deleted or replaced guards nothing (another process may lock the new
    one), so the holder checks, before each run, that the file it locked is still the one there."""

    def __init__(self, database_path: str):
        self.path = f"{database_path}.scheduler-lock"
        self.descriptor: int | None = None

    def try_acquire(self) -> bool:
        self.release()
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self.descriptor = descriptor
        return self.held()

    def held(self) -> bool:
        if self.descriptor is None:
            return False
        try:
            return os.fstat(self.descriptor).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)
            self.descriptor = None


class OnlyProcess(Leadership):
    """An in-memory SQLite database: no other process can share it, so the leadership is this one's."""

    def try_acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


def leadership_for(database: Database) -> Leadership:
    if not database.is_sqlite:
        return AdvisoryLock(database)
    path = database.url.removeprefix("sqlite:///")
    return OnlyProcess() if not path or path == ":memory:" else LockFile(path)


def lead(database: Database, leadership: Leadership, *, stop: threading.Event, check_seconds: float = 5.0) -> None:
    """Run the scheduled jobs while ``leadership`` holds: it is checked before each run and every
    ``check_seconds``; once it is lost the scheduler stops starting jobs and steps down."""
    lost = threading.Event()
    scheduler = build_scheduler(database, leadership=leadership, lost=lost)
    scheduler.start()
    try:
        while not stop.is_set() and not lost.is_set() and leadership.held():
            stop.wait(check_seconds)
    finally:
        scheduler.shutdown(wait=False)
        leadership.release()
    if not stop.is_set():
        log.warning("scheduler leadership lost; stepping down")


def run(database: Database, *, stop: threading.Event | None = None, poll_seconds: float = 5.0) -> None:
    """Run the scheduler until interrupted (or ``stop`` is set): wait for the leadership, lead while
    it holds, and wait again after losing it."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    for job in scheduled_jobs():
        log.info("scheduled", extra={"job_id": job.id, "trigger": str(job.trigger)})
    try:
        while not stop.is_set():
            leadership = leadership_for(database)
            if not leadership.acquire(stop, poll_seconds):
                break
            lead(database, leadership, stop=stop)
    except KeyboardInterrupt:
        stop.set()
