"""The one table of scheduled jobs, run by `flask scheduler run` in exactly one process.

Scheduled jobs only sweep or enqueue; the work itself runs in the workers. On PostgreSQL
the scheduler holds an advisory lock on a dedicated connection, so a second copy started
for failover waits until the first one goes away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from commerce.clusters import service as clusters
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
        return clusters.expire_memberships(session)


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
            id="clusters.expire_memberships",
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


def build_scheduler(database: Database, scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler with every job registered under its explicit id."""
    scheduler = scheduler_class(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
    )
    for job in scheduled_jobs():
        scheduler.add_job(
            job.run, trigger=job.trigger, args=[database], id=job.id, name=job.description, replace_existing=True
        )
    return scheduler


def wait_for_leadership(database: Database, *, stop: threading.Event, poll_seconds: float = 5.0):
    """On PostgreSQL, block until this process holds the scheduler's advisory lock; returns the connection."""
    if database.is_sqlite:
        return None
    connection = database.engine.connect()
    while not stop.is_set():
        if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}).scalar():
            connection.commit()
            log.info("scheduler leadership acquired")
            return connection
        connection.rollback()
        log.info("another scheduler is active; waiting")
        stop.wait(poll_seconds)
    connection.close()
    return None


def run(database: Database) -> None:
    """Run the scheduler until interrupted."""
    stop = threading.Event()
    leader = wait_for_leadership(database, stop=stop)
    scheduler = build_scheduler(database)
    try:
        for job in scheduled_jobs():
            log.info("scheduled", extra={"job_id": job.id, "trigger": str(job.trigger)})
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if leader is not None:
            leader.close()
