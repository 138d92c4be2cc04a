"""The marketplace behind the fakes and simulators: listings, review, stock, orders and webhooks.

``MarketStore`` is a platform-neutral model of a marketplace. Each platform's fake drives it
directly through ``MarketplaceClient``; each platform's simulator is a Flask app that speaks the
platform's HTTP dialect in front of it (``simulation.Simulator``). Both therefore agree on
behaviour, and the contract suite checks that the real client, talking to the simulator, sees
what the fake shows.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integrations.market_money import (
    MoneyStore,
    StoredAfterSale,
    StoredPayout,
    StoredTransaction,
    StoreRefusal,
)
from integrations.marketplace import (
    ListingContent,
    RemoteOrderStatus,
    ReviewState,
)


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
    kind: str  # "order", "listing" or "after_sale" (whose subject is its order)
    subject_id: str
    detail: dict[str, Any]
    at: datetime


@dataclass
class Behaviour:
    """How the marketplace behaves: review time and words it rejects, and edits it quietly drops."""

    review_seconds: float = 0.0
    rejected_words: tuple[str, ...] = ("counterfeit",)
    drop_edits: int = 0  # the next N edits are answered as accepted and not applied


class MarketStore(MoneyStore):
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
        self.after_sales: dict[str, StoredAfterSale] = {}
        self.payouts: dict[str, StoredPayout] = {}
        self.paid_out: set[str] = set()  # orders and after-sales a payout has carried
        self.pending_transactions: list[StoredTransaction] = []
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

    def _touch(self, order: StoredOrder) -> None:
        """An order changes when one of its after-sales does (marketplaces date the order anew)."""
        order.updated_at = max(self.now(), order.updated_at)

    def _emit(self, kind: str, subject_id: str, detail: dict[str, Any]) -> None:
        event = Event(id=self.next_id(), kind=kind, subject_id=subject_id, detail=detail, at=self.now())
        self.events.append(event)
        for listener in self.listeners:
            listener(event)
