"""Customs figures: forming a 9610 batch of 20,000 export orders and writing their messages.

Loads the demo cluster into a fresh PostgreSQL database, configures its service platform
through the API, puts in shipped export orders with SQL, then times the real service's
answers to ``POST /customs/batches`` (20,000 orders -> 20,000 inventory lists) and
``POST /customs/batches/{id}/submit`` (writes the 80,000 messages: each CEB603 and the CEB303,
CEB403 and CEB505 beside it).

    python benchmarks/customs.py batch --orders 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from service import deployment, machine

PLATFORM = {
    "customs_registration": "1305960001",
    "declaring_customs": "0401",
    "exit_ports": ["0401", "0202"],
    "transport_modes": ["5", "2"],
    "dxp_id": "DXPENT0000000001",
}


def _configure(service) -> tuple[httpx.Client, int]:
    admin = httpx.Client(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {service.token('admin@demo.example.com')}"},
        timeout=900,
    )
    cluster = admin.get("/api/v1/clusters").json()["items"][0]
    platform = admin.get("/api/v1/enterprises", params={"kind": "service_platform"}).json()["items"][0]
    answer = admin.put(f"/api/v1/customs/platforms/{cluster['id']}", json={**PLATFORM, "enterprise_id": platform["id"]})
    answer.raise_for_status()
    operator = httpx.Client(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {service.token('trade@demo.example.com')}"},
        timeout=900,
    )
    return operator, answer.json()["id"]


ORDERS_SQL = """
INSERT INTO sales_order (channel, external_id, status, buyer_name, currency, total_amount, customs_mode,
    destination_country, trade_terms, waybill_no, logistics_code, placed_at, paid_at, shipped_at)
SELECT 'direct', 'BENCH-' || g, 'shipped', 'Buyer ' || g, 'USD', 56.5, '9610',
    (ARRAY['US', 'DE', 'GB', 'JP', 'CA', 'AU'])[1 + g % 6], 'FOB', 'WB' || g, 'SF', now(), now(), now()
FROM generate_series(1, :orders) AS g;
INSERT INTO order_line (order_id, sku_id, product_id, enterprise_id, quantity, unit_price, from_allocation)
SELECT o.id, s.id, s.product_id, s.enterprise_id, 1 + o.id % 3, 56.5, false
FROM sales_order o
JOIN (SELECT sku.id, sku.product_id, sku.enterprise_id, row_number() OVER (ORDER BY sku.id) - 1 AS n,
             count(*) OVER () AS total
      FROM sku JOIN product ON product.id = sku.product_id
      WHERE product.legal_unit IN ('件', '条', '双', '个', '套', '千克')
        AND coalesce(product.second_legal_unit, '千克') IN ('件', '条', '双', '个', '套', '千克')) s
  ON s.n = o.id % s.total
WHERE o.external_id LIKE 'BENCH-%';
"""


def batch_run(orders: int) -> None:
    with deployment("postgresql") as service:
        service.flask("demo", "load")
        service.start_gunicorn(workers=1)
        operator, _ = _configure(service)
        engine = create_engine(service.database_url)
        with engine.begin() as connection:
            for statement in ORDERS_SQL.split(";"):
                if statement.strip():
                    connection.execute(text(statement), {"orders": orders})
        engine.dispose()
        started = time.perf_counter()
        formed = operator.post("/api/v1/customs/batches", json={"customs_mode": "9610"})
        if formed.status_code != 201:
            raise SystemExit(f"forming failed: {formed.status_code} {formed.text}")
        form_seconds = time.perf_counter() - started
        batch = formed.json()
        started = time.perf_counter()
        submitted = operator.post(f"/api/v1/customs/batches/{batch['id']}/submit")
        submitted.raise_for_status()
        submit_seconds = time.perf_counter() - started
        engine = create_engine(service.database_url)
        with engine.connect() as connection:
            messages = connection.execute(text("SELECT kind, count(*) FROM customs_message GROUP BY kind")).all()
        engine.dispose()
        print(f"machine: {machine()}")
        print(f"orders: {batch['orders']}, inventory lists: {len(batch['declarations'])}")
        print(f"messages written: {dict(messages)}")
        print(f"form batch: {form_seconds:.1f} s; submit (messages written): {submit_seconds:.1f} s")
        print(f"total: {form_seconds + submit_seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", choices=["batch"])
    parser.add_argument("--orders", type=int, default=20_000)
    arguments = parser.parse_args()
    if arguments.run == "batch":
        batch_run(arguments.orders)


if __name__ == "__main__":
    main()
