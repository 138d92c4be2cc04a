"""Reconciling a marketplace's payouts: 100,000 transactions imported through the API and matched.

    python benchmarks/reconciliation.py [--orders 80000] [--refunds 20000] [--payouts 10]

On PostgreSQL. Loads the demo, then writes --orders Shopify orders of the demo's first SKU
straight into the database with SQL (two units of 100.00 each, shipped), every n-th with a refund
of 20.00 paid back (--refunds of them). A Shopify simulator on loopback (judging every document by
Shopify's official schema) holds the same orders and refunds and pays them out in --payouts
payouts, each sale less Shopify's 2.9% fee, with three differences: a refund nobody here
recorded, a payout 1.00 short, and 10 orders paid out twice their price.

Starts gunicorn and one queue worker, connects the shop, and times POST
/api/v1/settlement/payouts/import until its job is done: every payout read, every transaction
read a page of 100 at a time through the Admin GraphQL API, kept and matched to our orders and
refunds, and every difference listed. Then imports again (nothing new: every transaction is kept
once) and prints both times, what was kept and the differences found by kind.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import psycopg
from service import ROOT, deployment, machine
from sqlalchemy import select

sys.path.insert(0, str(ROOT))

from integrations.market_store import StoredAfterSale, StoredOrder
from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus, RemoteOrderStatus
from integrations.shopify.simulator import ShopifySimulator
from integrations.stand_ins import simulator_credentials
from tests.contracts.shopify_schema import admin_schema
from tests.marketplaces import served

PRICE = Decimal("100.00")
# Order and refund numbers of the benchmark, clear of the demo's.
ORDERS_FROM = 900_000_000
REFUNDS_FROM = 800_000_000


def _sql(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_orders(url: str, *, orders: int, every: int) -> int:
    """The Shopify orders, their lines and their refunds, written with SQL; returns the SKU's id."""
    with psycopg.connect(_sql(url), autocommit=True) as connection:
        run = connection.execute
        sku_id, product_id, enterprise_id = run(
            "SELECT s.id, s.product_id, s.enterprise_id FROM sku s JOIN product p ON p.id = s.product_id "
            "WHERE p.status = 'approved' ORDER BY s.id LIMIT 1"
        ).fetchone()
        run(
            "INSERT INTO sales_order (channel, external_id, status, buyer_name, currency, total_amount, placed_at, "
            "paid_at, shipped_at) SELECT 'shopify', (%s + g)::text, 'shipped', 'buyer', 'CNY', 200, now(), now(), "
            "now() FROM generate_series(1, %s) g",
            (ORDERS_FROM, orders),
        )
        run(
            "INSERT INTO order_line (order_id, sku_id, product_id, enterprise_id, quantity, unit_price, "
            "from_allocation, shipped_quantity, refund_claimed_amount, refunded_amount) "
            "SELECT o.id, %s, %s, %s, 2, 100, false, 2, r.amount, r.amount FROM sales_order o, "
            "LATERAL (SELECT CASE WHEN (o.external_id::bigint - %s) %% %s = 0 THEN 20 ELSE 0 END AS amount) r "
            "WHERE o.channel = 'shopify' AND o.external_id ~ '^9[0-9]{8}$'",
            (sku_id, product_id, enterprise_id, ORDERS_FROM, every),
        )
        run("ANALYZE")
    return sku_id


def fill_shop(simulator: ShopifySimulator, *, orders: int, every: int, payouts: int, sku: str) -> int:
    """The shop's orders and refunds, paid out in ``payouts`` payouts; returns the transactions."""
    store = simulator.store
    now = datetime.now(UTC)
    per_payout = -(-orders // payouts)
    for first in range(1, orders + 1, per_payout):
        for number in range(first, min(first + per_payout, orders + 1)):
            order_id = str(ORDERS_FROM + number)
            # Ten orders the shop paid out at twice their price.
            price = PRICE * 2 if number <= 10 else PRICE
            store.orders[order_id] = StoredOrder(
                order_id, RemoteOrderStatus.SHIPPED, "CNY", "buyer", "CN", [(sku, 2, price)], now, now
            )
            if number % every == 0:
                refund_id = str(REFUNDS_FROM + number)
                store.after_sales[refund_id] = StoredAfterSale(
                    refund_id,
                    order_id,
                    RemoteAfterSaleKind.PARTIAL_REFUND,
                    RemoteAfterSaleStatus.REFUNDED,
                    [(sku, 0, Decimal("20.00"))],
                    "",
                    now,
                    now,
                )
        if first == 1:
            store.add_transaction("refund", str(ORDERS_FROM + first + 1), Decimal("-7.50"))
        store.pay_out(fee_rate=Decimal("0.029"), short_by=Decimal("1.00") if first == 1 else Decimal(0))
    return sum(len(payout.transactions) for payout in store.payouts.values())


def import_once(api: httpx.Client, url: str, account_id: int) -> float:
    """Seconds from asking for the import until its job is done."""
    started = time.perf_counter()
    job_id = api.post("/settlement/payouts/import", json={"channel_account_id": account_id}).json()["job_id"]
    with psycopg.connect(_sql(url), autocommit=True) as connection:
        while True:
            status, error = connection.execute("SELECT status, last_error FROM job WHERE id = %s", (job_id,)).fetchone()
            if status == "done":
                return time.perf_counter() - started
            if status == "dead":
                raise RuntimeError(f"the import failed: {error}")
            time.sleep(0.2)


def phases(url: str, account_id: int, shop_url: str) -> tuple[float, float]:
    """Seconds reading every payout's transactions through the client alone, and reconciling every
    payout again in this process (the two parts of an import)."""
    from commerce.db import Database
    from commerce.listings.models import ChannelAccount
    from commerce.settlement import payouts
    from commerce.settlement.payout_models import MarketplacePayout
    from integrations.shopify.client import ShopifyClient

    client = ShopifyClient(simulator_credentials("shopify"), {"base_url": shop_url})
    started = time.perf_counter()
    page = client.fetch_payouts(issued_since=datetime(2000, 1, 1, tzinfo=UTC), cursor=None)
    for payout in page.payouts:
        cursor = None
        while True:
            found = client.fetch_payout_transactions(payout.external_id, cursor=cursor)
            cursor = found.next_cursor
            if cursor is None:
                break
    reading = time.perf_counter() - started
    database = Database(url)
    with database.session() as session:
        account = session.get(ChannelAccount, account_id)
        session.expunge(account)
        ids = list(session.scalars(select(MarketplacePayout.id).order_by(MarketplacePayout.id)))
    started = time.perf_counter()
    for payout_id in ids:
        with database.session() as session:
            payouts.reconcile(session, account, payout_id)
    with database.session() as session:
        payouts.list_never_paid(session, account)
    reconciling = time.perf_counter() - started
    database.dispose()
    return reading, reconciling


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=80_000)
    parser.add_argument("--refunds", type=int, default=20_000)
    parser.add_argument("--payouts", type=int, default=10)
    arguments = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    every = max(1, arguments.orders // max(arguments.refunds, 1))
    print(f"machine: {machine()}")
    with deployment("postgresql") as service:
        service.flask("demo", "load")
        sku_id = load_orders(service.database_url, orders=arguments.orders, every=every)
        from integrations.shopify.queries import LATEST_API_VERSION

        simulator = ShopifySimulator(schema=admin_schema(LATEST_API_VERSION))
        transactions = fill_shop(
            simulator, orders=arguments.orders, every=every, payouts=arguments.payouts, sku=f"cc-sku-{sku_id}"
        )
        print(f"shop: {len(simulator.store.payouts)} payouts, {transactions} transactions")
        with served(simulator.app) as shop_url:
            service.start_gunicorn(2)
            service.start_worker()
            token = service.token("admin@demo.example.com")
            api = httpx.Client(
                base_url=f"{service.base_url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            account = api.post(
                "/channel-accounts",
                json={
                    "platform": "shopify",
                    "name": "Shopify (benchmark)",
                    "credentials": simulator_credentials("shopify"),
                    "settings": {"base_url": shop_url, "rate_limit_per_second": 1000, "currency": "CNY"},
                },
            ).json()
            first = import_once(api, service.database_url, account["id"])
            again = import_once(api, service.database_url, account["id"])
            with psycopg.connect(_sql(service.database_url)) as connection:
                kept = connection.execute(
                    "SELECT (SELECT count(*) FROM marketplace_payout), (SELECT count(*) FROM marketplace_transaction), "
                    "(SELECT count(*) FROM marketplace_transaction WHERE order_id IS NOT NULL)"
                ).fetchone()
                found = connection.execute(
                    "SELECT kind, count(*) FROM payout_difference GROUP BY kind ORDER BY kind"
                ).fetchall()
            reading, reconciling = phases(service.database_url, account["id"], shop_url)
        print(f"import and reconcile: {first:.1f} s; again (nothing new): {again:.1f} s")
        print(
            f"of which reading every payout's transactions through the API (the shop's own GraphQL validation "
            f"and cost accounting included): {reading:.1f} s; reconciling every payout again: {reconciling:.1f} s"
        )
        print(f"kept: {kept[0]} payouts, {kept[1]} transactions, {kept[2]} matched to our orders")
        print("differences: " + ", ".join(f"{kind} {count}" for kind, count in found))


if __name__ == "__main__":
    main()
