import json
from datetime import timedelta

from sqlalchemy import select

from commerce.audit.models import AuditEvent
from commerce.catalog.presenter import product_documents
from commerce.clusters import trademarks as cluster_trademarks
from commerce.clusters.models import Membership
from commerce.db import utcnow
from commerce.scheduler import (
    LEADER_LOCK_KEY,
    MISFIRE_GRACE_SECONDS,
    ScheduledJob,
    build_scheduler,
    guarded,
    lead,
    leadership_for,
    scheduled_jobs,
)


def test_every_scheduled_job_has_an_id_and_safe_defaults(database):
    scheduler = build_scheduler(database)
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
        assert sorted(job.id for job in jobs) == sorted(job.id for job in scheduled_jobs())
        assert [job.id for job in scheduled_jobs()] == [
            "cluster_trademarks.expire_memberships",
            "listings.poll_orders",
            "listings.reconcile_stock",
            "customs.poll_receipts",
            "rebates.fetch_parity",
            "reports.refresh",
            "jobs.requeue_stuck",
            "jobs.purge_finished",
        ]
        for job in jobs:
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, MISFIRE_GRACE_SECONDS)
            assert job.next_run_time is not None
    finally:
        scheduler.shutdown(wait=False)


def test_expired_memberships_lose_the_mark(factory, database):
    world = factory.world()
    product = factory.product(world.maker_a_id, status="approved", trademark_id=world.trademark_id)
    with database.session() as session:
        valid_to = session.get(Membership, world.membership_a_id).valid_to
        assert cluster_trademarks.expire_memberships(session, today=valid_to) == 0
        assert cluster_trademarks.expire_memberships(session, today=valid_to + timedelta(days=1)) == 1
        assert cluster_trademarks.expire_memberships(session, today=valid_to + timedelta(days=2)) == 0
    with database.session() as session:
        assert session.get(Membership, world.membership_a_id).status == "expired"
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_id.in_([product.id, world.membership_a_id]))
            .order_by(AuditEvent.id)
        ).all()
        assert actions[-2:] == ["expired", "trademark_withdrawn"]
        [shown] = product_documents(session, [product.id], languages=["en"], today=utcnow().date())
        assert json.loads(shown)["trademark_usable"] is False


def test_a_membership_past_its_end_is_unusable_even_before_the_sweep(factory, database):
    world = factory.world()
    product = factory.product(world.maker_a_id, status="approved", trademark_id=world.trademark_id)
    with database.session() as session:
        valid_to = session.get(Membership, world.membership_a_id).valid_to
        [on_last_day] = product_documents(session, [product.id], languages=["en"], today=valid_to)
        [day_after] = product_documents(session, [product.id], languages=["en"], today=valid_to + timedelta(days=1))
    assert (json.loads(on_last_day)["trademark_usable"], json.loads(day_after)["trademark_usable"]) == (True, False)


def test_receipt_polls_are_queued_only_for_platforms_waiting_on_customs(client, factory, database):
    from sqlalchemy import select

    from commerce.customs.tasks import queue_receipt_polls
    from commerce.jobs.models import Job
    from tests.e2e.test_customs import configure, shipped_export_order
    from tests.factories import open_shop

    shop = open_shop(factory)
    platform = configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "P-1", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json

    assert queue_receipt_polls(database) == 0
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    assert queue_receipt_polls(database) == 1
    assert queue_receipt_polls(database) == 1

    with database.session() as session:
        polls = session.scalars(select(Job.key).where(Job.kind == "customs.poll_receipts")).all()
    assert polls == [f"customs-platform:{platform['id']}:receipts"]


def _cut(database, leadership) -> None:
    """What takes a leader's lock from under it: on PostgreSQL its connection ended by the server
    (as after a restart or a network cut), on SQLite its lock file deleted."""
    import os

    from sqlalchemy import text

    if database.is_sqlite:
        os.remove(leadership.path)
        return
    with database.engine.connect() as connection:
        pid = connection.execute(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": LEADER_LOCK_KEY},
        ).scalar_one()
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True


def test_a_leader_whose_lock_is_cut_runs_nothing_more_and_another_takes_over(database):
    import threading

    first, second = leadership_for(database), leadership_for(database)
    runs = []
    job = ScheduledJob(id="test.job", trigger=None, run=lambda db: runs.append(db), description="")
    first_lost, second_lost = threading.Event(), threading.Event()
    first_run, second_run = guarded(job, first, first_lost), guarded(job, second, second_lost)
    try:
        assert (first.try_acquire(), second.try_acquire()) == (True, False)
        first_run(database)
        second_run(database)
        assert (runs, first_lost.is_set(), second_lost.is_set()) == ([database], False, True)

        _cut(database, first)
        assert first.held() is False
        first_run(database)
        assert (runs, first_lost.is_set()) == ([database], True)
        # The cut leader's place is free: the other takes it, and the cut one cannot take it back.
        assert (second.try_acquire(), first.try_acquire()) == (True, False)
        second_run(database)
        assert runs == [database, database]
        assert (first.held(), second.held()) == (False, True)
    finally:
        first.release()
        second.release()


def test_the_leader_steps_down_when_its_lock_is_lost(database):
    import threading

    leadership = leadership_for(database)
    assert leadership.try_acquire() is True
    stop = threading.Event()
    checks = []
    held = leadership.held

    def held_then_cut() -> bool:
        checks.append(True)
        if len(checks) == 2:
            _cut(database, leadership)
        return held()

    leadership.held = held_then_cut
    # Returns (without ``stop``) once a check finds the lock gone, having let it go.
    lead(database, leadership, stop=stop, check_seconds=0)
    assert (len(checks), stop.is_set()) == (2, False)
    other = leadership_for(database)
    try:
        assert other.try_acquire() is True
    finally:
        other.release()
