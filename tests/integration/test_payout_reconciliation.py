"""A marketplace's payouts imported through its API and reconciled with our orders and refunds:
a payout with a difference, worked by hand."""

from __future__ import annotations

from datetime import timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from commerce.db import utcnow
from commerce.listings.content import seller_sku
from commerce.orders.models import SalesOrder
from commerce.settlement.payout_models import MarketplacePayout, MarketplaceTransaction, PayoutDifference
from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus, RemoteOrderStatus
from tests.integration.test_listing_sync import listed_product
from tests.marketplaces import deliver_webhooks, drain

# The marketplaces whose payouts are read: Shopify Payments payouts, TikTok Shop statements.
PAYING = ("shopify", "tiktok_shop", "douyin")
BEIJING = timezone(timedelta(hours=8))


def _counts(database) -> tuple[int, int, int]:
    with database.session() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (MarketplacePayout, MarketplaceTransaction, PayoutDifference)
        )


@pytest.mark.parametrize("platform", PAYING)
def test_a_payout_short_of_its_transactions_with_a_refund_we_do_not_know_is_listed(
    platform, factory, client, database, deployment
):
    with listed_product(factory, client, deployment, platform) as (world, _product, sku_id, simulator, account):
        admin = world.headers["admin"]
        store = simulator.store
        sku = seller_sku(sku_id)
        simulator.take_webhooks()
        first = store.buy(seller_sku=sku, quantity=2)
        second = store.buy(seller_sku=sku, quantity=1)
        deliver_webhooks(simulator, client, account["id"])
        drain(deployment)
        orders = {
            order["external_id"]: order
            for order in client.get(f"/api/v1/orders?channel={platform}", headers=admin).json["items"]
        }
        price = Decimal(orders[first.id]["lines"][0]["unit_price"]["amount"])
        # One unit of the first order refunded on Shopify, and followed here.
        refund = store.request_after_sale(first.id, RemoteAfterSaleKind.REFUND_ONLY, [(sku, 1, price)])
        store.move_after_sale(refund.id, RemoteAfterSaleStatus.APPROVED)
        store.move_after_sale(refund.id, RemoteAfterSaleStatus.REFUNDED)
        deliver_webhooks(simulator, client, account["id"])
        drain(deployment)
        # The marketplace also paid the second order's buyer 5.00 back, which nobody here recorded,
        # and pays out 1.00 less than its transactions add up to (Douyin settles each order into the
        # shop's balance: its day's settlement is what its bills add up to, never short).
        store.add_transaction("refund", second.id, Decimal("-5.00"))
        short = Decimal(0) if platform == "douyin" else Decimal("1.00")
        payout = store.pay_out(fee_rate=Decimal("0.05"), short_by=short)
        paid_as = f"settle:{payout.issued_at.astimezone(BEIJING).date()}" if platform == "douyin" else payout.id
        # A third order, paid three weeks ago, that no payout carries.
        third = store.buy(seller_sku=sku, quantity=1)
        deliver_webhooks(simulator, client, account["id"])
        drain(deployment)
        with database.session() as session:
            session.execute(
                update(SalesOrder)
                .where(SalesOrder.channel == platform, SalesOrder.external_id == third.id)
                .values(paid_at=utcnow() - timedelta(days=21))
            )
            session.commit()

        asked = client.post(
            "/api/v1/settlement/payouts/import", headers=admin, json={"channel_account_id": account["id"]}
        )
        assert asked.status_code == 202, asked.json
        drain(deployment)

        [shown] = client.get("/api/v1/settlement/payouts", headers=admin).json["items"]
        sales = price * 3
        fees = (price * 2 * Decimal("0.05")).quantize(Decimal("0.01")) + (price * Decimal("0.05")).quantize(
            Decimal("0.01")
        )
        carried = sales - price - Decimal("5.00") - fees
        assert shown["external_id"] == paid_as
        assert (shown["sales"]["amount"], shown["refunds"]["amount"], shown["fees"]["amount"]) == (
            str(sales),
            str(-(price + Decimal("5.00"))),
            str(-fees),
        )
        assert (shown["net"]["amount"], shown["transactions"], shown["differences"]) == (
            str(carried - short),
            4,
            2 if short else 1,
        )
        listed = client.get(
            f"/api/v1/settlement/payout-differences?channel_account_id={account['id']}", headers=admin
        ).json["items"]
        assert sorted(
            (item["kind"], item["order_external_id"], item["expected"] and item["expected"]["amount"],
             item["actual"] and item["actual"]["amount"])
            for item in listed
        ) == sorted([
            ("unknown_refund", second.id, "0.00", "5.00"),
            ("order_never_paid", third.id, str(price), None),
            *([("payout_short", None, str(carried), str(carried - short))] if short else []),
        ])  # fmt: skip
        lines = client.get(f"/api/v1/settlement/payouts/{shown['id']}/transactions", headers=admin).json["items"]
        order_ids = {order["external_id"]: order["id"] for order in orders.values()}
        assert sorted((line["kind"], line["order_id"], line["net"]["amount"]) for line in lines) == sorted(
            [
                ("sale", order_ids[first.id], str(price * 2 - (price * 2 * Decimal("0.05")).quantize(Decimal("0.01")))),
                ("sale", order_ids[second.id], str(price - (price * Decimal("0.05")).quantize(Decimal("0.01")))),
                ("refund", order_ids[first.id], str(-price)),
                ("refund", order_ids[second.id], "-5.00"),
            ]
        )

        # The same statement imported again is the same statement: nothing added, the same differences.
        before = _counts(database)
        again = client.post(
            "/api/v1/settlement/payouts/import", headers=admin, json={"channel_account_id": account["id"]}
        )
        assert again.status_code == 202
        drain(deployment)
        assert _counts(database) == before == (1, 4, 3 if short else 2)


def test_payouts_are_the_administrators_and_a_wrong_account_is_refused_with_nothing_queued(
    factory, client, database, deployment
):
    with listed_product(factory, client, deployment, "shopify") as (world, _product, _sku_id, _simulator, account):
        trade = client.post(
            "/api/v1/settlement/payouts/import",
            headers=world.headers["trade_operator"],
            json={"channel_account_id": account["id"]},
        )
        unknown = client.post(
            "/api/v1/settlement/payouts/import", headers=world.headers["admin"], json={"channel_account_id": 99_999}
        )
        future = client.post(
            "/api/v1/settlement/payouts/import",
            headers=world.headers["admin"],
            json={"channel_account_id": account["id"], "since": "yesterday"},
        )
    assert (trade.status_code, trade.json["code"]) == (403, "forbidden")
    assert (unknown.status_code, unknown.json["code"]) == (404, "not_found")
    assert (future.status_code, future.json["code"]) == (422, "validation_error")
    for day in ("1999-01-01", (utcnow() + timedelta(days=2)).date().isoformat()):
        far = client.post(
            "/api/v1/settlement/payouts/import",
            headers=world.headers["admin"],
            json={"channel_account_id": account["id"], "since": day},
        )
        assert (far.status_code, far.json["errors"][0]["field"]) == (422, "since"), day
    from commerce.jobs.models import Job

    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "settlement.import_payouts")) == 0


def test_the_marketplace_fee_a_payout_carried_is_a_line_of_the_firms_statement(factory, client, database, deployment):
    from commerce.customs.calendar import period_of

    with listed_product(factory, client, deployment, "tiktok_shop") as (world, _product, sku_id, simulator, account):
        admin, operator = world.headers["admin"], world.headers["trade_operator"]
        simulator.take_webhooks()
        bought = simulator.store.buy(seller_sku=seller_sku(sku_id), quantity=3)
        simulator.store.set_order_status(bought.id, RemoteOrderStatus.SHIPPED)
        deliver_webhooks(simulator, client, account["id"])
        drain(deployment)
        [order] = client.get("/api/v1/orders?channel=tiktok_shop", headers=admin).json["items"]
        value = Decimal(order["lines"][0]["unit_price"]["amount"]) * 3
        simulator.store.pay_out(fee_rate=Decimal("0.06"))
        client.post("/api/v1/settlement/payouts/import", headers=admin, json={"channel_account_id": account["id"]})
        drain(deployment)
        period = period_of(utcnow())

        computed = client.post(
            "/api/v1/settlement/statements",
            headers=operator,
            json={"period": period, "enterprise_id": world.maker_a_id},
        )
        again = client.post(
            "/api/v1/settlement/statements",
            headers=operator,
            json={"period": period, "enterprise_id": world.maker_a_id},
        )

    assert computed.status_code == 201, computed.json
    [statement] = again.json["items"]
    fee = (value * Decimal("0.06")).quantize(Decimal("0.01"))
    assert (
        statement["gross"]["amount"],
        statement["marketplace_fees"]["amount"],
        statement["net_payable"]["amount"],
    ) == (
        str(value),
        str(-fee),
        str(value - fee),
    )
    lines = client.get(f"/api/v1/settlement/statements/{statement['id']}/lines", headers=operator).json["items"]
    assert sorted(
        (line["kind"], line["order_id"], line["amount"]["amount"], line["net"]["amount"]) for line in lines
    ) == [
        ("marketplace_fee", order["id"], str(-fee), str(-fee)),
        ("sale", order["id"], str(value), str(value)),
    ]


def test_ids_a_marketplace_sends_with_control_characters_or_too_long_are_kept_clean_and_once(database):
    from datetime import UTC, datetime

    from commerce.listings.models import ChannelAccount
    from commerce.settlement import payouts
    from integrations.marketplace import RemotePayout, RemoteTransaction, TransactionKind

    with database.session() as session:
        account = ChannelAccount(platform="shopify", name="hostile", credentials_sealed="x", rate_limit_per_second=1)
        session.add(account)
        session.commit()
        session.refresh(account)
        session.expunge(account)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    hostile = "P\x00-1\x1b" + "9" * 100
    payout_id = payouts.store_payout(
        database, account, RemotePayout(hostile, "PAID\x00", True, at, "USD", Decimal("10.00"))
    )
    line = RemoteTransaction(
        "T\x001", TransactionKind.SALE, "O\x07" + "7" * 200, Decimal("10.00"), Decimal(0), Decimal("10.00"), at
    )

    assert payouts.store_transactions(database, account, payout_id, [line, line]) == 1
    assert payouts.store_transactions(database, account, payout_id, [line]) == 0
    assert (
        payouts.store_payout(database, account, RemotePayout(hostile, "PAID", True, at, "USD", Decimal("9.00")))
        == payout_id
    )
    with database.session() as session:
        payout = session.get(MarketplacePayout, payout_id)
        [kept] = session.scalars(select(MarketplaceTransaction).where(MarketplaceTransaction.payout_id == payout_id))
    assert (payout.external_id, payout.status, payout.net) == (("P-1" + "9" * 100)[:64], "PAID", Decimal("9.00"))
    assert (kept.external_id, kept.order_external_id) == ("T1", ("O" + "7" * 200)[:128])
