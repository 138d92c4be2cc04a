"""The in-memory stand-in every platform's fake builds on: the client interface over a MarketStore."""

from __future__ import annotations

from datetime import datetime

from integrations.base import TerminalError
from integrations.market_store import (
    MarketStore,
    StoredAfterSale,
    StoredListing,
    StoredOrder,
    StoredPayout,
    StoredTransaction,
    StoreRefusal,
)
from integrations.marketplace import (
    AfterSalesPage,
    ListingContent,
    ListingNotFound,
    OrdersPage,
    PayoutsPage,
    PublishedListing,
    RemoteAfterSale,
    RemoteAfterSaleLine,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    RemotePayout,
    RemoteTransaction,
    StaleStock,
    StockLine,
    TransactionKind,
    TransactionsPage,
)

PAGE_SIZE = 50


class StoreClient:
    """A MarketplaceClient without HTTP; platforms differ only in their status words and upsert rule."""

    platform = ""
    # Shopify's productSet upserts by handle: every publish finds the listing by identity.
    upserts_by_identity = False
    # Only some marketplaces offer compare-and-set stock writes (Shopify) or idempotency ids (Douyin).
    compare_and_set = False
    idempotent_stock = False

    def __init__(self, store: MarketStore | None = None):
        self.store = store or MarketStore()

    def platform_status(self, listing: StoredListing) -> str:
        raise NotImplementedError

    # How the platform names listings and SKUs to the outside (Shopify uses global ids).
    def listing_ref(self, listing_id: str) -> str:
        return listing_id

    def local_listing_id(self, external_id: str) -> str:
        return external_id

    def sku_ref(self, sku_id: str) -> str:
        return sku_id

    def _refusal(self, refusal: StoreRefusal) -> Exception:
        if refusal.reason == "not_found":
            return ListingNotFound(str(refusal))
        if refusal.reason == "stale_stock":
            return StaleStock(str(refusal), actual=refusal.detail.get("actual", {}))
        return TerminalError(f"{self.platform}: {refusal}")

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        try:
            if external_id is None and (may_exist or self.upserts_by_identity):
                found = self.store.find(content.identity)
                external_id = self.listing_ref(found.id) if found else None
            listing = (
                self.store.replace(self.local_listing_id(external_id), content)
                if external_id
                else self.store.create(content)
            )
        except StoreRefusal as refusal:
            raise self._refusal(refusal) from None
        return PublishedListing(
            external_id=self.listing_ref(listing.id),
            review=listing.review,
            platform_status=self.platform_status(listing),
            sku_ids={sku.seller_sku: self.sku_ref(sku.id) for sku in listing.skus.values()},
        )

    def read(self, external_id: str) -> RemoteListing:
        try:
            listing = self.store.get(self.local_listing_id(external_id))
        except StoreRefusal as refusal:
            raise self._refusal(refusal) from None
        return RemoteListing(
            external_id=self.listing_ref(listing.id),
            review=listing.review,
            platform_status=self.platform_status(listing),
            title=listing.title,
            prices={sku.seller_sku: sku.price for sku in listing.skus.values()},
            quantities={sku.seller_sku: sku.quantity for sku in listing.skus.values()},
            sku_ids={sku.seller_sku: self.sku_ref(sku.id) for sku in listing.skus.values()},
            review_note=listing.review_note,
        )

    def push_stock(self, external_id: str, lines: list[StockLine], *, idempotency_key: str) -> None:
        try:
            self.store.set_stock(
                self.local_listing_id(external_id),
                {line.seller_sku: (line.quantity, line.expected if self.compare_and_set else None) for line in lines},
                key=idempotency_key if self.idempotent_stock else None,
            )
        except StoreRefusal as refusal:
            raise self._refusal(refusal) from None

    def withdraw(self, external_id: str) -> None:
        try:
            self.store.deactivate(self.local_listing_id(external_id))
        except StoreRefusal as refusal:
            raise self._refusal(refusal) from None

    def fetch_orders(self, *, updated_since: datetime, cursor: str | None) -> OrdersPage:
        orders = self.store.orders_since(updated_since)
        start = int(cursor or 0)
        page = orders[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(orders)
        return OrdersPage(tuple(remote_order(order) for order in page), str(start + PAGE_SIZE) if more else None)

    def fetch_order(self, external_id: str) -> RemoteOrder:
        try:
            return remote_order(self.store.order(external_id))
        except StoreRefusal as refusal:
            raise TerminalError(f"{self.platform}: {refusal}") from None

    def fetch_after_sales(self, order_external_id: str) -> list[RemoteAfterSale]:
        return [remote_after_sale(item, self.store) for item in self.store.after_sales_of(order_external_id)]

    def fetch_payouts(self, *, issued_since: datetime, cursor: str | None) -> PayoutsPage:
        payouts = self.store.payouts_since(issued_since)
        start = int(cursor or 0)
        more = start + PAGE_SIZE < len(payouts)
        page = tuple(_remote_payout(payout) for payout in payouts[start : start + PAGE_SIZE])
        return PayoutsPage(page, str(start + PAGE_SIZE) if more else None)

    def fetch_payout_transactions(self, payout_external_id: str, *, cursor: str | None) -> TransactionsPage:
        lines = self.store.payout(payout_external_id).transactions
        start = int(cursor or 0)
        more = start + PAGE_SIZE < len(lines)
        page = tuple(_remote_transaction(line) for line in lines[start : start + PAGE_SIZE])
        return TransactionsPage(page, str(start + PAGE_SIZE) if more else None)

    def fetch_changed_after_sales(self, *, updated_since: datetime, cursor: str | None) -> AfterSalesPage:
        changed = self.store.after_sales_since(updated_since)
        start = int(cursor or 0)
        page = changed[start : start + PAGE_SIZE]
        more = start + PAGE_SIZE < len(changed)
        return AfterSalesPage(
            tuple(remote_after_sale(item, self.store) for item in page), str(start + PAGE_SIZE) if more else None
        )


def remote_order(order: StoredOrder) -> RemoteOrder:
    return RemoteOrder(
        external_id=order.id,
        status=order.status,
        currency=order.currency,
        buyer_name=order.buyer_name,
        buyer_country=order.buyer_country,
        lines=tuple(RemoteOrderLine(seller_sku, quantity, price) for seller_sku, quantity, price in order.lines),
        updated_at=order.updated_at,
    )


def _remote_payout(payout: StoredPayout) -> RemotePayout:
    return RemotePayout(
        external_id=payout.id,
        status="paid" if payout.paid else "in_transit",
        paid=payout.paid,
        issued_at=payout.issued_at,
        currency=payout.currency,
        net=payout.net,
    )


def _remote_transaction(line: StoredTransaction) -> RemoteTransaction:
    return RemoteTransaction(
        external_id=line.id,
        kind=TransactionKind(line.kind),
        order_external_id=line.order_id,
        amount=line.amount,
        fee=line.fee,
        net=line.net,
        occurred_at=line.at,
    )


def remote_after_sale(item: StoredAfterSale, store: MarketStore) -> RemoteAfterSale:
    return RemoteAfterSale(
        external_id=item.id,
        order_external_id=item.order_id,
        kind=item.kind,
        status=item.status,
        currency=store.order(item.order_id).currency,
        lines=tuple(RemoteAfterSaleLine(seller_sku, quantity, amount) for seller_sku, quantity, amount in item.lines),
        reason=item.reason,
        updated_at=item.updated_at,
    )
