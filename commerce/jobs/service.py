"""Enqueueing, claiming and finishing jobs; any number of workers share the queue safely.

A job is claimed by moving it to ``running`` with a lease. PostgreSQL workers skip rows
other workers hold (``FOR UPDATE SKIP LOCKED``); on SQLite the claim runs under BEGIN
IMMEDIATE, which serialises claimers. A worker that dies leaves its lease to expire, after
which the job is claimed again: handlers are idempotent.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.db import utcnow, write_transaction
from commerce.errors import N_, Conflict, NotFound
from commerce.jobs.models import Job, JobStatus
from commerce.pagination import Page, fetch_page


class JobNotRetryable(Conflict):
    code = "job_not_retryable"
    message = N_("Only dead jobs can be retried.")


def enqueue(
    session: Session,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any] | None = None,
    priority: int = 100,
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    """Queue a unit of work in the caller's transaction; an open job with the same key is reused."""
    existing = session.scalars(
        select(Job).where(Job.key == key, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    ).first()
    if existing is not None:
        return existing
    job = Job(
        kind=kind,
        key=key,
        payload=payload or {},
        priority=priority,
        run_at=run_at or utcnow(),
        max_attempts=max_attempts,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return session.scalars(
            select(Job).where(Job.key == key, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        ).one()
    return job


def claim(
    session: Session, *, worker_id: str, lease_seconds: int, limit: int = 1, now: datetime | None = None
) -> list[Job]:
    """Take up to ``limit`` due jobs (or jobs whose lease ran out) for this worker."""
    now = now or utcnow()
    claimable = or_(
        and_(Job.status == JobStatus.QUEUED, Job.run_at <= now),
        and_(Job.status == JobStatus.RUNNING, Job.locked_until < now),
    )
    with write_transaction(session):
        candidates = select(Job.id).where(claimable).order_by(Job.priority, Job.run_at, Job.id).limit(limit)
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        ids = list(session.scalars(candidates))
        if not ids:
            return []
        session.execute(
            update(Job)
            .where(Job.id.in_(ids), claimable)
            .values(
                status=JobStatus.RUNNING,
                locked_by=worker_id,
                locked_until=now + timedelta(seconds=lease_seconds),
                attempts=Job.attempts + 1,
            )
        )
        jobs = list(
            session.scalars(
                select(Job)
                .where(Job.id.in_(ids), Job.locked_by == worker_id)
                .order_by(Job.priority, Job.run_at, Job.id)
            )
        )
    return jobs


def complete(session: Session, *, job_id: int, worker_id: str) -> None:
    """Mark a job done, if this worker still holds it."""
    with write_transaction(session):
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker_id, Job.status == JobStatus.RUNNING)
            .values(status=JobStatus.DONE, finished_at=utcnow(), locked_until=None, last_error=None)
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
    """Record a failed attempt: retry later with backoff, or give up (``dead``)."""
    now = now or utcnow()
    with write_transaction(session):
        job = session.get(Job, job_id)
        if job is None or job.locked_by != worker_id or job.status != JobStatus.RUNNING:
            return JobStatus(job.status) if job else JobStatus.DEAD
        job.last_error = error[:4000]
        job.locked_until = None
        if terminal or job.attempts >= job.max_attempts:
            job.status = JobStatus.DEAD
            job.finished_at = now
        else:
            delay = max(retry_after or 0.0, backoff_seconds(job.attempts))
            job.status = JobStatus.QUEUED
            job.run_at = now + timedelta(seconds=delay)
        session.add(job)
        return JobStatus(job.status)


def retry_dead(session: Session, *, job_id: int) -> Job:
    """Give a dead job a fresh set of attempts."""
    with write_transaction(session):
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound()
        if job.status != JobStatus.DEAD:
            raise JobNotRetryable()
        job.status = JobStatus.QUEUED
        job.attempts = 0
        job.run_at = utcnow()
        job.finished_at = None
        session.add(job)
    return job


def list_jobs(
    session: Session, *, limit: int, after: int | None, status: JobStatus | None = None, kind: str | None = None
) -> Page[Job]:
    """Jobs, oldest first, optionally of one status or kind."""
    statement = select(Job)
    if status is not None:
        statement = statement.where(Job.status == status.value)
    if kind is not None:
        statement = statement.where(Job.kind == kind)
    return fetch_page(session, statement, id_column=Job.id, limit=limit, after=after)
