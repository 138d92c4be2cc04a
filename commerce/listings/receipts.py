"""Keeping a marketplace's webhook events: the plain path, and the rows both paths write.

Each event is kept once per account (its id's digest, or its body's where the signature does not
cover the id); a new one that names something changed queues its job, under a key that folds the
news of one order or listing into one job while it waits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session

from commerce.db import write_transaction
from commerce.jobs import service as jobs
from commerce.listings.models import WebhookReceipt, rate_key
from commerce.listings.service import EVENT_JOBS, PRIORITY_EVENT
from commerce.sql import dialect_insert, prebuilt
from integrations.marketplace import EventKind, MarketplaceEvent

_receipt = WebhookReceipt.__table__
RECEIPT_COLUMNS = tuple(column.name for column in _receipt.c if column.name != "id")


@dataclass(frozen=True, slots=True)
class EventRows:
    """What keeping one event writes: its receipt (``receipt_row``) and, if the receipt is new, the
    job it queues (``event_job``), if any."""

    receipt: dict[str, Any]
    job: dict[str, Any] | None


def rows_of(
    account_id: int, events: Sequence[MarketplaceEvent], now: datetime, after_sale_delay: timedelta
) -> list[EventRows]:
    """The rows of an account's events received at ``now``, as either path keeps them."""
    return [
        EventRows(receipt_row(account_id, event, now), event_job(account_id, event, now, after_sale_delay))
        for event in events
    ]


def keep_events(session: Session, kept: Sequence[EventRows]) -> tuple[int, int]:
    """Keep each new event once and queue its job: (new events, repeated events).

    The receipts commit without waiting for the disk: a burst of webhooks holds the web
    processes no longer than their work. A database crash can lose the last fraction of a
    second of receipts already answered; the order and after-sale polls bring back what they said.
    """
    fresh = repeated = 0
    with write_transaction(session, durable=False):
        for event in kept:
            stored = session.execute(prebuilt(session, build_receipt), event.receipt).scalar()
            if stored is None:
                repeated += 1
                continue
            fresh += 1
            if event.job is not None:
                session.execute(prebuilt(session, jobs.enqueue_statement), event.job)
    return fresh, repeated


def build_receipt(dialect: str):
    """The insert of a receipt (``RECEIPT_COLUMNS`` as parameters): its id if new, nothing if kept before."""
    insert = dialect_insert(dialect, _receipt).values({name: bindparam(name) for name in RECEIPT_COLUMNS})
    return insert.on_conflict_do_nothing().returning(_receipt.c.id)


def receipt_row(account_id: int, event: MarketplaceEvent, now: datetime) -> dict[str, Any]:
    """The receipt of an event (``RECEIPT_COLUMNS``): its id's digest makes it once per account, and
    so does its body's where the signature does not cover the id."""
    return {
        "channel_account_id": account_id,
        "event_id": event.event_id,
        "event_digest": hashlib.sha256(event.event_id.encode()).hexdigest(),
        "body_digest": hashlib.sha256(event.signed_body).hexdigest() if event.signed_body is not None else None,
        "topic": event.topic[:60],
        "kind": event.kind.value,
        "subject_id": event.subject_id,
        "received_at": now,
    }


def event_job(
    account_id: int, event: MarketplaceEvent, now: datetime, after_sale_delay: timedelta
) -> dict[str, Any] | None:
    """The job a new event queues (``jobs.job_row``), if it names something that changed.

    Details are fetched fresh when the job runs, so late or reordered events converge.
    """
    if event.kind not in EVENT_JOBS or not event.subject_id:
        return None
    return jobs.job_row(
        kind=EVENT_JOBS[event.kind],
        key=f"account:{account_id}:{event.kind.value}:{event.subject_id}",
        payload={"channel_account_id": account_id, "kind": event.kind.value, "subject_id": event.subject_id},
        priority=PRIORITY_EVENT,
        rate_key=rate_key(account_id),
        run_at=now + after_sale_delay if event.kind == EventKind.AFTER_SALE else None,
        now=now,
    )
