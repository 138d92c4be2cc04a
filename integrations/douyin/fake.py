"""An in-memory Douyin shop with the client's interface, for service tests."""

from __future__ import annotations

from integrations.base import TerminalError
from integrations.douyin.simulator import status_text
from integrations.fake import StoreClient
from integrations.market_store import StoredListing
from integrations.marketplace import ListingContent, PublishedListing, ReviewState


class FakeDouyin(StoreClient):
    platform = "douyin"
    idempotent_stock = True

    def platform_status(self, listing: StoredListing) -> str:
        return status_text(listing)

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        if content.currency != "CNY":
            raise TerminalError(f"douyin: prices must be in CNY, not {content.currency}")
        published = super().publish(content, external_id=external_id, may_exist=may_exist)
        # The add and edit answers carry no audit state: the outcome is read back later.
        return PublishedListing(published.external_id, ReviewState.IN_REVIEW, "check_status:2", published.sku_ids)
