"""Marketplace refunds and returns end to end: each marketplace's simulator, its webhooks, the real
client reading them, and our after-sales following what the marketplace says."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.aftersales.models import AfterSale
from commerce.listings.content import seller_sku
from commerce.listings.service import PRIORITY_EVENT
from commerce.listings.tasks import queue_for_accounts
from commerce.orders.models import OrderLine
from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus, RemoteOrderStatus
from tests.factories import stock_of
from tests.integration.test_listing_sync import PLATFORMS, listed_product
from tests.marketplaces import deliver_webhooks, drain

APPROVED, RETURNED, REFUNDED, REFUSED = (
    RemoteAfterSaleStatus.APPROVED,
    RemoteAfterSaleStatus.RETURNED,
    RemoteAfterSaleStatus.REFUNDED,
    RemoteAfterSaleStatus.REFUSED,
)


def _tell(simulator, client, deployment, account) -> None:
    """The marketplace's webhooks reach us and their jobs run."""
    answers = deliver_webhooks(simulator, client, account["id"])
    assert all(answer.status_code == 200 for answer in answers), [answer.json for answer in answers]
    drain(deployment)


def _refunded(database, order_id: int) -> list[Decimal]:
    """What each line of an order has paid back."""
    with database.session() as session:
        return list(
            session.scalars(
                select(OrderLine.refunded_amount).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
            )
        )


def _after_sales(client, world, order_id: int) -> list[tuple]:
    items = client.get(f"/api/v1/after-sales?order_id={order_id}", headers=world.headers["admin"]).json["items"]
    return [
        (item["kind"], item["status"], item["quantity"], item["amount"]["amount"], bool(item["channel_refunded_at"]))
        for item in items
    ]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_refunds_and_returns_on_each_marketplace_are_followed_here(platform, factory, client, database, deployment):
    with listed_product(factory, client, deployment, platform) as (world, _product, sku_id, simulator, account):
        store = simulator.store
        sku = seller_sku(sku_id)
        simulator.take_webhooks()
        bought = store.buy(seller_sku=sku, quantity=3, buyer_name="Ada", country="GB")
        _tell(simulator, client, deployment, account)
        [order] = client.get(f"/api/v1/orders?channel={platform}", headers=world.headers["admin"]).json["items"]
        price = Decimal(order["lines"][0]["unit_price"]["amount"])
        assert stock_of(database, sku_id) == (10, 3, 0, 7)

        # Before shipping: one unit refunded. It frees its reservation here.
        refund = store.request_after_sale(
            bought.id, RemoteAfterSaleKind.REFUND_ONLY, [(sku, 1, price)], reason="拍错了"
        )
        store.move_after_sale(refund.id, APPROVED)
        store.move_after_sale(refund.id, REFUNDED)
        _tell(simulator, client, deployment, account)
        assert _after_sales(client, world, order["id"]) == [("refund_only", "refunded", 1, str(price), False)]
        assert stock_of(database, sku_id) == (10, 2, 0, 8)

        # Shipped, then one unit comes back: asked, approved, received, refunded on the marketplace.
        store.set_order_status(bought.id, RemoteOrderStatus.SHIPPED)
        _tell(simulator, client, deployment, account)
        assert client.get(f"/api/v1/orders/{order['id']}", headers=world.headers["admin"]).json["status"] == "shipped"
        returned = store.request_after_sale(
            bought.id, RemoteAfterSaleKind.RETURN_AND_REFUND, [(sku, 1, price)], reason="尺码不合适"
        )
        _tell(simulator, client, deployment, account)
        asked = _after_sales(client, world, order["id"])[1:]
        assert asked == [("return_and_refund", "requested", 1, str(price), False)]
        for status in (APPROVED, RETURNED, REFUNDED):
            store.move_after_sale(returned.id, status)
        _tell(simulator, client, deployment, account)
        # Refunded there before the goods were inspected here: the firm's inspection completes it.
        assert _after_sales(client, world, order["id"])[1:] == [("return_and_refund", "received", 1, str(price), True)]
        return_id = client.get(
            f"/api/v1/after-sales?order_id={order['id']}&kind=return_and_refund", headers=world.headers["admin"]
        ).json["items"][0]["id"]
        inspected = client.post(
            f"/api/v1/after-sales/{return_id}/inspect",
            headers=world.headers["sme_a"],
            json={"restocked": 1, "written_off": 0},
        )
        assert inspected.status_code == 200, inspected.json
        assert (inspected.json["status"], inspected.json["refunded_at"] is not None) == ("refunded", True)
        assert stock_of(database, sku_id) == (9, 0, 0, 9)

        # Each marketplace's news again, and a poll over the same time: nothing new, nothing twice.
        with database.session() as session:
            before = session.scalar(select(func.count()).select_from(AfterSale))
            assert queue_for_accounts(session, "listings.poll_orders", priority=PRIORITY_EVENT) == 1
        drain(deployment)
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(AfterSale)) == before == 2
        assert _refunded(database, order["id"]) == [price * 2]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_refund_whose_webhook_was_lost_is_found_by_polling_and_a_refusal_gives_back_its_claim(
    platform, factory, client, database, deployment
):
    with listed_product(factory, client, deployment, platform) as (world, _product, sku_id, simulator, account):
        store = simulator.store
        sku = seller_sku(sku_id)
        simulator.take_webhooks()
        bought = store.buy(seller_sku=sku, quantity=2)
        store.set_order_status(bought.id, RemoteOrderStatus.SHIPPED)
        _tell(simulator, client, deployment, account)
        [order] = client.get(f"/api/v1/orders?channel={platform}", headers=world.headers["admin"]).json["items"]
        price = Decimal(order["lines"][0]["unit_price"]["amount"])
        # A return asked and refused: nothing stays claimed on the line.
        refused = store.request_after_sale(bought.id, RemoteAfterSaleKind.RETURN_AND_REFUND, [(sku, 2, price * 2)])
        _tell(simulator, client, deployment, account)
        store.move_after_sale(refused.id, REFUSED)
        _tell(simulator, client, deployment, account)
        # After shipping, money back for a scratched unit the buyer keeps; its news never arrives.
        kept = store.request_after_sale(bought.id, RemoteAfterSaleKind.REFUND_ONLY, [(sku, 1, Decimal("5.00"))])
        store.move_after_sale(kept.id, APPROVED)
        store.move_after_sale(kept.id, REFUNDED)
        simulator.take_webhooks()
        with database.session() as session:
            assert queue_for_accounts(session, "listings.poll_orders", priority=PRIORITY_EVENT) == 1
        drain(deployment)

    found = _after_sales(client, world, order["id"])
    shopify = platform == "shopify"
    # Shopify shows a return from its request on, so its refusal is known; the others alike.
    assert found == [
        ("return_and_refund", "refused", 2, str(price * 2), False),
        ("partial_refund", "refunded", 0, "5.00", False),
    ], shopify
    assert _refunded(database, order["id"]) == [Decimal("5.00")]


def test_one_orders_refund_news_within_the_wait_folds_into_one_read_after_it(factory, client, database, deployment):
    from datetime import timedelta

    from commerce.db import utcnow
    from commerce.jobs.models import Job
    from commerce.listings import webhooks
    from commerce.secrets import unseal

    with listed_product(factory, client, deployment, "tiktok_shop") as (_world, _product, sku_id, simulator, account):
        store = simulator.store
        bought = store.buy(seller_sku=seller_sku(sku_id), quantity=1)
        _tell(simulator, client, deployment, account)
        refund = store.request_after_sale(
            bought.id, RemoteAfterSaleKind.REFUND_ONLY, [(seller_sku(sku_id), 1, Decimal("1.00"))]
        )
        store.move_after_sale(refund.id, APPROVED)
        store.move_after_sale(refund.id, REFUNDED)
        news = simulator.take_webhooks()
        secret = deployment.settings.secret_key
        before = utcnow()
        with database.session() as session:
            for headers, body in news:
                assert webhooks.receive_webhook(
                    session,
                    platform="tiktok_shop",
                    channel_account_id=account["id"],
                    headers=headers,
                    body=body,
                    unseal_credentials=lambda row: unseal(secret, row.credentials_sealed),
                    after_sale_delay=timedelta(seconds=30),
                ) == (1, 0)
        drain(deployment)
        with database.session() as session:
            [job] = session.scalars(select(Job).where(Job.kind == "aftersales.follow")).all()
            count = session.scalar(select(func.count()).select_from(AfterSale))
    assert len(news) == 3
    # The three events are one job, waiting 30 seconds from the first; nothing was read yet.
    assert (job.status, count) == ("queued", 0)
    assert before + timedelta(seconds=30) <= job.run_at <= utcnow() + timedelta(seconds=30)
