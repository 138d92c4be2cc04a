"""The background worker: claims jobs, runs their handlers, records the outcome."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from importlib import import_module
from typing import Any

from commerce.deployment import Deployment
from commerce.jobs import pacing, service
from commerce.jobs.models import Job
from integrations.base import RetryableError, TerminalError

log = logging.getLogger(__name__)

# How long a job that got part of its work done waits before the rest, when the failure named no wait.
PART_DONE_PAUSE_SECONDS = 1.0

# Each handler is called as handler(deployment, job) and must be idempotent.
HANDLERS: dict[str, str] = {
    "catalog.import": "commerce.catalog.imports:run_import_job",
    "listings.publish": "commerce.listings.tasks:publish_listing",
    "listings.check": "commerce.listings.tasks:check_listing",
    "listings.push_stock": "commerce.listings.tasks:push_stock",
    "listings.withdraw": "commerce.listings.tasks:withdraw_listing",
    "listings.event": "commerce.listings.tasks:handle_event",
    "listings.poll_orders": "commerce.listings.tasks:poll_orders",
    "listings.subscribe_webhooks": "commerce.listings.tasks:subscribe_webhooks",
    "listings.reconcile_stock": "commerce.listings.tasks:reconcile_stock",
    "aftersales.follow": "commerce.aftersales.marketplace:follow",
    "aftersales.poll": "commerce.aftersales.marketplace:poll",
    "settlement.import_payouts": "commerce.settlement.payouts:import_payouts",
    "customs.submit": "commerce.customs.tasks:send_batch",
    "customs.poll_receipts": "commerce.customs.tasks:poll_receipts",
    "customs.cancel_list": "commerce.customs.tasks:send_cancellation",
    "rebates.fetch_parity": "commerce.rebates.tasks:fetch_parity",
    "reports.refresh": "commerce.reports.tasks:refresh_summary",
}


# Kinds whose work holds the processor (signing customs' messages, reading an imported sheet): a
# process runs one at a time, so that a batch's lanes spread over worker processes, one a core,
# instead of its threads, and a process's memory holds one sheet being read, not one a thread.
CPU_BOUND_KINDS = frozenset({"customs.submit", "catalog.import"})


def _handler(kind: str) -> Callable[..., Any]:
    module_name, function_name = HANDLERS[kind].split(":")
    return getattr(import_module(module_name), function_name)


class Worker:
    """Runs queued jobs; start as many as needed on any machine sharing the database."""

    def __init__(self, deployment: Deployment, *, worker_id: str | None = None, clock: Callable[[], float] = time.time):
        self.deployment = deployment
        self.database = deployment.database
        self.settings = deployment.settings
        # Seconds since the epoch: when jobs are due, leases end and rate allowance slots come.
        self.clock = clock
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        # A third of a lease: two beats can be missed before another worker may take a job over.
        self.heartbeat_seconds = self.settings.job_lease_seconds / 3
        self._next_vacuum = 0.0

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _thread_id(self) -> str:
        return f"{self.worker_id}:{threading.get_ident()}"

    def run_once(self, *, limit: int = 1) -> int:
        """Claim and run up to ``limit`` due jobs; returns how many were run."""
        holder = self._thread_id()
        with self.database.session() as session:
            jobs = service.claim(
                session,
                worker_id=holder,
                lease_seconds=self.settings.job_lease_seconds,
                limit=limit,
                now=self.now(),
                pace_horizon=self.settings.marketplace_max_wait_seconds,
            )
        for job in jobs:
            self._run(job, holder)
        return len(jobs)

    def _run(self, job: Job, holder: str) -> None:
        log.debug("job started", extra={"job_id": job.id, "kind": job.kind, "attempt": job.attempts})
        if job.kind not in HANDLERS:
            self._fail(job, holder, f"no handler for job kind {job.kind!r}", terminal=True)
            return
        try:
            with self._slot(job):
                _handler(job.kind)(self.deployment, job)
        except RetryableError as error:
            if error.throttled:
                # Only a rate limit was met: the job goes back for the time named, its attempts kept.
                with self.database.session() as session:
                    service.release(
                        session, job_id=job.id, worker_id=holder, delay=error.retry_after or 1.0, now=self.now()
                    )
            else:
                self._fail(job, holder, str(error), retry_after=error.retry_after)
        except service.PartlyDone as partial:
            with self.database.session() as session:
                service.release(
                    session,
                    job_id=job.id,
                    worker_id=holder,
                    delay=partial.retry_after or PART_DONE_PAUSE_SECONDS,
                    progressed=str(partial),
                    now=self.now(),
                )
            log.info("job partly done", extra={"job_id": job.id, "kind": job.kind, "error": str(partial)[:300]})
        except TerminalError as error:
            self._fail(job, holder, str(error), terminal=True)
        except Exception:
            log.exception("job failed", extra={"job_id": job.id, "kind": job.kind})
            self._fail(job, holder, traceback.format_exc(limit=5))
        else:
            with self.database.session() as session:
                service.complete(session, job_id=job.id, worker_id=holder)
            log.debug("job done", extra={"job_id": job.id, "kind": job.kind})

    def _slot(self, job: Job):
        """The rate allowance slot the claim took for the job, for its first request."""
        if job.slot_at is None or job.rate_key is None:
            return nullcontext()
        return pacing.prepaid_slot(self.database, job.rate_key, job.slot_at, clock=self.clock)

    def _fail(self, job: Job, holder: str, error: str, **options: Any) -> None:
        with self.database.session() as session:
            status = service.fail(session, job_id=job.id, worker_id=holder, error=error, now=self.now(), **options)
        log.warning(
            "job attempt failed",
            extra={"job_id": job.id, "kind": job.kind, "status": str(status), "error": error[:300]},
        )

    @property
    def sweep_seconds(self) -> float:
        """How often a worker puts back the jobs of vanished workers (a quarter of a lease)."""
        return max(self.settings.job_lease_seconds / 4, 2.0)

    def requeue_expired(self) -> None:
        """Put back the jobs of vanished workers (their lease ran out)."""
        try:
            with self.database.session() as session:
                service.requeue_expired(session, now=self.now())
        except Exception:
            log.exception("requeueing expired jobs failed")

    def vacuum_queue(self) -> None:
        """Clear the queue's dead rows and refresh its statistics (PostgreSQL; see ``service.vacuum_queue``)."""
        try:
            service.vacuum_queue(self.database)
        except Exception:
            log.exception("vacuuming the job queue failed")

    def _sweep_when_due(self, next_sweep: float) -> float:
        """Requeue expired jobs (and vacuum the queue) if the sweep is due; returns when the next one is."""
        now = time.monotonic()
        if now < next_sweep:
            return next_sweep
        self.requeue_expired()
        vacuum_every = self.settings.job_vacuum_seconds
        if vacuum_every and now >= self._next_vacuum:
            self.vacuum_queue()
            self._next_vacuum = time.monotonic() + vacuum_every
        return time.monotonic() + self.sweep_seconds

    def renew_leases(self, holder: str) -> None:
        """Extend the leases of the jobs this worker is running."""
        try:
            with self.database.session() as session:
                service.renew_leases(
                    session, worker_id=holder, lease_seconds=self.settings.job_lease_seconds, now=self.now()
                )
        except Exception:
            log.exception("renewing job leases failed")

    @contextmanager
    def _heartbeat(self, holder: str) -> Iterator[None]:
        """Renew ``holder``'s leases every ``heartbeat_seconds`` while the block runs."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat_seconds):
                self.renew_leases(holder)

        thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def run_until(self, stop: threading.Event) -> None:
        """Keep running jobs until ``stop`` is set, pausing when the queue is empty."""
        next_sweep = 0.0
        with self._heartbeat(self._thread_id()):
            while not stop.is_set():
                next_sweep = self._sweep_when_due(next_sweep)
                try:
                    ran = self.run_once(limit=1)
                except Exception:
                    log.exception("worker loop error")
                    ran = 0
                if not ran:
                    stop.wait(self.settings.worker_poll_seconds)

    def run_threads(self, stop: threading.Event, *, threads: int) -> None:
        """Run jobs on ``threads`` threads until ``stop`` is set (jobs mostly wait on the network).

        One loop claims as many due jobs as there are idle threads, in a single transaction,
        and hands them over; when nothing is due it waits a poll interval. Claiming in one
        place keeps the database from answering an empty claim per idle thread.
        """
        idle = threading.Semaphore(threads)
        holder = f"{self.worker_id}:pool"
        busy_cpu = threading.Event()

        def run(job: Job) -> None:
            try:
                self._run(job, holder)
            finally:
                if job.kind in CPU_BOUND_KINDS:
                    busy_cpu.clear()
                idle.release()

        next_sweep = 0.0
        with self._heartbeat(holder), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="job") as pool:
            while not stop.is_set():
                next_sweep = self._sweep_when_due(next_sweep)
                if not idle.acquire(timeout=0.5):
                    continue
                free = 1
                while free < threads and idle.acquire(blocking=False):
                    free += 1
                try:
                    with self.database.session() as session:
                        jobs = service.claim(
                            session,
                            worker_id=holder,
                            lease_seconds=self.settings.job_lease_seconds,
                            limit=free,
                            now=self.now(),
                            pace_horizon=self.settings.marketplace_max_wait_seconds,
                            cpu_bound=CPU_BOUND_KINDS,
                            cpu_free=not busy_cpu.is_set(),
                        )
                except Exception:
                    log.exception("worker claim error")
                    jobs = []
                for _ in range(free - len(jobs)):
                    idle.release()
                for job in jobs:
                    if job.kind in CPU_BOUND_KINDS:
                        busy_cpu.set()
                    pool.submit(run, job)
                if not jobs:
                    stop.wait(self.settings.worker_poll_seconds)
