"""Marketplace simulators served on loopback, and what tests do with them: accounts, draining the queue."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from commerce.jobs.worker import Worker
from integrations.simulation import Simulator
from integrations.stand_ins import SIMULATORS, simulator_credentials


@contextmanager
def served(app) -> Iterator[str]:
    """A WSGI application served over HTTP on a free loopback port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def shop_schema(platform: str) -> dict[str, Any]:
    """A Shopify simulator judges every document by Shopify's official schema of the version the
    client speaks (the other marketplaces have no schema to give)."""
    if platform != "shopify":
        return {}
    from integrations.shopify.queries import LATEST_API_VERSION
    from tests.contracts.shopify_schema import admin_schema

    return {"schema": admin_schema(LATEST_API_VERSION)}


@contextmanager
def running_simulator(platform: str, **options: Any) -> Iterator[tuple[Simulator, str]]:
    simulator = SIMULATORS[platform](**{**shop_schema(platform), **options})
    with served(simulator.app) as url:
        yield simulator, url


def connect_account(client, headers, platform: str, base_url: str, **settings: Any) -> dict:
    """Connect a marketplace account to a simulator through the API (fast pacing unless told)."""
    body = {
        "platform": platform,
        "name": f"{platform} test",
        "credentials": simulator_credentials(platform),
        "settings": {"base_url": base_url, "rate_limit_per_second": 500, "currency": "CNY", **settings},
    }
    response = client.post("/api/v1/channel-accounts", headers=headers, json=body)
    assert response.status_code == 201, response.json
    return response.json


def drain(deployment, *, rounds: int = 50) -> int:
    """Run every job that is due until none is left; returns how many ran."""
    worker = Worker(deployment, worker_id="test-worker")
    total = 0
    for _ in range(rounds):
        ran = worker.run_once(limit=20)
        total += ran
        if not ran:
            return total
    raise AssertionError("the queue did not drain")


def deliver_webhooks(simulator: Simulator, client, account_id: int) -> list[httpx.Response]:
    """Post the simulator's queued webhooks to our endpoint, as the marketplace would."""
    answers = []
    for headers, body in simulator.take_webhooks():
        answers.append(client.post(f"/api/v1/webhooks/{simulator.platform}/{account_id}", data=body, headers=headers))
    return answers
