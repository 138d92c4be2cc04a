"""An in-memory TikTok Shop seller account with the client's interface, for service tests."""

from __future__ import annotations

from integrations.fake import StoreClient
from integrations.market_store import StoredListing
from integrations.marketplace import ListingContent, PublishedListing, ReviewState
from integrations.tiktok_shop.simulator import identity_of, status_of


class FakeTikTokShop(StoreClient):
    platform = "tiktok_shop"

    def platform_status(self, listing: StoredListing) -> str:
        return status_of(listing)

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        # TikTok knows a product by the seller SKUs it sells, and audits every create and edit.
        keyed = ListingContent(
            **{**content.__dict__, "identity": identity_of([sku.seller_sku for sku in content.skus])}
        )
        published = super().publish(keyed, external_id=external_id, may_exist=may_exist)
        # The create and edit answers carry no status: the audit's outcome is read back later.
        return PublishedListing(published.external_id, ReviewState.IN_REVIEW, "PENDING", published.sku_ids)
