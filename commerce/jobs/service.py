"""Enqueueing, claiming and finishing jobs; any number of workers share the queue safely.

A job is claimed by moving it to ``running`` with a lease (and, under a rate key, a slot of its
allowance). PostgreSQL workers skip rows other workers hold (``FOR UPDATE SKIP LOCKED``); on
SQLite the claim runs under BEGIN IMMEDIATE, which serialises claimers. A live worker renews
the leases of the jobs it runs on a heartbeat; a worker that dies leaves them to expire, after
which the jobs are claimed again: handlers are idempotent. Jobs with the same key never run at
the same time: a queued job waits while its twin runs.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Insert, Select, bindparam, case, exists, func, or_, select, text, update
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.db import Database, single_statement, utcnow, write_transaction
from commerce.errors import N_, Conflict, NotFound
from commerce.jobs.models import Job, JobStatus, RateAllowance
from commerce.jobs.pacing import take_slots
from commerce.pagination import Page, fetch_page
from commerce.sql import among_parameter, dialect_insert, prebuilt

_job = Job.__table__
_allowance = RateAllowance.__table__
# The predicate of the partial unique index, written as the index has it (PostgreSQL matches it literally).
QUEUED_ONLY = text("status = 'queued'")


# How many times a job runs before it is dead, unless its kind says otherwise.
MAX_ATTEMPTS = 8


class JobNotRetryable(Conflict):
    code = "job_not_retryable"
    message = N_("Only dead jobs can be retried.")


def lower_of(left, right):
    """The smaller of two SQL values, on both databases."""
    return case((left <= right, left), else_=right)


def enqueue(session: Session, **job: Any) -> int:
    """Queue a unit of work in the caller's transaction (``job_row``'s keywords but ``now``); returns its id.

    A job already queued under the same key is reused: the newest request decides what it
    does (kind and payload) and it takes the more urgent priority and the earlier run time.
    """
    return session.execute(prebuilt(session, enqueue_statement), job_row(**job, now=utcnow())).scalar_one()


def job_row(
    *,
    kind: str,
    key: str,
    payload: dict[str, Any] | None = None,
    priority: int = 100,
    run_at: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    rate_key: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """The columns of a job queued at ``now`` (``ENQUEUED_COLUMNS``), to run at ``run_at`` or at once."""
    return {
        "kind": kind,
        "key": key,
        "payload": payload or {},
        "status": JobStatus.QUEUED.value,
        "priority": priority,
        "attempts": 0,
        "max_attempts": max_attempts,
        "rate_key": rate_key,
        "run_at": run_at or now,
        "created_at": now,
    }


def enqueue_statement(dialect: str, rows: Select | None = None) -> Insert:
    """The INSERT that queues a job, returning its id: of a row of ``ENQUEUED_COLUMNS`` given as
    parameters, or of what ``rows`` selects (those columns in that order). A job already queued
    under the same key absorbs it: the newer kind and payload, the more urgent priority, the
    earlier run time."""
    insert = dialect_insert(dialect, _job)
    if rows is None:
        insert = insert.values({name: bindparam(name) for name in ENQUEUED_COLUMNS})
    else:
        insert = insert.from_select(ENQUEUED_COLUMNS, rows)
    return insert.on_conflict_do_update(
        index_elements=["key"],
        index_where=QUEUED_ONLY,
        set_={
            "kind": insert.excluded.kind,
            "payload": insert.excluded.payload,
            "priority": lower_of(_job.c.priority, insert.excluded.priority),
            "run_at": lower_of(_job.c.run_at, insert.excluded.run_at),
        },
    ).returning(_job.c.id)


def _build_candidates(_dialect: str):
    """Due jobs in the order they go, skipping rows other workers hold; locked until the claim ends."""
    now = bindparam("now", type_=_job.c.run_at.type)
    running = _job.alias("running")
    twin_running = exists().where(
        running.c.key == _job.c.key,
        running.c.status == JobStatus.RUNNING.value,
        running.c.locked_until >= now,
        running.c.id != _job.c.id,
    )
    paced = select(_allowance.c.key).where(_allowance.c.next_slot > bindparam("paced_after"))
    # Queued jobs only, in the order of the partial index ``job_queued_order``: the scan stops
    # once it has enough. Jobs of vanished workers come back through requeue_expired.
    candidates = (
        select(_job.c.id, _job.c.rate_key, _job.c.kind)
        .where(
            _job.c.status == JobStatus.QUEUED.value,
            _job.c.run_at <= now,
            ~twin_running,
            or_(_job.c.rate_key.is_(None), _job.c.rate_key.not_in(paced)),
        )
        .order_by(_job.c.priority, _job.c.run_at, _job.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
    )
    return candidates


def _build_take(dialect: str):
    return (
        update(_job)
        .where(among_parameter(dialect, _job.c.id, "ids"))
        .values(
            status=JobStatus.RUNNING.value,
            locked_by=bindparam("worker_id"),
            locked_until=bindparam("locked_until", type_=_job.c.locked_until.type),
            attempts=_job.c.attempts + 1,
        )
        .returning(*_job.c)
    )


def _build_allowances(dialect: str):
    return select(_allowance.c.key, _allowance.c.next_slot, _allowance.c.slot_seconds).where(
        among_parameter(dialect, _allowance.c.key, "keys")
    )


# How many due jobs a claim looks at for each one it may take: some wait for their allowance.
CANDIDATES_PER_JOB = 4


ENQUEUED_COLUMNS = (
    "kind",
    "key",
    "payload",
    "status",
    "priority",
    "attempts",
    "max_attempts",
    "rate_key",
    "run_at",
    "created_at",
)


def claim(
    session: Session,
    *,
    worker_id: str,
    lease_seconds: int,
    limit: int = 1,
    now: datetime | None = None,
    pace_horizon: float = 1.0,
    cpu_bound: frozenset[str] = frozenset(),
    cpu_free: bool = True,
) -> list[Job]:
    """Take up to ``limit`` due jobs for this worker, most urgent first.

    Of the kinds in ``cpu_bound`` (work that holds the processor, not the network), a claim takes
    one at most, and none unless ``cpu_free``: threads of one process would only take turns at it,
    while another worker process on another core can do it meanwhile.

    A job under a rate key whose allowance knows its slot length is taken only with a slot of
    that allowance no more than ``pace_horizon`` seconds ahead, and the slot is taken with it
    (the job's ``slot_at``; see ``pacing.prepaid_slot``). So a worker takes only work it can send
    soon, and never more of one counterpart's work than its allowance lets out meanwhile: the
    jobs left wait in the queue, in their place, while other counterparts' work goes ahead.
    """
    now = now or utcnow()
    moment = now.timestamp()
    with write_transaction(session):
        connection = session.connection()
        candidates = connection.execute(
            prebuilt(session, _build_candidates),
            {"now": now, "paced_after": moment + pace_horizon, "limit": limit * CANDIDATES_PER_JOB},
        ).all()
        keys = sorted({candidate.rate_key for candidate in candidates if candidate.rate_key is not None})
        allowances = (
            {row.key: row for row in connection.execute(prebuilt(session, _build_allowances), {"keys": keys})}
            if keys
            else {}
        )
        chosen: list[int] = []
        paced: dict[int, str] = {}
        booked: dict[str, float] = {}
        for candidate in candidates:
            if len(chosen) == limit:
                break
            if candidate.kind in cpu_bound:
                if not cpu_free:
                    continue
                cpu_free = False
            allowance = allowances.get(candidate.rate_key)
            if allowance is not None and allowance.slot_seconds is not None:
                start = max(booked.get(allowance.key, allowance.next_slot), moment)
                if start > moment + pace_horizon:
                    continue
                booked[allowance.key] = start + allowance.slot_seconds
                paced[candidate.id] = allowance.key
            chosen.append(candidate.id)
        if not chosen:
            return []
        rows = connection.execute(
            prebuilt(session, _build_take),
            {"ids": chosen, "worker_id": worker_id, "locked_until": now + timedelta(seconds=lease_seconds)},
        ).all()
        # Slots last, so the allowances' rows are locked only until the commit that follows.
        slots = {
            key: iter(take_slots(connection, key, count, now=moment))
            for key, count in sorted(Counter(paced.values()).items())
        }
    jobs = sorted((Job(**row._mapping) for row in rows), key=lambda job: (job.priority, job.run_at, job.id))
    for job in jobs:
        if job.id in paced:
            job._slot_at = next(slots[paced[job.id]])
    return jobs


def complete(session: Session, *, job_id: int, worker_id: str) -> None:
    """Mark a job done, if this worker still holds it."""
    with single_statement(session) as connection:
        connection.execute(
            update(_job)
            .where(_job.c.id == job_id, _job.c.locked_by == worker_id, _job.c.status == JobStatus.RUNNING.value)
            .values(status=JobStatus.DONE.value, finished_at=utcnow(), locked_until=None, last_error=None)
        )


def backoff_seconds(attempts: int, *, base: float = 2.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter for the next attempt."""
    return random.uniform(0, min(cap, base * (2 ** max(attempts - 1, 0))))


def fail(
    session: Session,
    *,
    job_id: int,
    worker_id: str,
    error: str,
    retry_after: float | None = None,
    terminal: bool = False,
    now: datetime | None = None,
) -> JobStatus:
    """Record a failed attempt: retry later with backoff, or give up (``dead``).

    (An attempt that only met a rate limit is not a failure: see ``release``.)
    """
    now = now or utcnow()
    with write_transaction(session):
        job = session.get(Job, job_id, populate_existing=True)
        if job is None or job.locked_by != worker_id or job.status != JobStatus.RUNNING:
            return JobStatus(job.status) if job else JobStatus.DEAD
        job.locked_until = None
        job.last_error = error[:4000]
        twin_queued = session.scalar(
            select(func.count()).where(Job.key == job.key, Job.status == JobStatus.QUEUED, Job.id != job.id)
        )
        if terminal or job.attempts >= job.max_attempts:
            job.status = JobStatus.DEAD
            job.finished_at = now
        elif twin_queued:
            # Another job was queued under the key meanwhile: it carries the same work.
            job.status = JobStatus.DONE
            job.finished_at = now
            job.last_error = f"superseded: {error}"[:4000]
        else:
            job.status = JobStatus.QUEUED
            job.run_at = now + timedelta(seconds=max(retry_after or 0.0, backoff_seconds(job.attempts)))
        session.add(job)
        return JobStatus(job.status)


class PartlyDone(Exception):
    """A handler did part of its work before a failure worth retrying; the rest runs after ``retry_after``.

    The job's count of failed attempts starts afresh: a long job against a flaky counterpart
    dies only when attempts in a row make no progress.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def release(
    session: Session,
    *,
    job_id: int,
    worker_id: str,
    delay: float,
    progressed: str | None = None,
    now: datetime | None = None,
) -> JobStatus:
    """Give a job back: untried (its rate allowance was spent), with its attempts kept; or, with
    ``progressed`` (the error that stopped it), part done, its attempts counted afresh, after ``delay``.

    An untried job under a rate key keeps its place in the queue: claims pass over it while its
    allowance is spent, and it goes first once there is room, instead of behind every job queued
    after it. Without a rate key it waits ``delay``. One statement in the common case; if a twin
    was queued meanwhile, the twin carries the work.
    """
    now = now or utcnow()
    later = now + timedelta(seconds=delay)
    if progressed:
        counted = {"attempts": 0, "last_error": progressed, "run_at": later}
    else:
        counted = {
            "attempts": _job.c.attempts - 1,
            "run_at": case((_job.c.rate_key.is_(None), later), else_=_job.c.run_at),
        }
    twin = _job.alias("twin")
    with write_transaction(session, durable=False):
        released = session.execute(
            update(_job)
            .where(
                _job.c.id == job_id,
                _job.c.locked_by == worker_id,
                _job.c.status == JobStatus.RUNNING.value,
                ~exists().where(twin.c.key == _job.c.key, twin.c.status == JobStatus.QUEUED.value),
            )
            .values(
                status=JobStatus.QUEUED.value,
                **counted,
                locked_by=None,
                locked_until=None,
            )
        ).rowcount
        if released:
            return JobStatus.QUEUED
        session.execute(
            update(_job)
            .where(_job.c.id == job_id, _job.c.locked_by == worker_id, _job.c.status == JobStatus.RUNNING.value)
            .values(status=JobStatus.DONE.value, finished_at=now, locked_until=None, last_error="superseded")
        )
        return JobStatus.DONE


def renew_leases(session: Session, *, worker_id: str, lease_seconds: int, now: datetime | None = None) -> int:
    """Keep the jobs a live worker is running: their leases now end ``lease_seconds`` from now.

    Workers call this on a heartbeat, so leases can be short: a job outlives its lease only
    when its worker has stopped beating, and then comes back quickly. Returns how many.
    """
    now = now or utcnow()
    with single_statement(session) as connection:
        return connection.execute(
            update(_job)
            .where(_job.c.status == JobStatus.RUNNING.value, _job.c.locked_by == worker_id)
            .values(locked_until=now + timedelta(seconds=lease_seconds))
        ).rowcount


def requeue_expired(session: Session, *, now: datetime | None = None) -> int:
    """Put running jobs whose worker vanished (lease over) back in the queue; returns how many."""
    now = now or utcnow()
    with write_transaction(session):
        expired = list(
            session.execute(
                select(Job.id, Job.key).where(Job.status == JobStatus.RUNNING, Job.locked_until < now)
            ).all()
        )
        requeued = 0
        for job_id, key in expired:
            twin = session.scalar(select(func.count()).where(Job.key == key, Job.status == JobStatus.QUEUED))
            values = (
                {"status": JobStatus.DONE, "finished_at": now, "last_error": "superseded after its worker stopped"}
                if twin
                else {"status": JobStatus.QUEUED, "run_at": now}
            )
            requeued += session.execute(
                update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.locked_until < now)
                .values(locked_by=None, locked_until=None, **values)
            ).rowcount
    return requeued


def purge_finished(session: Session, *, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete jobs done longer ago than ``older_than`` (dead ones stay for operators); returns how many."""
    cutoff = (now or utcnow()) - older_than
    with write_transaction(session):
        return session.execute(
            _job.delete().where(_job.c.status == JobStatus.DONE.value, _job.c.finished_at < cutoff)
        ).rowcount


def retry_dead(session: Session, *, actor: Actor, job_id: int) -> Job:
    """Give a dead job a fresh set of attempts (or point at the twin already queued); admins only."""
    require_role(actor, Role.ADMIN)
    with write_transaction(session):
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound()
        if job.status != JobStatus.DEAD:
            raise JobNotRetryable()
        twin = session.scalars(select(Job).where(Job.key == job.key, Job.status == JobStatus.QUEUED)).first()
        if twin is not None:
            return twin
        job.status = JobStatus.QUEUED
        job.attempts = 0
        job.run_at = utcnow()
        job.finished_at = None
        session.add(job)
    return job


def list_jobs(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    status: JobStatus | None = None,
    kind: str | None = None,
) -> Page[Job]:
    """Jobs, oldest first, optionally of one status or kind; admins only."""
    require_role(actor, Role.ADMIN)
    statement = select(Job)
    if status is not None:
        statement = statement.where(Job.status == status.value)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    return fetch_page(session, statement, id_column=Job.id, limit=limit, after=after)


def vacuum_queue(database: Database) -> None:
    """On PostgreSQL, clear the dead rows of the queue's tables and refresh their statistics.

    Every claim, completion and slot taken leaves a dead row version behind; a busy queue makes
    thousands a minute, faster than autovacuum's default thresholds follow (or at all, where it
    is switched off). Stale statistics turn the claim's ordered index walk into a sort of every
    due job, and dead index entries lengthen the walk. Workers run this now and then;
    ``SKIP_LOCKED`` lets a second worker pass while one is at it. SQLite needs nothing.
    """
    if database.is_sqlite:
        return
    with database.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.exec_driver_sql(f"VACUUM (ANALYZE, SKIP_LOCKED) {_job.name}, {_allowance.name}")
