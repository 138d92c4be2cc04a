"""The marketplaces the platform can sell on: each one's client, fake, simulator and webhook parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from integrations.douyin import client as douyin
from integrations.douyin.fake import FakeDouyin
from integrations.douyin.simulator import DouyinSimulator
from integrations.fake import StoreClient
from integrations.marketplace import MarketplaceClient, MarketplaceEvent
from integrations.shopify import client as shopify
from integrations.shopify.fake import FakeShopify
from integrations.shopify.simulator import ShopifySimulator
from integrations.simulation import Simulator
from integrations.tiktok_shop import client as tiktok_shop
from integrations.tiktok_shop.fake import FakeTikTokShop
from integrations.tiktok_shop.simulator import TikTokShopSimulator


@dataclass(frozen=True)
class Marketplace:
    name: str
    credential_fields: tuple[str, ...]
    client: Callable[..., MarketplaceClient]
    fake: type[StoreClient]
    simulator: type[Simulator]
    parse_webhook: Callable[[Mapping[str, str], Mapping[str, str], bytes], list[MarketplaceEvent]]
    default_currency: str
    # The API versions an account may name on a day (an empty list: the marketplace has no versions).
    api_versions: Callable[[date], list[str]] = lambda today: []
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
        fake=FakeShopify,
        simulator=ShopifySimulator,
        parse_webhook=shopify.parse_webhook,
        default_currency="USD",
        api_versions=shopify.supported_versions,
        subscribes_webhooks=True,
        has_cost_bucket=True,
    ),
    "tiktok_shop": Marketplace(
        name="tiktok_shop",
        credential_fields=("app_key", "app_secret", "access_token", "shop_cipher"),
        client=tiktok_shop.TikTokShopClient,
        fake=FakeTikTokShop,
        simulator=TikTokShopSimulator,
        parse_webhook=tiktok_shop.parse_webhook,
        default_currency="USD",
    ),
    "douyin": Marketplace(
        name="douyin",
        credential_fields=("app_key", "app_secret", "access_token", "shop_id"),
        client=douyin.DouyinClient,
        fake=FakeDouyin,
        simulator=DouyinSimulator,
        parse_webhook=douyin.parse_webhook,
        default_currency="CNY",
    ),
}


def marketplace(platform: str) -> Marketplace:
    return MARKETPLACES[platform]


def simulator_credentials(platform: str) -> dict[str, Any]:
    """The credentials a simulator built with its defaults accepts (for demos, tests and benchmarks)."""
    return {
        "shopify": {
            "shop_domain": "cluster-test.myshopify.com",
            "access_token": "shpat_test",
            "api_version": shopify.LATEST_API_VERSION,
            "webhook_secret": "whsec_test",
        },
        "tiktok_shop": {
            "app_key": "tts-app",
            "app_secret": "tts-secret",
            "access_token": "tts-token",
            "shop_cipher": "GCP_test",
        },
        "douyin": {"app_key": "dy-app", "app_secret": "dy-secret", "access_token": "dy-token", "shop_id": "4463798"},
    }[platform]
