"""The two ways of keeping webhook events give the same answers and leave the same rows.

``listings.receipts.keep_events`` is the plain path and the specification; on PostgreSQL
``listings.postgresql.keep_events`` keeps the same events in one statement each. Each case runs
from the same account once per path (in a savepoint rolled back after it): its answers must be
those the case expects, and on PostgreSQL the receipts and jobs both paths leave must be equal
(ids drawn from sequences are not compared).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from commerce.jobs.models import Job
from commerce.listings import postgresql, receipts
from commerce.listings.models import ChannelAccount, WebhookReceipt
from commerce.sql import on_postgresql
from integrations.marketplace import EventKind, MarketplaceEvent

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
WAIT = timedelta(seconds=30)
PATHS = {"plain": receipts.keep_events, "postgresql": postgresql.keep_events}


def order_news(event_id: str, order: str = "O-1") -> MarketplaceEvent:
    return MarketplaceEvent(event_id=event_id, topic="type:1", kind=EventKind.ORDER, subject_id=order)


def refund_news(event_id: str, order: str = "O-1") -> MarketplaceEvent:
    return MarketplaceEvent(event_id=event_id, topic="type:12", kind=EventKind.AFTER_SALE, subject_id=order)


def signed(event_id: str, body: bytes) -> MarketplaceEvent:
    return MarketplaceEvent(
        event_id=event_id, topic="orders/updated", kind=EventKind.ORDER, subject_id="O-9", signed_body=body
    )


CASES = {
    # name: (deliveries, each a list of events, kept at NOW + its index in minutes; answers expected)
    "an order's news: its receipt and a job at once": ([[order_news("e-1")]], [(1, 0)]),
    "the same event twice: one receipt, one job": ([[order_news("e-1")], [order_news("e-1")]], [(1, 0), (0, 1)]),
    "refund news waits, and later news of the order folds into its job": (
        [[refund_news("r-1")], [refund_news("r-2")], [refund_news("r-3", order="O-2")]],
        [(1, 0), (1, 0), (1, 0)],
    ),
    "news that names nothing: a receipt, no job": (
        [[MarketplaceEvent(event_id="x-1", topic="type:99", kind=EventKind.OTHER, subject_id=None)]],
        [(1, 0)],
    ),
    "a listing's news without its id: a receipt, no job": (
        [[MarketplaceEvent(event_id="l-1", topic="type:5", kind=EventKind.LISTING, subject_id=None)]],
        [(1, 0)],
    ),
    "a signed body sent again under a new id: repeated": (
        [[signed("s-1", b'{"id": 9}')], [signed("s-2", b'{"id": 9}')], [signed("s-3", b'{"id": 10}')]],
        [(1, 0), (0, 1), (1, 0)],
    ),
    "several events in one delivery, one of them known": (
        [[order_news("e-1")], [order_news("e-2", order="O-2"), order_news("e-1"), refund_news("r-1")]],
        [(1, 0), (2, 1)],
    ),
    "news of an order whose job is running: a new job beside it": (
        [[order_news("e-1")], "run", [order_news("e-2")]],
        [(1, 0), (1, 0)],
    ),
}


def _run(database, deliveries, keep) -> tuple[list, dict]:
    """Keep the case's deliveries along ``keep`` in a savepoint; its answers and the rows left, then undone."""
    savepoint = database.within.begin_nested()
    try:
        with database.session() as session:
            account = ChannelAccount(
                platform="tiktok_shop", name="Shop", credentials_sealed="-", rate_limit_per_second=5
            )
            session.add(account)
            session.commit()
            answers = []
            for minute, delivery in enumerate(deliveries):
                if delivery == "run":
                    session.execute(update(Job).where(Job.status == "queued").values(status="running"))
                    session.commit()
                    continue
                now = NOW + timedelta(minutes=minute)
                answers.append(keep(session, receipts.rows_of(account.id, delivery, now, WAIT)))
            return answers, _state(session, account.id)
    finally:
        savepoint.rollback()


def _state(session, account_id: int) -> dict[str, list]:
    """The receipts and jobs left, the account they name written as A (its id is drawn from a sequence)."""

    def named(name: str, value) -> str:
        if name == "channel_account_id":
            return "A"
        if name == "payload":
            value = {**value, "channel_account_id": "A"}
        return re.sub(rf"account:{account_id}\b", "account:A", str(value))

    def rows(model) -> list[tuple]:
        columns = [column for column in model.__table__.c if column.name != "id"]
        return sorted(
            tuple(named(column.name, value) for column, value in zip(columns, row, strict=True))
            for row in session.execute(select(*columns))
        )

    state = {"receipts": rows(WebhookReceipt), "jobs": rows(Job)}
    if on_postgresql(session):
        # Receipts commit without waiting for the disk, on either path.
        state["synchronous commit"] = session.execute(text("SHOW synchronous_commit")).scalar_one()
    return state


@pytest.mark.parametrize("case", list(CASES))
def test_both_ways_of_keeping_events_agree(case, database):
    deliveries, expected = CASES[case]
    with database.session() as session:
        paths = ["plain", "postgresql"] if on_postgresql(session) else ["plain"]
    outcomes = {path: _run(database, deliveries, PATHS[path]) for path in paths}
    for path, (answers, _state_left) in outcomes.items():
        assert answers == expected, path
    plain = outcomes["plain"][1]
    for path, (_answers, state) in outcomes.items():
        assert state == plain, path
    assert plain.get("synchronous commit", "off") == "off"
    with database.session() as session:
        assert session.scalar(select(WebhookReceipt.id).limit(1)) is None


def test_what_the_plain_path_leaves(database):
    """The rows themselves, once, so that paths that agree cannot agree on something wrong."""
    deliveries = [[refund_news("r-1")], [refund_news("r-2"), order_news("e-1")], [refund_news("r-1")]]
    answers, state = _run(database, deliveries, receipts.keep_events)
    assert answers == [(1, 0), (2, 0), (0, 1)]
    assert [row[1] for row in state["receipts"]] == ["e-1", "r-1", "r-2"]
    columns = [column.name for column in Job.__table__.c if column.name != "id"]
    jobs = {row[1]: dict(zip(columns, row, strict=True)) for row in state["jobs"]}
    assert sorted(jobs) == ["account:A:after_sale:O-1", "account:A:order:O-1"]
    refund_job, order_job = jobs["account:A:after_sale:O-1"], jobs["account:A:order:O-1"]
    # Refund news waits 30 seconds from the first; the second folded into it.
    assert (refund_job["kind"], refund_job["status"], refund_job["priority"], refund_job["rate_key"]) == (
        "aftersales.follow",
        "queued",
        "60",
        "channel_account:A",
    )
    assert (refund_job["run_at"], refund_job["created_at"]) == (str(NOW + WAIT), str(NOW))
    assert (order_job["kind"], order_job["run_at"]) == ("listings.event", str(NOW + timedelta(minutes=1)))
    assert order_job["payload"] == str({"channel_account_id": "A", "kind": "order", "subject_id": "O-1"})
