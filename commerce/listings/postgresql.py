"""Webhook receipts on PostgreSQL: an event kept as ``receipts.keep_events`` keeps it, in one statement.

The receipt and, only if it was new, its job are data-modifying CTEs of one statement that
commits on its own (``single_statement``) and, like the plain path's transaction, without
waiting for the disk (``set_config`` of ``synchronous_commit`` for the statement's own
transaction). The plain path is a BEGIN with its ``SET LOCAL``, the two inserts and a COMMIT:
five round trips where this is one, and a stream's burst of refunds sends thousands of receipts
while buyers order. Both paths write the same rows (``receipts.rows_of``), and the job's insert
is the queue's (``jobs.enqueue_statement``); the parity test runs both paths over the same events
and requires the same answers and the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, exists, func, literal, select
from sqlmodel import Session

from commerce.db import single_statement
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.listings.receipts import EventRows, build_receipt
from commerce.sql import prebuilt

_job = Job.__table__


def keep_events(session: Session, kept: Sequence[EventRows]) -> tuple[int, int]:
    """Keep each new event once and queue its job: (new events, repeated events)."""
    fresh = repeated = 0
    with single_statement(session) as connection:
        for event in kept:
            row = dict(event.receipt)
            if event.job is not None:
                row.update({f"job_{name}": value for name, value in event.job.items()})
            if connection.execute(prebuilt(connection, _build_keep, event.job is not None), row).scalar_one():
                fresh += 1
            else:
                repeated += 1
    return fresh, repeated


def _build_keep(dialect: str, queues_job: bool):
    """The receipt, then its job if it was kept; selects how many receipts were kept (0 or 1)."""
    receipt = build_receipt(dialect).cte("receipt")
    relaxed = func.set_config("synchronous_commit", "off", literal(True))
    kept = select(select(func.count()).select_from(receipt).scalar_subquery(), relaxed)
    if not queues_job:
        return kept
    job = select(*(bindparam(f"job_{name}", type_=_job.c[name].type) for name in jobs.ENQUEUED_COLUMNS)).where(
        exists(select(receipt.c.id))
    )
    return kept.add_cte(jobs.enqueue_statement(dialect, job).cte("queued"))
