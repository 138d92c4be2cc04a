"""The account's rate allowance paces requests across threads and processes sharing the database."""

from __future__ import annotations

import threading

import pytest

from commerce.db import write_transaction
from commerce.listings.models import ChannelAccount, RateAllowance
from commerce.listings.throttle import AllowanceExhausted, DatabaseGate


def _account(database) -> int:
    with database.session() as session, write_transaction(session):
        account = ChannelAccount(platform="shopify", name="paced", credentials_sealed="x", rate_limit_per_second=10)
        session.add(account)
        session.flush()
        session.add(RateAllowance(channel_account_id=account.id, next_slot=0.0))
        return account.id


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
    gate = DatabaseGate(
        database, account_id=_account(database), rate_per_second=10, max_wait=0.25, clock=clock, sleep=clock.sleep
    )
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
    gates = [
        DatabaseGate(database, account_id=account_id, rate_per_second=10, max_wait=10, clock=clock, sleep=clock.sleep)
        for _ in range(4)
    ]
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
    gate = DatabaseGate(database, account_id=account_id, rate_per_second=10, max_wait=1, clock=clock, sleep=clock.sleep)
    gate.penalize(0.5)
    gate.acquire()
    assert clock.slept == [0.5]
    with database.session() as session:
        assert session.get(ChannelAccount, account_id).throttled_count == 1
