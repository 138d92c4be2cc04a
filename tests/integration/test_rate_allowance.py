"""The account's rate allowance paces requests across threads and processes sharing the database."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from commerce.db import utcnow, write_transaction
from commerce.jobs import service, worker
from commerce.jobs.models import CostBucketState, Job, JobStatus, RateAllowance
from commerce.jobs.pacing import AllowanceExhausted, DatabaseBucket, DatabaseGate, open_allowance, prepaid_slot
from commerce.jobs.worker import Worker
from commerce.listings.models import ChannelAccount
from tests.clock import ManualClock


def _account(database) -> int:
    with database.session() as session, write_transaction(session):
        account = ChannelAccount(platform="shopify", name="paced", credentials_sealed="x", rate_limit_per_second=10)
        session.add(account)
        session.flush()
        open_allowance(session, f"channel_account:{account.id}", rate_per_second=5)
        open_allowance(session, f"channel_account:{account.id}", rate_per_second=10)
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


def test_slots_are_spaced_by_the_rate_and_far_ones_are_refused(database):
    clock = ManualClock()
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


@pytest.mark.shared_database
def test_threads_share_one_allowance_without_giving_a_slot_twice(database):
    clock = ManualClock()
    account_id = _account(database)
    gates = [_gate(database, account_id, clock, max_wait=10) for _ in range(4)]
    threads = [threading.Thread(target=lambda gate=gate: [gate.acquire() for _ in range(5)]) for gate in gates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(clock.slept) == [round(0.1 * slot, 6) for slot in range(1, 20)]


def test_a_marketplace_429_holds_every_request_back_and_is_counted(database):
    clock = ManualClock()
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


def _next_slot(database, key: str) -> float:
    with database.session() as session:
        return session.get(RateAllowance, key, populate_existing=True).next_slot


def test_an_allowance_keeps_the_rate_it_was_last_opened_with(database):
    account_id = _account(database)
    with database.session() as session:
        allowance = session.get(RateAllowance, f"channel_account:{account_id}")
        assert (allowance.next_slot, allowance.slot_seconds) == (0.0, 0.1)


def test_a_claim_takes_a_slot_for_each_paced_job_and_leaves_the_rest_in_place(database):
    account_id = _account(database)
    key = f"channel_account:{account_id}"
    with database.session() as session, write_transaction(session):
        paced = [service.enqueue(session, kind="test.paced", key=f"paced:{n}", rate_key=key) for n in range(5)]
        free = service.enqueue(session, kind="test.free", key="free")
    now = utcnow()
    moment = now.timestamp()
    with database.session() as session:
        claimed = service.claim(session, worker_id="w", lease_seconds=60, limit=5, now=now, pace_horizon=0.25)
    # 10 requests/s and a horizon of 0.25 s: three slots, at 0, 0.1 and 0.2 s from now.
    assert [job.id for job in claimed] == [*paced[:3], free]
    assert [job.slot_at for job in claimed] == [
        pytest.approx(moment),
        pytest.approx(moment + 0.1),
        pytest.approx(moment + 0.2),
        None,
    ]
    assert _next_slot(database, key) == pytest.approx(moment + 0.3)
    with database.session() as session:
        assert service.claim(session, worker_id="w", lease_seconds=60, limit=5, now=now, pace_horizon=0.25) == []
        waiting = session.scalars(select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id)).all()
        assert waiting == paced[3:]
    # Later, the next one goes at the allowance's next slot.
    later = now + timedelta(seconds=0.2)
    with database.session() as session:
        [next_one] = service.claim(session, worker_id="w", lease_seconds=60, limit=1, now=later, pace_horizon=0.25)
    assert (next_one.id, next_one.slot_at) == (paced[3], pytest.approx(moment + 0.3))
    assert _next_slot(database, key) == pytest.approx(moment + 0.4)


def test_a_job_sends_its_first_request_at_the_slot_its_claim_took(database):
    clock = ManualClock()
    account_id = _account(database)
    key = f"channel_account:{account_id}"
    gate = _gate(database, account_id, clock, max_wait=0.25)
    before = _next_slot(database, key)
    with prepaid_slot(database, key, clock.now + 0.3, clock=clock) as slot:
        gate.acquire()
        assert slot.used is True
        assert _next_slot(database, key) == before
        gate.acquire()
    # The first request waited for the prepaid slot; the second took the allowance's next one.
    assert clock.slept == [0.3]
    assert _next_slot(database, key) == pytest.approx(clock.now + 0.1)


def test_a_slot_left_unused_is_given_back(database):
    account_id = _account(database)
    key = f"channel_account:{account_id}"
    with database.session() as session, write_transaction(session):
        job_id = service.enqueue(session, kind="test.paced", key="paced", rate_key=key)
        service.enqueue(session, kind="test.other", key="other", rate_key="elsewhere")
    with database.session() as session:
        [job] = service.claim(session, worker_id="w", lease_seconds=60, now=utcnow() + timedelta(seconds=30))
    assert job.id == job_id
    taken = _next_slot(database, key)
    with prepaid_slot(database, key, job.slot_at), prepaid_slot(database, "elsewhere", job.slot_at):
        pass  # nothing was sent
    assert _next_slot(database, key) == pytest.approx(taken - 0.1)
    # An allowance idle since (its next slot already passed) has nothing to give back.
    with database.session() as session, write_transaction(session):
        session.execute(update(RateAllowance).where(RateAllowance.key == key).values(next_slot=1000.0))
    with prepaid_slot(database, key, 1000.0):
        pass
    assert _next_slot(database, key) == 1000.0


def test_a_worker_hands_each_job_its_slot_and_gets_back_the_unused_ones(database, monkeypatch, deployment):
    clock = ManualClock()
    account_id = _account(database)
    key = f"channel_account:{account_id}"
    sent: list[str] = []

    def handler(deployment, job):
        if job.payload["sends"]:
            DatabaseGate(deployment.database, key=key, rate_per_second=10, clock=clock, sleep=clock.sleep).acquire()
            sent.append(job.key)

    monkeypatch.setitem(worker.HANDLERS, "test.paced", "tests.integration.test_rate_allowance:HANDLER")
    monkeypatch.setattr("tests.integration.test_rate_allowance.HANDLER", handler, raising=False)
    start = clock.now + 0.5
    with database.session() as session, write_transaction(session):
        for name, sends in (("sends", True), ("idle", False)):
            service.enqueue(
                session, kind="test.paced", key=name, payload={"sends": sends}, rate_key=key, run_at=clock.utcnow()
            )
        session.execute(update(RateAllowance).where(RateAllowance.key == key).values(next_slot=start))
    assert Worker(deployment, worker_id="w", clock=clock).run_once(limit=2) == 2
    assert sent == ["sends"]
    # The first job waited for the first of the two slots its claim took; the second slot came back.
    assert clock.slept == [0.5]
    assert _next_slot(database, key) == pytest.approx(start + 0.1)


HANDLER = None


def test_a_cost_bucket_shared_by_two_workers_never_promises_the_same_points_twice(database):
    clock = ManualClock(start=1_700_000_000.0)
    first, second = (DatabaseBucket(database, key="channel_account:77", clock=clock) for _ in range(2))
    unknown = first.take(500, reserve=0)
    # The shop's answer to the first worker: 80 of 2,000 points, 100 coming back a second.
    first.observe(80.0, rate=100.0, most=2000.0)
    taken = [first.take(40, reserve=20), second.take(40, reserve=20)]
    clock.advance(0.5)
    later = second.take(40, reserve=20)

    # Nothing known yet: the first call goes and its answer tells. Then 80 points cover one call of
    # 40 with its reserve of 20, and the second worker, finding 40 left, waits for 20 more (0.2 s);
    # half a second later 40 + 50 are there, and it takes its 40.
    assert unknown == 0.0
    assert taken == [0.0, pytest.approx(0.2)]
    assert later == 0.0
    with database.session() as session:
        state = session.get(CostBucketState, "channel_account:77")
        assert (state.available, state.restore_rate, state.maximum, state.seen) == (
            pytest.approx(50.0),
            100.0,
            2000.0,
            clock(),
        )
