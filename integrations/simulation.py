"""The marketplace behind the fakes and simulators: listings, review, stock, orders and webhooks.

``MarketStore`` is a platform-neutral model of a marketplace. Each platform's fake drives it
directly through ``MarketplaceClient``; each platform's simulator is a Flask app that speaks the
platform's HTTP dialect in front of it. Both therefore agree on behaviour, and the contract
suite checks that the real client, talking to the simulator, sees what the fake shows.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from flask import Blueprint, Flask, jsonify, request

from integrations.marketplace import ListingContent, RemoteOrderStatus, ReviewState


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class StoredSku:
    id: str
    seller_sku: str
    price: Decimal
    quantity: int
    attributes: dict[str, str]


@dataclass
class StoredListing:
    id: str
    identity: str
    title: str
    description: str
    currency: str
    brand: str | None
    category: str | None
    images: list[str]
    skus: dict[str, StoredSku]  # by seller SKU
    review: ReviewState
    review_note: str | None
    review_due: float
    active: bool = True
    version: int = 1


@dataclass
class StoredOrder:
    id: str
    status: RemoteOrderStatus
    currency: str
    buyer_name: str
    buyer_country: str | None
    lines: list[tuple[str, int, Decimal]]  # seller SKU, quantity, unit price
    created_at: datetime
    updated_at: datetime


@dataclass
class Event:
    """Something the marketplace tells its sellers by webhook."""

    id: str
    kind: str  # "order" or "listing"
    subject_id: str
    detail: dict[str, Any]
    at: datetime


class StoreRefusal(Exception):
    """The marketplace refuses a request (an answer in its own error dialect follows)."""

    def __init__(self, reason: str, message: str, **detail: Any):
        super().__init__(message)
        self.reason = reason  # not_found | stale_stock | invalid
        self.detail = detail


@dataclass
class Behaviour:
    """How the marketplace behaves: review time and words it rejects, and edits it quietly drops."""

    review_seconds: float = 0.0
    rejected_words: tuple[str, ...] = ("counterfeit",)
    drop_edits: int = 0  # the next N edits are answered as accepted and not applied


class MarketStore:
    """One marketplace account's state; thread-safe."""

    def __init__(
        self,
        *,
        behaviour: Behaviour | None = None,
        id_start: int = 1_000_000,
        now: Callable[[], datetime] = _utcnow,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.lock = threading.RLock()
        self.behaviour = behaviour or Behaviour()
        self.now = now
        # Seconds that only ever go forward, for reviews that take time.
        self.clock = clock
        self.listings: dict[str, StoredListing] = {}
        self.in_review: set[str] = set()
        self.by_identity: dict[str, str] = {}
        self.creations: Counter[str] = Counter()
        self.orders: dict[str, StoredOrder] = {}
        self.events: list[Event] = []
        self.idempotency: dict[str, Any] = {}
        self._ids = itertools.count(id_start)
        self.listeners: list[Callable[[Event], None]] = []

    def next_id(self) -> str:
        return str(next(self._ids))

    # Listings

    def _review_of(self, content: ListingContent) -> tuple[ReviewState, str | None, float]:
        text = f"{content.title} {content.description}".lower()
        for word in self.behaviour.rejected_words:
            if word in text:
                return ReviewState.REJECTED, f"prohibited wording: {word}", 0.0
        if self.behaviour.review_seconds > 0:
            return ReviewState.IN_REVIEW, None, self.clock() + self.behaviour.review_seconds
        return ReviewState.APPROVED, None, 0.0

    def create(self, content: ListingContent) -> StoredListing:
        with self.lock:
            listing_id = self.next_id()
            review, note, due = self._review_of(content)
            listing = StoredListing(
                id=listing_id,
                identity=content.identity,
                title=content.title,
                description=content.description,
                currency=content.currency,
                brand=content.brand,
                category=content.category,
                images=list(content.images),
                skus={
                    sku.seller_sku: StoredSku(
                        self.next_id(), sku.seller_sku, sku.price, sku.quantity, dict(sku.attributes)
                    )
                    for sku in content.skus
                },
                review=review,
                review_note=note,
                review_due=due,
            )
            self.listings[listing_id] = listing
            self.by_identity.setdefault(content.identity, listing_id)
            self.creations[content.identity] += 1
            self._decided(listing)
            return listing

    def replace(self, listing_id: str, content: ListingContent) -> StoredListing:
        """Full-state edit; SKUs keep their ids by seller SKU, new ones get ids, missing ones go."""
        with self.lock:
            listing = self.get(listing_id)
            if self.behaviour.drop_edits > 0:
                self.behaviour.drop_edits -= 1
                return listing
            review, note, due = self._review_of(content)
            listing.title, listing.description = content.title, content.description
            listing.currency, listing.brand, listing.category = content.currency, content.brand, content.category
            listing.images = list(content.images)
            skus = {}
            for sku in content.skus:
                kept = listing.skus.get(sku.seller_sku)
                skus[sku.seller_sku] = StoredSku(
                    kept.id if kept else self.next_id(), sku.seller_sku, sku.price, sku.quantity, dict(sku.attributes)
                )
            listing.skus = skus
            listing.review, listing.review_note, listing.review_due = review, note, due
            listing.active = True
            listing.version += 1
            self._decided(listing)
            return listing

    def get(self, listing_id: str) -> StoredListing:
        with self.lock:
            listing = self.listings.get(listing_id)
            if listing is None:
                raise StoreRefusal("not_found", f"product {listing_id} does not exist")
            self._settle(listing)
            return listing

    def find(self, identity: str) -> StoredListing | None:
        with self.lock:
            listing_id = self.by_identity.get(identity)
            return self.get(listing_id) if listing_id else None

    def _settle(self, listing: StoredListing) -> None:
        """Finish a review whose time has come, and tell the seller."""
        if listing.review == ReviewState.IN_REVIEW and listing.review_due and self.clock() >= listing.review_due:
            listing.review = ReviewState.APPROVED
            listing.review_due = 0.0
            self.in_review.discard(listing.id)
            self._emit("listing", listing.id, {"review": listing.review.value})

    def _decided(self, listing: StoredListing) -> None:
        """A review decided at once (or no review at all) is told to the seller like any other."""
        if listing.review == ReviewState.IN_REVIEW:
            self.in_review.add(listing.id)
        else:
            self.in_review.discard(listing.id)
            self._emit("listing", listing.id, {"review": listing.review.value})

    def settle_due(self) -> int:
        """Finish every review whose time has come, as the marketplace does on its own; returns how many."""
        with self.lock:
            now = self.clock()
            due = [
                self.listings[listing_id]
                for listing_id in self.in_review
                if self.listings[listing_id].review_due <= now
            ]
            for listing in due:
                self._settle(listing)
            return len(due)

    def finish_reviews(self) -> int:
        """Complete every review now (as if its time had come); returns how many finished."""
        with self.lock:
            waiting = [self.listings[listing_id] for listing_id in self.in_review]
            for listing in waiting:
                listing.review_due = self.clock() - 1
                self._settle(listing)
            return len(waiting)

    def set_stock(self, listing_id: str, quantities: dict[str, tuple[int, int | None]], *, key: str | None) -> None:
        """Set quantities by seller SKU, each with an optional expected current value (compare-and-set)."""
        with self.lock:
            if key is not None and key in self.idempotency:
                return
            listing = self.get(listing_id)
            unknown = [seller_sku for seller_sku in quantities if seller_sku not in listing.skus]
            if unknown:
                raise StoreRefusal("invalid", f"unknown SKUs {unknown}")
            stale = {
                seller_sku: listing.skus[seller_sku].quantity
                for seller_sku, (_quantity, expected) in quantities.items()
                if expected is not None and listing.skus[seller_sku].quantity != expected
            }
            if stale:
                raise StoreRefusal("stale_stock", "the quantity changed since it was read", actual=stale)
            for seller_sku, (quantity, _expected) in quantities.items():
                listing.skus[seller_sku].quantity = quantity
            if key is not None:
                self.idempotency[key] = True

    def deactivate(self, listing_id: str) -> None:
        with self.lock:
            listing = self.get(listing_id)
            if listing.active:
                listing.active = False
                listing.review = ReviewState.OFFLINE
                self.in_review.discard(listing.id)

    def duplicates(self) -> int:
        """Listings created more than once for the same identity."""
        with self.lock:
            return sum(count - 1 for count in self.creations.values() if count > 1)

    # Orders

    def buy(
        self, *, seller_sku: str, quantity: int, buyer_name: str = "Buyer", country: str | None = "US"
    ) -> StoredOrder:
        """A shopper buys on the marketplace: its stock drops and the seller is told."""
        with self.lock:
            for listing in self.listings.values():
                sku = listing.skus.get(seller_sku)
                if sku is not None and listing.active:
                    break
            else:
                raise StoreRefusal("not_found", f"no live listing sells {seller_sku}")
            if sku.quantity < quantity:
                raise StoreRefusal("invalid", "not enough stock on the marketplace")
            sku.quantity -= quantity
            now = self.now()
            order = StoredOrder(
                id=self.next_id(),
                status=RemoteOrderStatus.PAID,
                currency=listing.currency,
                buyer_name=buyer_name,
                buyer_country=country,
                lines=[(seller_sku, quantity, sku.price)],
                created_at=now,
                updated_at=now,
            )
            self.orders[order.id] = order
            self._emit("order", order.id, {"status": order.status.value})
            return order

    def set_order_status(self, order_id: str, status: RemoteOrderStatus) -> StoredOrder:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise StoreRefusal("not_found", f"order {order_id} does not exist")
            order.status = status
            order.updated_at = max(self.now(), order.updated_at)
            self._emit("order", order.id, {"status": status.value})
            return order

    def order(self, order_id: str) -> StoredOrder:
        with self.lock:
            order = self.orders.get(order_id)
            if order is None:
                raise StoreRefusal("not_found", f"order {order_id} does not exist")
            return order

    def orders_since(self, since: datetime) -> list[StoredOrder]:
        """Orders changed at or after a moment, oldest change first."""
        with self.lock:
            return sorted(
                (order for order in self.orders.values() if order.updated_at >= since),
                key=lambda order: (order.updated_at, int(order.id)),
            )

    def _emit(self, kind: str, subject_id: str, detail: dict[str, Any]) -> None:
        event = Event(id=self.next_id(), kind=kind, subject_id=subject_id, detail=detail, at=self.now())
        self.events.append(event)
        for listener in self.listeners:
            listener(event)


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
