import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from commerce.actors import Actor
from commerce.db import utcnow, write_transaction
from commerce.jobs import service, worker
from commerce.jobs.models import Job
from commerce.jobs.worker import Worker
from integrations.base import RetryableError, TerminalError
from tests.clock import ManualClock


def _enqueue(database, key, **options):
    with database.session() as session, write_transaction(session):
        return service.enqueue(session, kind=options.pop("kind", "test.echo"), key=key, payload={"key": key}, **options)


def _job(database, job_id) -> Job:
    with database.session() as session:
        return session.get(Job, job_id)


def test_an_open_job_with_the_same_key_is_reused(database):
    first = _enqueue(database, "stock:1")
    assert _enqueue(database, "stock:1") == first
    with database.session() as session:
        [claimed] = service.claim(session, worker_id="w1", lease_seconds=60)
        service.complete(session, job_id=claimed.id, worker_id="w1")
    assert _enqueue(database, "stock:1") != first


def test_a_claim_takes_one_job_that_holds_the_processor_and_none_while_one_runs(database):
    now = utcnow()
    heavy = [
        _enqueue(database, f"lane:{lane}", kind="test.heavy", run_at=now - timedelta(seconds=5)) for lane in range(3)
    ]
    light = _enqueue(database, "light", run_at=now - timedelta(seconds=1))
    cpu_bound = frozenset({"test.heavy"})
    with database.session() as session:
        busy = service.claim(
            session, worker_id="w1", lease_seconds=60, limit=4, now=now, cpu_bound=cpu_bound, cpu_free=False
        )
        first = service.claim(session, worker_id="w2", lease_seconds=60, limit=4, now=now, cpu_bound=cpu_bound)
        second = service.claim(session, worker_id="w3", lease_seconds=60, limit=4, now=now, cpu_bound=cpu_bound)
    assert [job.id for job in busy] == [light]
    assert [job.id for job in first] == [heavy[0]]
    assert [job.id for job in second] == [heavy[1]]
    assert _job(database, heavy[2]).status == "queued"


def test_claims_follow_priority_then_due_time(database):
    now = utcnow()
    late = _enqueue(database, "late", run_at=now - timedelta(seconds=10))
    urgent = _enqueue(database, "urgent", priority=10, run_at=now - timedelta(seconds=1))
    _enqueue(database, "future", run_at=now + timedelta(hours=1))
    with database.session() as session:
        claimed = service.claim(session, worker_id="w1", lease_seconds=60, limit=5, now=now)
    assert [job.id for job in claimed] == [urgent, late]
    assert all(job.status == "running" and job.attempts == 1 for job in claimed)


def test_failures_back_off_then_die_and_can_be_retried(database):
    job_id = _enqueue(database, "flaky", max_attempts=2)
    now = utcnow()
    with database.session() as session:
        service.claim(session, worker_id="w1", lease_seconds=60, now=now)
        status = service.fail(session, job_id=job_id, worker_id="w1", error="HTTP 503", retry_after=30, now=now)
    job = _job(database, job_id)
    assert (status, job.status, job.last_error) == ("queued", "queued", "HTTP 503")
    assert job.run_at >= now + timedelta(seconds=30)
    with database.session() as session:
        assert service.claim(session, worker_id="w1", lease_seconds=60, now=now) == []
        service.claim(session, worker_id="w1", lease_seconds=60, now=job.run_at)
        status = service.fail(session, job_id=job_id, worker_id="w1", error="HTTP 503 again", now=job.run_at)
    assert status == "dead"
    assert _job(database, job_id).finished_at is not None
    with database.session() as session:
        retried = service.retry_dead(session, actor=Actor.system(), job_id=job_id)
    assert (retried.status, retried.attempts) == ("queued", 0)


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(database):
    job_id = _enqueue(database, "orphan")
    now = utcnow()
    with database.session() as session:
        service.claim(session, worker_id="dead-worker", lease_seconds=60, now=now)
        assert service.requeue_expired(session, now=now + timedelta(seconds=30)) == 0
        assert service.claim(session, worker_id="w2", lease_seconds=60, now=now + timedelta(seconds=30)) == []
        assert service.requeue_expired(session, now=now + timedelta(seconds=61)) == 1
        [again] = service.claim(session, worker_id="w2", lease_seconds=60, now=now + timedelta(seconds=61))
    assert (again.id, again.attempts, again.locked_by) == (job_id, 2, "w2")
    with database.session() as session:
        service.complete(session, job_id=job_id, worker_id="dead-worker")
    assert _job(database, job_id).status == "running"


@pytest.mark.shared_database
def test_concurrent_workers_never_claim_a_job_twice(database):
    ids = [_enqueue(database, f"bulk:{number}") for number in range(120)]
    claimed: dict[str, list[int]] = {}

    def work(name):
        mine = claimed.setdefault(name, [])
        while True:
            with database.session() as session:
                jobs = service.claim(session, worker_id=name, lease_seconds=60, limit=3)
            if not jobs:
                return
            mine.extend(job.id for job in jobs)

    threads = [threading.Thread(target=work, args=(f"w{number}",)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [job_id for jobs in claimed.values() for job_id in jobs]
    assert sorted(everything) == sorted(ids)


def test_worker_runs_handlers_and_records_their_failures(database, monkeypatch, deployment):
    calls = []

    def echo(_deployment, job):
        payload = job.payload
        calls.append(payload["key"])
        if payload["key"] == "retry":
            raise RetryableError("429 Too Many Requests", retry_after=120)
        if payload["key"] == "terminal":
            raise TerminalError("400 Bad Request")
        if payload["key"] == "bug":
            raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(worker.HANDLERS, "test.echo", "tests.integration.test_jobs:HANDLER")
    monkeypatch.setattr("tests.integration.test_jobs.HANDLER", echo, raising=False)
    ok, retry, terminal, bug = (_enqueue(database, key) for key in ("ok", "retry", "terminal", "bug"))
    unknown = _enqueue(database, "unknown", kind="no.such.kind")
    runner = Worker(deployment, worker_id="w-test")
    assert runner.run_once(limit=10) == 5
    assert sorted(calls) == ["bug", "ok", "retry", "terminal"]
    assert _job(database, ok).status == "done"
    assert (_job(database, retry).status, _job(database, retry).last_error) == ("queued", "429 Too Many Requests")
    assert _job(database, retry).run_at >= utcnow() + timedelta(seconds=110)
    assert _job(database, terminal).status == "dead"
    assert _job(database, bug).status == "queued" and "ZeroDivisionError" in _job(database, bug).last_error
    assert _job(database, unknown).status == "dead"
    with database.session() as session:
        assert session.scalars(select(Job.status).where(Job.status == "running")).all() == []


HANDLER = None


def test_a_change_while_a_job_runs_queues_one_more_that_waits_for_it(database):
    first = _enqueue(database, "listing:1:stock")
    with database.session() as session:
        [running] = service.claim(session, worker_id="w1", lease_seconds=60)
    second = _enqueue(database, "listing:1:stock")
    assert _enqueue(database, "listing:1:stock") == second != first
    with database.session() as session:
        assert service.claim(session, worker_id="w2", lease_seconds=60) == []
        service.complete(session, job_id=running.id, worker_id="w1")
        [next_one] = service.claim(session, worker_id="w2", lease_seconds=60)
    assert next_one.id == second


def test_the_newest_request_decides_and_the_most_urgent_priority_wins(database):
    now = utcnow()
    job_id = _enqueue(database, "listing:2:content", kind="test.publish", priority=100, run_at=now)
    with database.session() as session, write_transaction(session):
        again = service.enqueue(
            session, kind="test.withdraw", key="listing:2:content", payload={"why": "retired"}, priority=150
        )
    assert again == job_id
    job = _job(database, job_id)
    assert (job.kind, job.payload, job.priority) == ("test.withdraw", {"why": "retired"}, 100)


def test_a_rate_limited_attempt_keeps_its_attempts(database, monkeypatch, deployment):
    def throttled(_deployment, _job):
        raise RetryableError("429 Too Many Requests", retry_after=3, throttled=True)

    monkeypatch.setitem(worker.HANDLERS, "test.echo", "tests.integration.test_jobs:HANDLER")
    monkeypatch.setattr("tests.integration.test_jobs.HANDLER", throttled, raising=False)
    job_id = _enqueue(database, "throttled", max_attempts=1)
    before = utcnow()
    assert Worker(deployment, worker_id="w1").run_once() == 1
    after = utcnow()
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.last_error, job.locked_by) == ("queued", 0, None, None)
    assert before + timedelta(seconds=3) <= job.run_at <= after + timedelta(seconds=3)


def test_a_job_that_gets_part_of_its_work_done_starts_its_count_of_failures_afresh(database, monkeypatch, deployment):
    outcomes = iter(
        [
            RetryableError("503 Service Unavailable"),
            RetryableError("503 Service Unavailable"),
            service.PartlyDone("503 after 40 of 100 messages", retry_after=2),
            RetryableError("503 Service Unavailable"),
        ]
    )

    def flaky(_deployment, _job):
        raise next(outcomes)

    monkeypatch.setitem(worker.HANDLERS, "test.echo", "tests.integration.test_jobs:HANDLER")
    monkeypatch.setattr("tests.integration.test_jobs.HANDLER", flaky, raising=False)
    job_id = _enqueue(database, "flaky", max_attempts=3)
    seen = []
    for _ in range(4):
        with database.session() as session, write_transaction(session):
            session.get(Job, job_id).run_at = utcnow()
        before = utcnow()
        assert Worker(deployment, worker_id="w1").run_once() == 1
        job = _job(database, job_id)
        seen.append((job.status, job.attempts, job.last_error))
        if job.last_error == "503 after 40 of 100 messages":
            assert before + timedelta(seconds=2) <= job.run_at <= utcnow() + timedelta(seconds=2)

    # Two failures, then progress (the count starts again), then one failure: still queued under max_attempts 3.
    assert seen == [
        ("queued", 1, "503 Service Unavailable"),
        ("queued", 2, "503 Service Unavailable"),
        ("queued", 0, "503 after 40 of 100 messages"),
        ("queued", 1, "503 Service Unavailable"),
    ]


def test_jobs_of_vanished_workers_are_requeued_or_folded_into_their_twin(database):
    alone = _enqueue(database, "alone")
    twinned = _enqueue(database, "twinned")
    now = utcnow()
    with database.session() as session:
        assert len(service.claim(session, worker_id="gone", lease_seconds=10, limit=2, now=now)) == 2
    twin = _enqueue(database, "twinned")
    with database.session() as session:
        assert service.requeue_expired(session, now=now + timedelta(seconds=5)) == 0
        assert service.requeue_expired(session, now=now + timedelta(seconds=11)) == 2
    assert (_job(database, alone).status, _job(database, alone).locked_by) == ("queued", None)
    assert _job(database, twinned).status == "done"
    assert _job(database, twin).status == "queued"


def test_finished_jobs_are_purged_after_a_week_and_dead_ones_kept(database):
    done = _enqueue(database, "old-done")
    dead = _enqueue(database, "old-dead")
    now = utcnow()
    with database.session() as session:
        service.claim(session, worker_id="w", lease_seconds=60, limit=2, now=now)
        service.complete(session, job_id=done, worker_id="w")
        service.fail(session, job_id=dead, worker_id="w", error="400", terminal=True)
        assert service.purge_finished(session, older_than=timedelta(days=7), now=now + timedelta(days=6)) == 0
        assert service.purge_finished(session, older_than=timedelta(days=7), now=now + timedelta(days=8)) == 1
    assert _job(database, done) is None
    assert _job(database, dead).status == "dead"


def test_a_job_released_for_its_rate_allowance_keeps_its_attempts_or_yields_to_its_twin(database):
    job_id = _enqueue(database, "listing:9:stock")
    now = utcnow()
    with database.session() as session:
        service.claim(session, worker_id="w", lease_seconds=60, now=now)
        assert service.release(session, job_id=job_id, worker_id="w", delay=2.0, now=now) == "queued"
    job = _job(database, job_id)
    assert (job.status, job.attempts, job.locked_by, job.run_at) == ("queued", 0, None, now + timedelta(seconds=2))
    with database.session() as session:
        service.claim(session, worker_id="w", lease_seconds=60, now=now + timedelta(seconds=3))
    twin = _enqueue(database, "listing:9:stock")
    with database.session() as session:
        assert service.release(session, job_id=job_id, worker_id="w", delay=2.0) == "done"
    assert (_job(database, job_id).status, _job(database, twin).status) == ("done", "queued")


def test_a_live_worker_renews_the_leases_of_its_running_jobs_only(database):
    mine, theirs, waiting = (_enqueue(database, key) for key in ("mine", "theirs", "waiting"))
    now = utcnow()
    with database.session() as session:
        [first] = service.claim(session, worker_id="w1", lease_seconds=30, now=now)
        [second] = service.claim(session, worker_id="w2", lease_seconds=30, now=now)
        later = now + timedelta(seconds=25)
        assert service.renew_leases(session, worker_id="w1", lease_seconds=30, now=later) == 1
    assert (first.id, second.id) == (mine, theirs)
    assert _job(database, mine).locked_until == later + timedelta(seconds=30)
    assert _job(database, theirs).locked_until == now + timedelta(seconds=30)
    assert (_job(database, waiting).status, _job(database, waiting).locked_until) == ("queued", None)
    with database.session() as session:
        # Past the first lease, only the worker that stopped beating loses its job.
        assert service.requeue_expired(session, now=now + timedelta(seconds=31)) == 1
    assert (_job(database, mine).status, _job(database, theirs).status) == ("running", "queued")


@pytest.mark.shared_database
def test_a_job_running_longer_than_its_lease_stays_with_its_worker(database, settings, monkeypatch, deployment):
    clock = ManualClock()
    started, release = threading.Event(), threading.Event()

    def slow(_deployment, _job):
        started.set()
        assert release.wait(10)

    monkeypatch.setitem(worker.HANDLERS, "test.echo", "tests.integration.test_jobs:HANDLER")
    monkeypatch.setattr("tests.integration.test_jobs.HANDLER", slow, raising=False)
    job_id = _enqueue(database, "long", run_at=clock.utcnow())
    runner = Worker(
        replace(deployment, settings=settings.model_copy(update={"job_lease_seconds": 3})),
        worker_id="w-long",
        clock=clock,
    )
    runner.heartbeat_seconds = 0.01
    beat_after_the_lease = threading.Event()
    renew = runner.renew_leases

    def renew_and_tell(holder: str) -> None:
        # The moment is read first: a renewal that started before the clock moved does not count.
        moment = clock.now
        renew(holder)
        if moment >= lease_end:
            beat_after_the_lease.set()

    lease_end = clock.now + 3.5
    runner.renew_leases = renew_and_tell
    stop = threading.Event()
    loop = threading.Thread(target=runner.run_threads, args=(stop,), kwargs={"threads": 2})
    loop.start()
    try:
        assert started.wait(10)
        claimed_until = _job(database, job_id).locked_until
        assert claimed_until == clock.utcnow() + timedelta(seconds=3)
        clock.advance(3.5)
        assert beat_after_the_lease.wait(10)
        with database.session() as session:
            # Half a second past the claim's lease, the job is still its worker's.
            assert service.requeue_expired(session, now=clock.utcnow()) == 0
        renewed = _job(database, job_id)
        assert (renewed.status, renewed.locked_by) == ("running", "w-long:pool")
        assert renewed.locked_until == clock.utcnow() + timedelta(seconds=3)
    finally:
        release.set()
        stop.set()
        loop.join(10)
    assert _job(database, job_id).status == "done"


def test_vacuuming_the_queue_keeps_every_job(database):
    ids = [_enqueue(database, f"vacuumed:{number}") for number in range(5)]
    with database.session() as session:
        for job in service.claim(session, worker_id="w1", lease_seconds=60, limit=2):
            service.complete(session, job_id=job.id, worker_id="w1")
    service.vacuum_queue(database)
    with database.session() as session:
        statuses = dict(session.execute(select(Job.id, Job.status).where(Job.id.in_(ids))).all())
    assert statuses == {ids[0]: "done", ids[1]: "done", ids[2]: "queued", ids[3]: "queued", ids[4]: "queued"}


def test_a_job_given_back_for_its_rate_allowance_keeps_its_place_in_the_queue(database):
    now = utcnow()
    first = _enqueue(database, "listing:1:publish", rate_key="channel_account:7", run_at=now - timedelta(seconds=5))
    second = _enqueue(database, "listing:2:publish", rate_key="channel_account:7", run_at=now - timedelta(seconds=1))
    with database.session() as session:
        [claimed] = service.claim(session, worker_id="w", lease_seconds=60, now=now)
        assert service.release(session, job_id=first, worker_id="w", delay=2.0, now=now) == "queued"
    assert claimed.id == first
    job = _job(database, first)
    assert (job.status, job.attempts, job.run_at) == ("queued", 0, now - timedelta(seconds=5))
    with database.session() as session:
        [again] = service.claim(session, worker_id="w", lease_seconds=60, now=now + timedelta(seconds=1))
    assert (again.id, _job(database, second).status) == (first, "queued")
