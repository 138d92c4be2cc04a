"""The marketplaces the platform can sell on: each one's client, webhook parser and limits.

Their stand-ins for demos and tests (simulators and fakes) are in ``integrations.stand_ins``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from integrations.douyin import client as douyin
from integrations.marketplace import MarketplaceClient, MarketplaceEvent
from integrations.shopify import client as shopify
from integrations.shopify import queries as shopify_queries
from integrations.shopify import webhooks as shopify_webhooks
from integrations.tiktok_shop import client as tiktok_shop


@dataclass(frozen=True)
class Marketplace:
    name: str
    credential_fields: tuple[str, ...]
    client: Callable[..., MarketplaceClient]
    parse_webhook: Callable[[Mapping[str, str], Mapping[str, str], bytes], list[MarketplaceEvent]]
    default_currency: str
    # The API versions an account may name on a day (an empty list: the marketplace has no versions).
    api_versions: Callable[[date], list[str]] = lambda _today: []
    # Whether webhooks are subscribed through the API (the client's subscribe_webhooks) rather than
    # set in the marketplace's partner console.
    subscribes_webhooks: bool = False
    # Whether the marketplace limits calls by a cost bucket its answers describe (the client's
    # cost_bucket), which the account's workers then share.
    has_cost_bucket: bool = False


MARKETPLACES: dict[str, Marketplace] = {
    "shopify": Marketplace(
        name="shopify",
        credential_fields=("shop_domain", "access_token", "webhook_secret"),
        client=shopify.ShopifyClient,
        parse_webhook=shopify_webhooks.parse_webhook,
        default_currency="USD",
        api_versions=shopify_queries.supported_versions,
        subscribes_webhooks=True,
        has_cost_bucket=True,
    ),
    "tiktok_shop": Marketplace(
        name="tiktok_shop",
        credential_fields=("app_key", "app_secret", "access_token", "shop_cipher"),
        client=tiktok_shop.TikTokShopClient,
        parse_webhook=tiktok_shop.parse_webhook,
        default_currency="USD",
    ),
    "douyin": Marketplace(
        name="douyin",
        credential_fields=("app_key", "app_secret", "access_token", "shop_id"),
        client=douyin.DouyinClient,
        parse_webhook=douyin.parse_webhook,
        default_currency="CNY",
    ),
}


def marketplace(platform: str) -> Marketplace:
    return MARKETPLACES[platform]
