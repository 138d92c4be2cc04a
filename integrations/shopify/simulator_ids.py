"""How the simulated shop names its objects: Shopify's global ids (``gid://shopify/Product/1``), and
a new shop's store (Shopify does not review products: they are on sale as soon as they are set)."""

from __future__ import annotations

from integrations.market_store import Behaviour, MarketStore, StoreRefusal


def product_gid(listing_id: str) -> str:
    return f"gid://shopify/Product/{listing_id}"


def local_id(gid: str, kind: str) -> str:
    prefix = f"gid://shopify/{kind}/"
    if not gid.startswith(prefix):
        raise StoreRefusal("not_found", f"invalid id {gid}")
    return gid.removeprefix(prefix)


def shop_store() -> MarketStore:
    """A shop: Shopify does not review products, so they are on sale as soon as they are set."""
    return MarketStore(behaviour=Behaviour(review_seconds=0.0, rejected_words=()))
