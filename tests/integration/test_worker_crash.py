"""A worker process killed with SIGKILL in the middle of a publish run: everything completes, nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from commerce.jobs.models import Job
from commerce.listings.models import Listing
from integrations.simulation import Faults
from tests.marketplaces import connect_account, running_simulator

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = 40


def _worker(database_url: str, secret_key: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "COMMERCE_ENV": "test",
        "COMMERCE_DATABASE_URL": database_url,
        "COMMERCE_SECRET_KEY": secret_key,
        "COMMERCE_JOB_LEASE_SECONDS": "3",
        "COMMERCE_WORKER_POLL_SECONDS": "0.2",
        "COMMERCE_AUTO_MIGRATE": "false",
        "COMMERCE_LOG_LEVEL": "ERROR",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "run", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _published(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Listing).where(Listing.external_id.is_not(None)))


def _wait(condition, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.shared_database
def test_a_killed_worker_loses_nothing_and_duplicates_nothing(factory, client, database, settings, database_url):
    world = factory.world()
    products = [factory.product(world.maker_a_id, status="approved") for _ in range(PRODUCTS)]
    with running_simulator("tiktok_shop", faults=Faults(latency_seconds=0.05)) as (simulator, url):
        account = connect_account(client, world.headers["admin"], "tiktok_shop", url, rate_limit_per_second=40)
        for product in products:
            response = client.post(
                f"/api/v1/products/{product.id}/listings",
                headers=world.headers["sme_a"],
                json={"channel_account_id": account["id"]},
            )
            assert response.status_code == 202
        first = _worker(database_url, settings.secret_key)
        try:
            assert _wait(lambda: _published(database) >= 10, timeout=60)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        killed_at = _published(database)
        assert killed_at < PRODUCTS
        second = _worker(database_url, settings.secret_key)
        try:
            assert _wait(lambda: _published(database) == PRODUCTS, timeout=90)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        store = simulator.store
        assert store.duplicates() == 0
        assert len(store.listings) == PRODUCTS
    with database.session() as session:
        statuses = session.execute(select(Listing.status, func.count()).group_by(Listing.status)).all()
        assert [tuple(row) for row in statuses] == [("publishing", PRODUCTS)]
        publishing_jobs = session.execute(
            select(Job.status, func.count()).where(Job.kind == "listings.publish").group_by(Job.status)
        ).all()
        assert [tuple(row) for row in publishing_jobs] == [("done", PRODUCTS)]
