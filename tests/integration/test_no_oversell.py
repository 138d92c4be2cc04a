"""Buyers racing for the same units through a real HTTP server: no unit is ever sold twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from commerce.db import utcnow
from commerce.live.models import FlashSale
from commerce.orders.models import OrderLine, SalesOrder
from tests.e2e.test_orders import order_body
from tests.factories import open_shop, stock_of

THREADS = 16


def _race(live_server: str, headers: dict[str, str], bodies: list[dict]) -> list[tuple[int, dict]]:
    def send(body):
        with httpx.Client(base_url=live_server, headers=headers, timeout=60) as http:
            response = http.post("/api/v1/orders", json=body)
            return response.status_code, response.json()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(send, bodies))


def _units_sold(database, sku_id: int) -> int:
    with database.session() as session:
        return session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
            .where(OrderLine.sku_id == sku_id, SalesOrder.status != "cancelled")
        )


def test_concurrent_buyers_never_get_the_same_unit_twice(live_server, factory, database):
    shop = open_shop(factory)
    sku = shop.sweater_skus[0]
    bodies = [order_body(f"RACE-{n}", [{"sku_id": sku, "quantity": 1}], buyer={"name": f"b{n}"}) for n in range(120)]
    answers = _race(live_server, shop.world.headers["trade_operator"], bodies)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 30 + [409] * 90
    assert {body["code"] for status, body in answers if status == 409} == {"insufficient_stock"}
    assert _units_sold(database, sku) == 30
    assert stock_of(database, sku) == (30, 30, 0, 0)


def test_a_flash_sale_rush_sells_exactly_its_quantity(live_server, factory, database, client):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    sku = shop.scarf_skus[0]
    stream = client.post(
        "/api/v1/streams",
        headers=host,
        json={"title": "秒杀", "category": "cashmere", "scheduled_start": "2026-12-01T20:00:00+08:00"},
    ).json
    items = [{"product_id": shop.scarf_id, "sku_allocations": {str(sku): 25}}]
    item_id = client.put(f"/api/v1/streams/{stream['id']}/lineup", headers=host, json={"items": items}).json["lineup"][
        0
    ]["id"]
    client.post(f"/api/v1/streams/{stream['id']}/start", headers=host)
    sale = client.post(
        f"/api/v1/streams/{stream['id']}/flash-sales",
        headers=host,
        json={
            "item_id": item_id,
            "sku_id": sku,
            "price": {"amount": "99.00", "currency": "CNY"},
            "quantity": 20,
            "per_buyer_limit": 2,
            "countdown_seconds": 10,
            "duration_seconds": 300,
        },
    ).json
    with database.session() as session:
        session.execute(
            update(FlashSale).where(FlashSale.id == sale["id"]).values(starts_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    # 15 buyers try 4 times each for one unit: the limit lets each have 2, the sale's quantity 20 in all.
    bodies = [
        order_body(
            f"FLASH-{n}",
            [{"sku_id": sku, "quantity": 1}],
            channel="douyin",
            stream_id=stream["id"],
            buyer={"id": f"buyer-{n % 15}", "name": "x"},
        )
        for n in range(60)
    ]
    answers = _race(live_server, host, bodies)
    accepted = [body for status, body in answers if status == 201]
    assert len(accepted) == 20
    assert {line["unit_price"]["amount"] for body in accepted for line in body["lines"]} == {"99.00"}
    per_buyer: dict[str, int] = {}
    for body in accepted:
        per_buyer[body["buyer"]["id"]] = per_buyer.get(body["buyer"]["id"], 0) + 1
    assert max(per_buyer.values()) <= 2
    assert {body["code"] for status, body in answers if status != 201} <= {"buyer_limit_reached", "flash_sale_sold_out"}
    assert stock_of(database, sku) == (100, 20, 5, 75)
    stream_now = client.get(f"/api/v1/streams/{stream['id']}", headers=host).json
    assert stream_now["flash_sales"][0]["sold"] == 20


def test_the_same_order_sent_concurrently_is_taken_once(live_server, factory, database):
    shop = open_shop(factory)
    sku = shop.gloves_skus[0]
    body = order_body("SAME-1", [{"sku_id": sku, "quantity": 2}])
    answers = _race(live_server, shop.world.headers["trade_operator"], [body] * 24)
    assert sorted(status for status, _ in answers) == [200] * 23 + [201]
    assert len({answer["id"] for _, answer in answers}) == 1
    assert stock_of(database, sku) == (20, 2, 0, 18)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SalesOrder)) == 1


def test_a_request_that_dies_mid_order_leaves_no_order_and_no_reservation(factory, database, monkeypatch):
    from commerce.actors import Actor, Role
    from commerce.inventory.models import StockMovement
    from commerce.orders import service as orders
    from commerce.orders.models import OrderCreate

    shop = open_shop(factory)
    sku, other = shop.scarf_skus[0], shop.gloves_skus[0]

    def die(*_args, **_kwargs):
        raise SystemExit("worker killed")

    # Two lines: on PostgreSQL a one-line order outside a flash sale is a single statement that
    # commits on its own, with no moment between its writes and its commit to die in.
    body = OrderCreate(**order_body("DIE-1", [{"sku_id": sku, "quantity": 5}, {"sku_id": other, "quantity": 1}]))
    actor = Actor(
        user_id=shop.world.user_ids["trade_operator"], role=Role.TRADE_OPERATOR, enterprise_id=shop.world.platform_id
    )
    with database.session() as session:
        ledger_before = session.scalar(select(func.count()).select_from(StockMovement))
    with database.session() as session:
        # Killed after every statement of the order ran, just before its commit.
        monkeypatch.setattr(session, "commit", die)
        try:
            orders.place_order(session, actor=actor, data=body)
        except SystemExit:
            pass
        else:
            raise AssertionError("the order went through")
    assert (stock_of(database, sku), stock_of(database, other)) == ((100, 0, 0, 100), (20, 0, 0, 20))
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SalesOrder)) == 0
        assert session.scalar(select(func.count()).select_from(OrderLine)) == 0
        assert session.scalar(select(func.count()).select_from(StockMovement)) == ledger_before
    monkeypatch.undo()
    with database.session() as session:
        view, created = orders.place_order(session, actor=actor, data=body)
    assert created and (stock_of(database, sku), stock_of(database, other)) == ((100, 5, 0, 95), (20, 1, 0, 19))
