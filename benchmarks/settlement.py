"""Settling a month: every firm's statement of a month of shipped orders and refunds, in one request.

    python benchmarks/settlement.py [--orders 500000] [--refunds 50000] [--firms 200] [--hosts 20]

On PostgreSQL. Loads the demo (its cluster and trade operator), then writes the month straight
into the database with SQL, as the service would have left it: --firms firms of the demo's
cluster with a product each, --hosts hosts with a stream each, --orders one-line orders shipped
in the month (half of them in the streams, spread over the firms), --refunds of them with a
partial refund paid back; each host takes 20% of their streams' sales and the platform 5% of
every firm's. Then it starts gunicorn with one sync worker and times
POST /api/v1/settlement/statements for the month as the trade operator, which computes every
firm's statement at once; and again, which computes the drafts anew. It prints the times, the
statements and lines written, what they add up to, and the worker's peak resident memory
(VmHWM), the process being the service's only one.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

import httpx
import psycopg
from service import deployment, machine

PERIOD = "2026-11"
START = "2026-11-01 08:00:00+08"


def _sql(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load_month(url: str, *, orders: int, refunds: int, firms: int, hosts: int) -> None:
    """The month's firms, hosts, streams, orders, refunds and agreements, written with SQL."""
    with psycopg.connect(_sql(url), autocommit=True) as connection:
        run = connection.execute
        cluster_id, password_hash = run(
            "SELECT e.cluster_id, u.password_hash FROM user_account u JOIN enterprise e ON e.id = u.enterprise_id "
            "WHERE u.email = 'trade@demo.example.com'"
        ).fetchone()
        run(
            "INSERT INTO enterprise (name, uscc, cluster_id, kind, region_code, is_general_taxpayer, created_at) "
            "SELECT 'Bench firm ' || g, 'B' || lpad(g::text, 17, '0'), %s, 'manufacturer', '13053', true, now() "
            "FROM generate_series(1, %s) g",
            (cluster_id, firms),
        )
        run(
            "INSERT INTO product (enterprise_id, product_code, status, hs_code, declaration_elements, legal_unit, "
            "origin_region_code, created_at, updated_at) SELECT id, 'BENCH-' || id, 'approved', '6110120000', "
            "'针织|女式|100%%山羊绒', '件', '13053', now(), now() FROM enterprise WHERE name LIKE 'Bench firm %%'"
        )
        run(
            "INSERT INTO sku (product_id, enterprise_id, sku_code, attributes, price_amount, currency, weight_kg, "
            "created_at, updated_at) SELECT id, enterprise_id, 'BENCH-SKU-' || id, '{}', 100, 'CNY', 0.3, now(), now() "
            "FROM product WHERE product_code LIKE 'BENCH-%%'"
        )
        run(
            "CREATE TEMP TABLE firm_sku AS SELECT row_number() OVER (ORDER BY s.id) - 1 AS number, s.id AS sku_id, "
            "s.product_id, s.enterprise_id FROM sku s WHERE s.sku_code LIKE 'BENCH-SKU-%%'"
        )
        run(
            "INSERT INTO user_account (email, password_hash, role, is_active, created_at) "
            "SELECT 'bench-host-' || g || '@example.com', %s, 'host', true, now() FROM generate_series(1, %s) g",
            (password_hash, hosts),
        )
        run(
            "INSERT INTO stream (title, category, host_user_id, currency, scheduled_start, status, created_at) "
            "SELECT 'Bench stream ' || id, 'cashmere', id, 'CNY', %s, 'ended', now() FROM user_account "
            "WHERE email LIKE 'bench-host-%%'",
            (START,),
        )
        run(
            "CREATE TEMP TABLE host_stream AS SELECT row_number() OVER (ORDER BY id) - 1 AS number, id AS stream_id "
            "FROM stream WHERE title LIKE 'Bench stream %%'"
        )
        # Order g: firm g mod firms, in a stream when g is even; placed and shipped within the month.
        run(
            "INSERT INTO sales_order (channel, external_id, stream_id, status, buyer_name, currency, total_amount, "
            "placed_at, paid_at, shipped_at) SELECT 'douyin', 'BENCH-' || g, "
            "CASE WHEN g %% 2 = 0 THEN (SELECT stream_id FROM host_stream WHERE number = (g / 2) %% %s) END, "
            "'shipped', 'buyer', 'CNY', 200, t, t, t + interval '1 hour' "
            "FROM generate_series(1, %s) g, LATERAL (SELECT %s::timestamptz + (g %% 27) * interval '1 day' AS t) time",
            (hosts, orders, START),
        )
        run(
            "INSERT INTO order_line (order_id, sku_id, product_id, enterprise_id, quantity, unit_price, "
            "from_allocation, shipped_quantity) SELECT o.id, f.sku_id, f.product_id, f.enterprise_id, 2, 100, false, 2 "
            "FROM sales_order o JOIN firm_sku f ON f.number = substr(o.external_id, 7)::int %% %s "
            "WHERE o.external_id LIKE 'BENCH-%%'",
            (firms,),
        )
        every = max(1, orders // max(refunds, 1))
        run(
            "WITH chosen AS (SELECT l.id, l.order_id, l.sku_id, l.enterprise_id, o.shipped_at FROM order_line l "
            "JOIN sales_order o ON o.id = l.order_id WHERE o.external_id LIKE 'BENCH-%%' "
            "AND substr(o.external_id, 7)::int %% %s = 0 LIMIT %s), "
            "claimed AS (UPDATE order_line l SET refund_claimed_amount = 20, refunded_amount = 20 FROM chosen "
            "WHERE l.id = chosen.id) "
            "INSERT INTO after_sale (order_id, order_line_id, sku_id, enterprise_id, channel, kind, status, "
            "quantity, amount, currency, reason, restocked_quantity, written_off_quantity, requested_at, decided_at, "
            "refunded_at) "
            "SELECT order_id, id, sku_id, enterprise_id, 'douyin', 'partial_refund', 'refunded', 0, 20, 'CNY', "
            "'bench', 0, 0, shipped_at, shipped_at, shipped_at + interval '2 days' FROM chosen",
            (every, refunds),
        )
        run(
            "INSERT INTO settlement_agreement (cluster_id, kind, host_user_id, rate, valid_from, note, created_at) "
            "SELECT %s, 'host_commission', id, 0.20, '2026-01-01', '', now() FROM user_account "
            "WHERE email LIKE 'bench-host-%%'",
            (cluster_id,),
        )
        run(
            "INSERT INTO settlement_agreement (cluster_id, kind, enterprise_id, rate, valid_from, note, created_at) "
            "SELECT %s, 'platform_fee', enterprise_id, 0.05, '2026-01-01', '', now() FROM firm_sku",
            (cluster_id,),
        )
        run("ANALYZE")


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def worker_pid(master_pid: int) -> int:
    with open(f"/proc/{master_pid}/task/{master_pid}/children") as children:
        return int(children.read().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500_000)
    parser.add_argument("--refunds", type=int, default=50_000)
    parser.add_argument("--firms", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=20)
    arguments = parser.parse_args()
    print(f"machine: {machine()}")
    with deployment("postgresql") as service:
        service.flask("demo", "load")
        began = time.perf_counter()
        load_month(
            service.database_url,
            orders=arguments.orders,
            refunds=arguments.refunds,
            firms=arguments.firms,
            hosts=arguments.hosts,
        )
        print(f"loaded {arguments.orders} orders, {arguments.refunds} refunds in {time.perf_counter() - began:.1f} s")
        process = service.serve(1, port=service.port)
        pid = worker_pid(process.pid)
        token = service.token("trade@demo.example.com")
        headers = {"Authorization": f"Bearer {token}"}
        for label in ("first", "again"):
            began = time.perf_counter()
            answer = httpx.post(
                f"{process.base_url}/api/v1/settlement/statements",
                headers=headers,
                json={"period": PERIOD},
                timeout=600,
            )
            seconds = time.perf_counter() - began
            answer.raise_for_status()
            items = answer.json()["items"]
            lines = sum(item["lines"] for item in items)
            net = sum(Decimal(item["net_payable"]["amount"]) for item in items)
            gross = sum(Decimal(item["gross"]["amount"]) for item in items)
            print(
                f"settle {label}: {seconds:.1f} s, {len(items)} statements, {lines} lines, gross {gross}, "
                f"net payable {net}; worker peak memory {peak_memory_mb(pid):.0f} MB"
            )
        service.stop_serving(process)


if __name__ == "__main__":
    main()
