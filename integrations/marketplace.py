"""The interface the domain uses to talk to any marketplace, in domain terms.

Each platform package (``shopify``, ``tiktok_shop``, ``douyin``) has a real client speaking the
platform's published API, an in-memory fake and a simulator; all three satisfy
``MarketplaceClient``, and one contract suite runs against the fake and the client-on-simulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Protocol

import httpx

from integrations.base import CounterpartClient, IntegrationError, RateGate, RetryableError, TerminalError


class ReviewState(StrEnum):
    """Where the marketplace's own review of a listing stands (kept apart from our listing status)."""

    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    OFFLINE = "offline"


class RemoteOrderStatus(StrEnum):
    """A marketplace order's state, in our words."""

    UNPAID = "unpaid"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SkuContent:
    seller_sku: str
    price: Decimal
    quantity: int
    attributes: Mapping[str, str] = field(default_factory=dict)
    barcode: str | None = None
    weight_kg: Decimal = Decimal("0")


@dataclass(frozen=True)
class ImageFile:
    """A product photo a marketplace takes as an upload: its name (its content's hash and type)
    and how to read its bytes."""

    name: str
    read: Callable[[], bytes | None] = field(compare=False, hash=False, repr=False)
    content_type: str = "image/jpeg"
    url: str | None = None  # where the marketplace may fetch it, where the platform has a public address

    def bytes(self, counterpart: str) -> bytes:
        data = self.read()
        if data is None:
            raise TerminalError(f"{counterpart}: photo {self.name} is missing from the media store")
        return data


class UploadedMedia(Protocol):
    """What a client has put in its marketplace's media store, by photo name, so a photo is
    uploaded to an account once: kept across workers and restarts by the platform."""

    def get(self, name: str) -> str | None:
        """The marketplace's reference for the photo (a URI, a file id, an address), if kept."""

    def put(self, name: str, reference: str) -> None:
        """Keep the marketplace's reference for the photo, replacing an older one."""

    def forget(self, name: str) -> None:
        """The marketplace no longer holds the photo (a seller deleted it there): upload it again."""


class MemoryMedia(dict):
    """Uploaded media kept in memory: for one client's life (fakes, tests, a single run)."""

    def put(self, name: str, reference: str) -> None:
        self[name] = reference

    def forget(self, name: str) -> None:
        self.pop(name, None)


class AccountClient(CounterpartClient):
    """What each platform's client holds for one marketplace account: the credentials and settings
    its operator gave (``base_url`` sends it to a sandbox or a simulator instead of the platform's
    own address) and the photos already uploaded to it. A platform reads what it needs of them in
    ``configure``."""

    platform: ClassVar[str]
    api_base_url: ClassVar[str]

    def __init__(
        self,
        credentials: Mapping[str, str],
        settings: Mapping[str, Any] | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        gate: RateGate | None = None,
        clock: Callable[[], float] = time.time,
        media: UploadedMedia | None = None,
    ):
        settings = settings or {}
        super().__init__(
            settings.get("base_url") or self.platform_url(credentials), transport=transport, gate=gate, clock=clock
        )
        # Photos the account holds: their name (content hash) -> the platform's reference for them.
        self.media: UploadedMedia = MemoryMedia() if media is None else media
        self.configure(credentials, settings)

    def platform_url(self, credentials: Mapping[str, str]) -> str:  # noqa: ARG002 (a platform may address each shop apart)
        """The platform's own address of the account's API."""
        return self.api_base_url

    def configure(self, credentials: Mapping[str, str], settings: Mapping[str, Any]) -> None:
        """Take the account's credentials and settings the platform's calls need."""
        raise NotImplementedError


@dataclass(frozen=True)
class ListingContent:
    """Everything a marketplace is told about one product, already mapped to the storefront."""

    identity: str  # our stable handle of the product on every marketplace
    title: str
    description: str
    currency: str
    skus: tuple[SkuContent, ...]
    brand: str | None = None
    category: str | None = None
    images: tuple[str, ...] = ()
    attributes: Mapping[str, str] = field(default_factory=dict)
    # The same photos as files, in the same order, for marketplaces that take uploads (TikTok Shop).
    image_files: tuple[ImageFile, ...] = ()


@dataclass(frozen=True)
class RemoteListing:
    """A listing as the marketplace holds it now, for read-back checks and review state."""

    external_id: str
    review: ReviewState
    platform_status: str
    title: str
    prices: Mapping[str, Decimal]  # seller SKU -> price
    quantities: Mapping[str, int]  # seller SKU -> available quantity
    sku_ids: Mapping[str, str]
    review_note: str | None = None


@dataclass(frozen=True)
class PublishedListing:
    external_id: str
    review: ReviewState
    platform_status: str
    sku_ids: Mapping[str, str]  # seller SKU -> the marketplace's SKU (variant) id
    applied: RemoteListing | None = None  # the saved state, where the answer carries it (Shopify)


@dataclass(frozen=True)
class StockLine:
    seller_sku: str
    external_sku_id: str
    quantity: int
    expected: int | None = None  # what we last set; a marketplace with compare-and-set refuses if it moved


@dataclass(frozen=True)
class RemoteOrderLine:
    seller_sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class RemoteOrder:
    external_id: str
    status: RemoteOrderStatus
    currency: str
    buyer_name: str
    buyer_country: str | None
    lines: tuple[RemoteOrderLine, ...]
    updated_at: datetime


@dataclass(frozen=True)
class OrdersPage:
    orders: tuple[RemoteOrder, ...]
    next_cursor: str | None


class RemoteAfterSaleKind(StrEnum):
    """What a buyer's after-sale on a marketplace asks, in our words."""

    REFUND_ONLY = "refund_only"  # the units are refunded before they ship
    RETURN_AND_REFUND = "return_and_refund"  # the units come back, then are refunded
    PARTIAL_REFUND = "partial_refund"  # money back on the line and nothing else


class RemoteAfterSaleStatus(StrEnum):
    """Where a marketplace after-sale stands, in our words."""

    REQUESTED = "requested"  # waiting for the seller's answer
    APPROVED = "approved"  # accepted; for a return, the units are on their way back
    REFUSED = "refused"  # refused by the seller or the platform, or withdrawn by the buyer
    RETURNED = "returned"  # the returned units have reached the seller
    REFUNDED = "refunded"  # the marketplace has paid the buyer back


@dataclass(frozen=True)
class RemoteAfterSaleLine:
    seller_sku: str
    quantity: int  # units refunded or returned; 0 for a partial refund
    amount: Decimal  # what goes back to the buyer for them, in the order's currency


@dataclass(frozen=True)
class RemoteAfterSale:
    """A buyer's refund or return on a marketplace order, per seller SKU."""

    external_id: str
    order_external_id: str
    kind: RemoteAfterSaleKind
    status: RemoteAfterSaleStatus
    currency: str
    lines: tuple[RemoteAfterSaleLine, ...]
    reason: str
    updated_at: datetime


@dataclass(frozen=True)
class AfterSalesPage:
    after_sales: tuple[RemoteAfterSale, ...]
    next_cursor: str | None


class TransactionKind(StrEnum):
    """What a line of a marketplace's payout is, in our words."""

    SALE = "sale"  # a buyer's payment for an order
    REFUND = "refund"  # money back to a buyer
    FEE = "fee"  # the marketplace's charge standing alone (its fees on a sale ride on the sale)
    ADJUSTMENT = "adjustment"  # anything else: reserves, corrections, chargebacks


@dataclass(frozen=True)
class RemotePayout:
    """Money a marketplace paid (or is paying) the seller for a stretch of its transactions."""

    external_id: str
    status: str  # the marketplace's own word: PAID, IN_TRANSIT, SCHEDULED, FAILED ...
    paid: bool  # whether the money has left the marketplace for the seller's bank
    issued_at: datetime
    currency: str
    net: Decimal


@dataclass(frozen=True)
class RemoteTransaction:
    """One line of a payout: what it is, the order it belongs to, its gross amount (a refund
    negative), the marketplace's fee on it (negative) and what it adds to the payout."""

    external_id: str
    kind: TransactionKind
    order_external_id: str | None
    amount: Decimal
    fee: Decimal
    net: Decimal
    occurred_at: datetime


@dataclass(frozen=True)
class PayoutsPage:
    payouts: tuple[RemotePayout, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class TransactionsPage:
    transactions: tuple[RemoteTransaction, ...]
    next_cursor: str | None


class EventKind(StrEnum):
    ORDER = "order"
    LISTING = "listing"
    AFTER_SALE = "after_sale"  # the subject is the order the after-sale is on
    OTHER = "other"


@dataclass(frozen=True)
class MarketplaceEvent:
    """One verified webhook event: what it is about; details are fetched fresh from the marketplace."""

    event_id: str
    topic: str
    kind: EventKind
    subject_id: str | None  # the order's or the listing's external id
    occurred_at: datetime | None = None
    # The signed body, where the signature does not cover the event id (so a replay under a new id
    # is recognised by its body).
    signed_body: bytes | None = field(default=None, repr=False)


class BadSignature(IntegrationError):
    """A webhook whose signature does not match: it is not from the marketplace."""


class StaleStock(RetryableError):
    """A compare-and-set stock write found another quantity than expected (a sale we have not seen yet)."""

    def __init__(self, message: str, *, actual: Mapping[str, int]):
        super().__init__(message, retry_after=2.0)
        self.actual = dict(actual)


class ListingNotFound(IntegrationError):
    """The marketplace has no listing under that id."""


class MarketplaceClient(Protocol):
    platform: str

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        """Create the listing, or replace its full state when it exists.

        ``may_exist`` says an earlier attempt may have created it without our hearing back; the
        client then finds it by ``content.identity`` instead of creating a twin.
        """

    def read(self, external_id: str) -> RemoteListing:
        """The listing as the marketplace holds it now (raises ListingNotFound)."""

    def push_stock(self, external_id: str, lines: list[StockLine], *, idempotency_key: str) -> None:
        """Set available quantities; raises StaleStock when a compare-and-set finds another value."""

    def withdraw(self, external_id: str) -> None:
        """Take the listing off sale (idempotent)."""

    def fetch_orders(self, *, updated_since: datetime, cursor: str | None) -> OrdersPage:
        """Orders changed since a moment, a page at a time, oldest change first."""

    def fetch_order(self, external_id: str) -> RemoteOrder:
        """One order as it is now."""

    def fetch_after_sales(self, order_external_id: str) -> list[RemoteAfterSale]:
        """An order's refunds and returns as they are now."""

    def fetch_changed_after_sales(self, *, updated_since: datetime, cursor: str | None) -> AfterSalesPage:
        """Refunds and returns changed since a moment, a page at a time."""

    def fetch_payouts(self, *, issued_since: datetime, cursor: str | None) -> PayoutsPage:
        """The account's payouts issued since a moment, a page at a time."""

    def fetch_payout_transactions(self, payout_external_id: str, *, cursor: str | None) -> TransactionsPage:
        """The transactions a payout is made of, a page at a time."""
