"""An in-memory Shopify shop with the client's interface, for service tests."""

from __future__ import annotations

from dataclasses import replace

from integrations.fake import StoreClient
from integrations.market_store import MarketStore, StoredListing
from integrations.marketplace import ListingContent, PublishedListing
from integrations.shopify.simulator_ids import local_id, product_gid, shop_store


class FakeShopify(StoreClient):
    platform = "shopify"
    compare_and_set = True
    upserts_by_identity = True

    def __init__(self, store: MarketStore | None = None):
        super().__init__(store or shop_store())

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        # productSet answers with the product as saved.
        published = super().publish(content, external_id=external_id, may_exist=may_exist)
        return replace(published, applied=self.read(published.external_id))

    def platform_status(self, listing: StoredListing) -> str:
        return "ACTIVE" if listing.active else "ARCHIVED"

    def listing_ref(self, listing_id: str) -> str:
        return product_gid(listing_id)

    def local_listing_id(self, external_id: str) -> str:
        return local_id(external_id, "Product")

    def sku_ref(self, sku_id: str) -> str:
        return f"gid://shopify/InventoryItem/{sku_id}"
