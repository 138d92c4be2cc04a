"""The account's rate allowance paces requests across threads and processes sharing the database."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from commerce.db import utcnow, write_transaction
from commerce.jobs import service
from commerce.jobs.models import RateAllowance
from commerce.jobs.pacing import AllowanceExhausted, DatabaseGate, open_allowance
from commerce.listings.models import ChannelAccount


def _account(database) -> int:
    with database.session() as session, write_transaction(session):
        account = ChannelAccount(platform="shopify", name="paced", credentials_sealed="x", rate_limit_per_second=10)
        session.add(account)
        session.flush()
        open_allowance(session, f"channel_account:{account.id}")
        open_allowance(session, f"channel_account:{account.id}")
        return account.id


def _gate(database, account_id: int, clock, *, max_wait: float, **options) -> DatabaseGate:
    return DatabaseGate(
        database,
        key=f"channel_account:{account_id}",
        rate_per_second=10,
        max_wait=max_wait,
        clock=clock,
        sleep=clock.sleep,
        **options,
    )


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(round(seconds, 6))

    slept: list[float]


def test_slots_are_spaced_by_the_rate_and_far_ones_are_refused(database):
    clock = FakeClock()
    clock.slept = []
    gate = _gate(database, _account(database), clock, max_wait=0.25)
    for _ in range(3):
        gate.acquire()
    assert clock.slept == [0.1, 0.2]
    with pytest.raises(AllowanceExhausted) as refused:
        gate.acquire()
    assert refused.value.throttled is True
    assert refused.value.retry_after == pytest.approx(0.1)
    clock.now += 1.0
    gate.acquire()
    assert clock.slept == [0.1, 0.2]


def test_threads_share_one_allowance_without_giving_a_slot_twice(database):
    clock = FakeClock()
    clock.slept = []
    account_id = _account(database)
    gates = [_gate(database, account_id, clock, max_wait=10) for _ in range(4)]
    threads = [threading.Thread(target=lambda gate=gate: [gate.acquire() for _ in range(5)]) for gate in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(clock.slept) == [round(0.1 * slot, 6) for slot in range(1, 20)]


def test_a_marketplace_429_holds_every_request_back_and_is_counted(database):
    clock = FakeClock()
    clock.slept = []
    account_id = _account(database)

    def count(session):
        session.execute(
            update(ChannelAccount)
            .where(ChannelAccount.id == account_id)
            .values(throttled_count=ChannelAccount.throttled_count + 1)
        )

    gate = _gate(database, account_id, clock, max_wait=1, on_penalty=count)
    gate.penalize(0.5)
    gate.acquire()
    assert clock.slept == [0.5]
    with database.session() as session:
        assert session.get(ChannelAccount, account_id).throttled_count == 1


def test_claims_skip_jobs_whose_allowance_is_spent(database):
    account_id = _account(database)
    key = f"channel_account:{account_id}"
    with database.session() as session, write_transaction(session):
        paced = service.enqueue(session, kind="test.paced", key="paced", rate_key=key)
        free = service.enqueue(session, kind="test.free", key="free")
    now = utcnow()
    with database.session() as session, write_transaction(session):
        session.execute(update(RateAllowance).where(RateAllowance.key == key).values(next_slot=now.timestamp() + 5))
    with database.session() as session:
        claimed = service.claim(session, worker_id="w", lease_seconds=60, limit=5, now=now, pace_horizon=1.0)
        assert [job.id for job in claimed] == [free]
        later = service.claim(session, worker_id="w", lease_seconds=60, limit=5, now=now, pace_horizon=6.0)
        assert [job.id for job in later] == [paced]
