"""A simulated counterpart's HTTP front: admission under its rate limits (token buckets), faults
injected on request (errors, latency, throttling), the control endpoints tests and demos drive it
with, and the webhooks it delivers. The marketplace behind it is ``market_store``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from flask import Blueprint, Flask, jsonify, request

from integrations.market_store import Event, MarketStore
from integrations.marketplace import RemoteOrderStatus


@dataclass
class Faults:
    """Failures a simulator adds on request: random 5xx answers and slow answers."""

    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    latency_seconds: float = 0.0
    random: random.Random = field(default_factory=lambda: random.Random(7))


class TokenBucket:
    """A marketplace's rate limit for one account: ``rate`` requests a second, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst if burst is not None else max(rate, 1.0)
        self.tokens = self.burst
        self.clock = clock
        self.updated = clock()
        self.lock = threading.Lock()

    def take(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens; returns 0 when granted, otherwise the seconds until they would be."""
        with self.lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= cost:
                self.tokens -= cost
                return 0.0
            return (cost - self.tokens) / self.rate


class Traffic:
    """What a simulator saw: requests answered, refused for rate, failed on purpose."""

    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: list[float] = []
        self.throttled = 0
        self.failed = 0
        # Points spent, for marketplaces whose limit is a cost bucket (Shopify): (when, points).
        self.spent: list[tuple[float, float]] = []

    def spend(self, points: float) -> None:
        with self.lock:
            self.spent.append((time.monotonic(), points))

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            accepted = list(self.accepted)
            throttled, failed = self.throttled, self.failed
            spent = list(self.spent)
        rate = 0.0
        if len(accepted) > 1:
            rate = (len(accepted) - 1) / max(accepted[-1] - accepted[0], 1e-9)
        return {
            "accepted": len(accepted),
            "throttled": throttled,
            "failed": failed,
            "accepted_per_second": round(rate, 2),
            "points_spent": sum(points for _at, points in spent),
            "first_at": accepted[0] if accepted else None,
            "last_at": accepted[-1] if accepted else None,
        }


class Admission:
    """A simulator's door: faults and the rate limit applied to each request, counted in its traffic.

    Needs ``bucket`` (a TokenBucket or None), ``faults`` and ``traffic`` on the instance.
    """

    bucket: TokenBucket | None
    faults: Faults
    traffic: Traffic

    def admit(self, cost: float = 1.0) -> float | None:
        """Apply faults and the rate limit to one request: None to serve it, else seconds to wait (429)."""
        faults = self.faults
        if faults.latency_seconds:
            time.sleep(faults.latency_seconds)
        if faults.slow_rate and faults.random.random() < faults.slow_rate:
            time.sleep(faults.slow_seconds)
        if self.bucket is not None:
            wait = self.bucket.take(cost)
            if wait > 0:
                with self.traffic.lock:
                    self.traffic.throttled += 1
                return wait
        with self.traffic.lock:
            self.traffic.accepted.append(time.monotonic())
        return None

    def should_fail(self) -> bool:
        failing = bool(self.faults.error_rate) and self.faults.random.random() < self.faults.error_rate
        if failing:
            with self.traffic.lock:
                self.traffic.failed += 1
        return failing


class Simulator(Admission):
    """What every platform simulator shares: the store, limits, faults, traffic and webhook delivery."""

    platform = ""

    def __init__(
        self,
        *,
        store: MarketStore | None = None,
        rate_limit: float | None = None,
        faults: Faults | None = None,
        webhook_url: str | None = None,
        webhook_delay_seconds: float = 0.0,
        webhook_duplicate_rate: float = 0.0,
    ):
        self.store = store or MarketStore()
        self.bucket = TokenBucket(rate_limit) if rate_limit else None
        self.faults = faults or Faults()
        self.traffic = Traffic()
        self.webhook_url = webhook_url
        self.webhook_delay_seconds = webhook_delay_seconds
        self.webhook_duplicate_rate = webhook_duplicate_rate
        self.outbox: list[tuple[float, dict[str, str], bytes]] = []
        self.outbox_lock = threading.Condition()
        self.store.listeners.append(self._queue_webhook)
        self.app = self.build_app()
        self.app.register_blueprint(control_blueprint(self))

    # Platform-specific parts

    def build_app(self) -> Flask:
        raise NotImplementedError

    def webhook_request(self, event: Event) -> tuple[dict[str, str], bytes] | None:
        """The platform's signed webhook for an event (headers, raw body), or None if it sends none."""
        raise NotImplementedError

    # Shared behaviour

    def _queue_webhook(self, event: Event) -> None:
        signed = self.webhook_request(event)
        if signed is None:
            return
        headers, body = signed
        due = time.monotonic() + self.webhook_delay_seconds
        with self.outbox_lock:
            self.outbox.append((due, headers, body))
            if self.webhook_duplicate_rate and self.faults.random.random() < self.webhook_duplicate_rate:
                self.outbox.append((due + self.webhook_delay_seconds, headers, body))
            self.outbox_lock.notify_all()

    def take_webhooks(self) -> list[tuple[dict[str, str], bytes]]:
        """Every queued webhook, due or not (tests deliver them themselves, in any order)."""
        with self.outbox_lock:
            taken = [(headers, body) for _due, headers, body in self.outbox]
            self.outbox.clear()
        return taken

    def deliver_forever(self, stop: threading.Event, *, url: str | None = None) -> None:
        """Post due webhooks to the seller's URL until stopped; failed deliveries are tried again."""
        target = url or self.webhook_url
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                self.store.settle_due()
                with self.outbox_lock:
                    now = time.monotonic()
                    due = [item for item in self.outbox if item[0] <= now]
                    self.outbox = [item for item in self.outbox if item[0] > now]
                    if not due:
                        self.outbox_lock.wait(0.2)
                        continue
                for _due, headers, body in due:
                    try:
                        answer = client.post(target, content=body, headers=headers)
                        delivered = answer.status_code < 300
                    except httpx.HTTPError:
                        delivered = False
                    if not delivered:
                        with self.outbox_lock:
                            self.outbox.append((time.monotonic() + 1.0, headers, body))


def control_blueprint(simulator: Simulator) -> Blueprint:
    """Endpoints for tests, demos and benchmarks: traffic figures, shoppers buying, reviews, faults."""
    bp = Blueprint("simulator_control", __name__, url_prefix="/_simulator")

    @bp.get("/stats")
    def stats():
        store = simulator.store
        with store.lock:
            listings = len(store.listings)
            reviews = Counter(listing.review.value for listing in store.listings.values())
        return jsonify(
            {
                **simulator.traffic.snapshot(),
                "listings": listings,
                "duplicates": store.duplicates(),
                "reviews": dict(reviews),
                "orders": len(store.orders),
                "webhooks_queued": len(simulator.outbox),
            }
        )

    @bp.post("/orders")
    def buy():
        body = request.get_json(force=True)
        order = simulator.store.buy(
            seller_sku=body["seller_sku"],
            quantity=int(body.get("quantity", 1)),
            buyer_name=body.get("buyer_name", "Buyer"),
            country=body.get("country", "US"),
        )
        return jsonify({"id": order.id}), 201

    @bp.post("/orders/<order_id>/status")
    def order_status(order_id: str):
        body = request.get_json(force=True)
        order = simulator.store.set_order_status(order_id, RemoteOrderStatus(body["status"]))
        return jsonify({"id": order.id, "status": order.status.value})

    @bp.get("/listings/<identity>/quantities")
    def quantities(identity: str):
        listing = simulator.store.find(identity)
        if listing is None:
            return jsonify({"error": "not found"}), 404
        return jsonify({sku.seller_sku: sku.quantity for sku in listing.skus.values()})

    @bp.post("/reviews/finish")
    def finish_reviews():
        return jsonify({"finished": simulator.store.finish_reviews()})

    @bp.post("/behaviour")
    def behaviour():
        body = request.get_json(force=True)
        store = simulator.store
        for name in ("review_seconds", "drop_edits"):
            if name in body:
                setattr(store.behaviour, name, body[name])
        for name in ("error_rate", "slow_rate", "slow_seconds", "latency_seconds"):
            if name in body:
                setattr(simulator.faults, name, float(body[name]))
        if "rate_limit" in body:
            simulator.bucket = TokenBucket(float(body["rate_limit"])) if body["rate_limit"] else None
        return jsonify({"ok": True})

    return bp
