"""The marketplaces' stand-ins, for demos, tests and benchmarks: each one's simulator (an HTTP
service implementing the marketplace's published protocol and rules) and fake (an in-process
client of a simulator's store), and the credentials a simulator built with its defaults accepts.

Production code imports none of this; the ``simulator run`` command of the CLI, a demo tool,
reads it when it runs.
"""

from __future__ import annotations

from typing import Any

from integrations.douyin.fake import FakeDouyin
from integrations.douyin.simulator import DouyinSimulator
from integrations.fake import StoreClient
from integrations.shopify import queries as shopify_queries
from integrations.shopify.fake import FakeShopify
from integrations.shopify.simulator import ShopifySimulator
from integrations.simulation import Simulator
from integrations.tiktok_shop.fake import FakeTikTokShop
from integrations.tiktok_shop.simulator import TikTokShopSimulator

SIMULATORS: dict[str, type[Simulator]] = {
    "shopify": ShopifySimulator,
    "tiktok_shop": TikTokShopSimulator,
    "douyin": DouyinSimulator,
}
FAKES: dict[str, type[StoreClient]] = {
    "shopify": FakeShopify,
    "tiktok_shop": FakeTikTokShop,
    "douyin": FakeDouyin,
}


def simulator_credentials(platform: str) -> dict[str, Any]:
    """The credentials a simulator built with its defaults accepts (for demos, tests and benchmarks)."""
    return {
        "shopify": {
            "shop_domain": "cluster-test.myshopify.com",
            "access_token": "shpat_test",
            "api_version": shopify_queries.LATEST_API_VERSION,
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
