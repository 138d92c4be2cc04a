"""One contract for every marketplace: the fake and the real client talking to the simulator agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from integrations.base import RetryableError, TerminalError
from integrations.market_store import MarketStore
from integrations.marketplace import (
    BadSignature,
    EventKind,
    ListingContent,
    ListingNotFound,
    MarketplaceClient,
    RemoteOrderStatus,
    ReviewState,
    SkuContent,
    StaleStock,
    StockLine,
)
from integrations.marketplaces import MARKETPLACES
from integrations.simulation import Faults, Simulator
from integrations.stand_ins import FAKES, SIMULATORS, simulator_credentials
from tests.clock import ManualClock
from tests.marketplaces import shop_schema

PLATFORMS = sorted(MARKETPLACES)


@dataclass
class Market:
    platform: str
    client: MarketplaceClient
    store: MarketStore
    simulator: Simulator | None


@pytest.fixture(params=[(platform, kind) for platform in PLATFORMS for kind in ("fake", "simulator")], ids=str)
def market(request) -> Market:
    platform, kind = request.param
    entry = MARKETPLACES[platform]
    if kind == "fake":
        fake = FAKES[platform]()
        return Market(platform, fake, fake.store, None)
    simulator = SIMULATORS[platform](**shop_schema(platform))
    client = entry.client(
        simulator_credentials(platform),
        {"base_url": "http://marketplace.test"},
        transport=httpx.WSGITransport(app=simulator.app),
    )
    return Market(platform, client, simulator.store, simulator)


def content(
    market: Market, *, title: str = "Cashmere scarf", price: str = "45.00", quantity: int = 12
) -> ListingContent:
    currency = "CNY" if market.platform == "douyin" else "USD"
    return ListingContent(
        identity="cc-product-17",
        title=title,
        description="100% cashmere.\nWoven in Qinghe.",
        currency=currency,
        brand="Qinghe Cashmere",
        skus=(
            SkuContent("sku-101", Decimal(price), quantity, {"color": "red"}),
            SkuContent("sku-102", Decimal(price), 3, {"color": "grey"}),
        ),
    )


def test_publish_then_read_back_what_was_sent(market: Market):
    published = market.client.publish(content(market), external_id=None, may_exist=False)

    assert set(published.sku_ids) == {"sku-101", "sku-102"}
    assert published.review in (ReviewState.APPROVED, ReviewState.IN_REVIEW)
    market.store.finish_reviews()
    remote = market.client.read(published.external_id)
    assert remote.external_id == published.external_id
    assert remote.review == ReviewState.APPROVED
    assert remote.title == "Cashmere scarf"
    assert remote.prices == {"sku-101": Decimal("45.00"), "sku-102": Decimal("45.00")}
    assert remote.quantities == {"sku-101": 12, "sku-102": 3}
    assert remote.sku_ids == published.sku_ids


def test_a_publish_whose_answer_was_lost_does_not_create_a_twin(market: Market):
    first = market.client.publish(content(market), external_id=None, may_exist=False)

    again = market.client.publish(content(market, price="44.00"), external_id=None, may_exist=True)

    assert again.external_id == first.external_id
    assert market.store.duplicates() == 0
    assert len(market.store.listings) == 1
    assert market.client.read(first.external_id).prices["sku-101"] == Decimal("44.00")


def test_an_edit_replaces_the_full_state(market: Market):
    first = market.client.publish(content(market), external_id=None, may_exist=False)

    market.client.publish(content(market, title="Cashmere scarf, long"), external_id=first.external_id, may_exist=True)

    market.store.finish_reviews()
    remote = market.client.read(first.external_id)
    assert remote.title == "Cashmere scarf, long"
    assert remote.sku_ids == first.sku_ids


def test_review_rejection_is_the_marketplaces_state(market: Market):
    published = market.client.publish(content(market, title="Counterfeit scarf"), external_id=None, may_exist=False)

    remote = market.client.read(published.external_id)

    if market.platform == "shopify":
        assert remote.review == ReviewState.APPROVED  # Shopify does not review products
    else:
        assert remote.review == ReviewState.REJECTED
        assert remote.review_note == "prohibited wording: counterfeit"


def test_stock_push_sets_quantities(market: Market):
    published = market.client.publish(content(market), external_id=None, may_exist=False)
    lines = [StockLine("sku-101", published.sku_ids["sku-101"], 7, expected=12)]

    market.client.push_stock(published.external_id, lines, idempotency_key="push-1")

    assert market.client.read(published.external_id).quantities == {"sku-101": 7, "sku-102": 3}


def test_compare_and_set_refuses_a_moved_quantity_where_the_marketplace_offers_it(market: Market):
    published = market.client.publish(content(market), external_id=None, may_exist=False)
    market.store.finish_reviews()
    market.store.buy(seller_sku="sku-101", quantity=2)
    lines = [StockLine("sku-101", published.sku_ids["sku-101"], 12, expected=12)]

    if market.platform == "shopify":
        with pytest.raises(StaleStock):
            market.client.push_stock(published.external_id, lines, idempotency_key="push-2")
        assert market.client.read(published.external_id).quantities["sku-101"] == 10
    else:
        market.client.push_stock(published.external_id, lines, idempotency_key="push-2")
        assert market.client.read(published.external_id).quantities["sku-101"] == 12


def test_withdraw_takes_the_listing_off_sale_and_is_idempotent(market: Market):
    published = market.client.publish(content(market), external_id=None, may_exist=False)
    market.store.finish_reviews()

    market.client.withdraw(published.external_id)
    market.client.withdraw(published.external_id)

    assert market.client.read(published.external_id).review == ReviewState.OFFLINE


def test_reading_an_unknown_listing(market: Market):
    unknown = "gid://shopify/Product/42" if market.platform == "shopify" else "42"
    with pytest.raises(ListingNotFound):
        market.client.read(unknown)


def test_orders_are_fetched_by_change_time_and_one_by_one(market: Market):
    market.client.publish(content(market), external_id=None, may_exist=False)
    market.store.finish_reviews()
    before = datetime.now(UTC) - timedelta(seconds=5)
    bought = market.store.buy(seller_sku="sku-101", quantity=2, buyer_name="Ada", country="GB")
    market.store.set_order_status(bought.id, RemoteOrderStatus.SHIPPED)

    page = market.client.fetch_orders(updated_since=before, cursor=None)
    one = market.client.fetch_order(bought.id)

    assert [order.external_id for order in page.orders] == [bought.id]
    assert page.next_cursor is None
    assert one.status == RemoteOrderStatus.SHIPPED
    assert one.currency == ("CNY" if market.platform == "douyin" else "USD")
    assert [(line.seller_sku, line.quantity, line.unit_price) for line in one.lines] == [
        ("sku-101", 2, Decimal("45.00"))
    ]
    assert one.buyer_country == ("GB" if market.platform != "douyin" else "GB")


def test_order_pages_follow_the_cursor(market: Market):
    market.client.publish(content(market, quantity=500), external_id=None, may_exist=False)
    market.store.finish_reviews()
    before = datetime.now(UTC) - timedelta(seconds=5)
    bought = [market.store.buy(seller_sku="sku-101", quantity=1).id for _ in range(60)]

    seen, cursor = [], None
    while True:
        page = market.client.fetch_orders(updated_since=before, cursor=cursor)
        seen += [order.external_id for order in page.orders]
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == bought


def test_webhooks_are_signed_and_name_their_subject():
    for platform in PLATFORMS:
        entry = MARKETPLACES[platform]
        simulator = SIMULATORS[platform](**shop_schema(platform))
        store = simulator.store
        listing = store.create(ListingContent("p-1", "Scarf", "", "CNY", (SkuContent("sku-1", Decimal("10.00"), 5),)))
        store.finish_reviews()
        order = store.buy(seller_sku="sku-1", quantity=1)
        credentials = simulator_credentials(platform)
        deliveries = simulator.take_webhooks()
        events = [event for headers, body in deliveries for event in entry.parse_webhook(credentials, headers, body)]

        assert [event.kind for event in events][-1] == EventKind.ORDER, platform
        assert events[-1].subject_id == order.id, platform
        assert len({event.event_id for event in events}) == len(events), platform
        headers, body = deliveries[-1]
        with pytest.raises(BadSignature):
            entry.parse_webhook(credentials, headers, body + b" ")
        wrong = {**credentials, "webhook_secret": "other", "app_secret": "other"}
        with pytest.raises(BadSignature):
            entry.parse_webhook(wrong, headers, body)
        assert listing.id in store.listings


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rate_limits_answer_retry_later(platform: str):
    entry = MARKETPLACES[platform]
    simulator = SIMULATORS[platform](rate_limit=1)
    client = entry.client(
        simulator_credentials(platform),
        {
            "base_url": "http://marketplace.test",
            "location_id": "gid://shopify/Location/1",
            "warehouse_id": "7000714532876273410",
        },
        transport=httpx.WSGITransport(app=simulator.app),
    )
    if platform == "shopify":
        # A client that does not pace itself on the cost bucket, so that the shop throttles it.
        client._pace = lambda cost: None
    currency = "CNY" if platform == "douyin" else "USD"
    item = ListingContent("p-2", "Scarf", "", currency, (SkuContent("sku-2", Decimal("10.00"), 5),))
    with pytest.raises(RetryableError) as raised:
        for _ in range(30):
            client.publish(item, external_id=None, may_exist=True)

    assert raised.value.throttled is True
    assert raised.value.retry_after is not None and raised.value.retry_after > 0
    assert simulator.traffic.snapshot()["throttled"] == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_server_errors_are_retryable_and_bad_credentials_terminal(platform: str):
    entry = MARKETPLACES[platform]
    simulator = SIMULATORS[platform](faults=Faults(error_rate=1.0))
    transport = httpx.WSGITransport(app=simulator.app)
    settings = {"base_url": "http://marketplace.test", "location_id": "gid://shopify/Location/1", "warehouse_id": "w"}
    client = entry.client(simulator_credentials(platform), settings, transport=transport)
    with pytest.raises(RetryableError) as raised:
        client.read("gid://shopify/Product/1" if platform == "shopify" else "1")
    assert raised.value.throttled is False

    simulator.faults.error_rate = 0.0
    wrong = {**simulator_credentials(platform), "access_token": "expired", "app_secret": "wrong"}
    with pytest.raises(TerminalError):
        entry.client(wrong, settings, transport=transport).read(
            "gid://shopify/Product/1" if platform == "shopify" else "1"
        )


def test_slow_answers_time_out_as_retryable():
    from tests.marketplaces import running_simulator

    with running_simulator("tiktok_shop", faults=Faults(slow_rate=1.0, slow_seconds=0.5)) as (simulator, url):
        client = MARKETPLACES["tiktok_shop"].client(simulator_credentials("tiktok_shop"), {"base_url": url})
        client.http.timeout = httpx.Timeout(0.1)
        with pytest.raises(RetryableError) as raised:
            client.call("GET", "/logistics/202309/warehouses")
        assert str(raised.value) == "tiktok_shop: timed out (ReadTimeout)"
        assert raised.value.throttled is False
        simulator.faults.slow_rate = 0.0
        assert client.call("GET", "/logistics/202309/warehouses")["warehouses"][0]["type"] == "SALES_WAREHOUSE"


def test_reviews_finish_on_their_own_and_are_told_by_webhook():
    clock = ManualClock()
    simulator = SIMULATORS["douyin"]()
    simulator.store.clock = clock
    simulator.store.behaviour.review_seconds = 0.05
    listing = simulator.store.create(
        ListingContent("p-3", "Scarf", "", "CNY", (SkuContent("sku-3", Decimal("10.00"), 5),))
    )
    assert simulator.store.settle_due() == 0
    assert simulator.take_webhooks() == []
    clock.advance(0.049)
    assert simulator.store.settle_due() == 0
    clock.advance(0.001)
    assert simulator.store.settle_due() == 1
    [(headers, body)] = simulator.take_webhooks()
    [event] = MARKETPLACES["douyin"].parse_webhook(simulator_credentials("douyin"), headers, body)
    assert (event.kind, event.subject_id) == (EventKind.LISTING, listing.id)
    assert simulator.store.settle_due() == 0


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"an order"', b""])
def test_a_signed_shopify_webhook_whose_body_is_not_a_json_object_is_refused(body: bytes):
    from integrations.shopify.webhooks import webhook_signature

    credentials = simulator_credentials("shopify")
    headers = {
        "X-Shopify-Hmac-Sha256": webhook_signature(credentials["webhook_secret"], body),
        "X-Shopify-Event-Id": "e-1",
        "X-Shopify-Topic": "orders/create",
    }
    with pytest.raises(BadSignature, match="not a Shopify webhook"):
        MARKETPLACES["shopify"].parse_webhook(credentials, headers, body)
