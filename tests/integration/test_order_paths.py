"""The two ways of writing an order give the same answers and leave the same rows.

``orders.writing`` is the plain path and the specification; on PostgreSQL ``orders.postgresql``
writes the same order in one statement. Each case runs from the same scene once per path (each
in a savepoint rolled back after it): its answers must be those the case expects, on either
database, and on PostgreSQL the rows both paths leave (orders, lines, the stock ledger, stock
levels, allocations, flash sales and their buyers, queued stock pushes, refusals noted for the
stream) must be equal. Ids drawn from sequences are not compared (PostgreSQL does not roll a
sequence back); rows name their order by its external id instead.

The plan refuses a line its read shows cannot be served, and draws a stream line on general stock
when its allocation was read short; each case also runs with a plan blind to what is left, so
that the write meets every shortage itself (as when another order took the units between the
read and the write), and must answer the same and leave the same rows.
"""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import select, update

from commerce.accounts.models import User
from commerce.actors import Actor, Role
from commerce.db import utcnow
from commerce.errors import DomainError
from commerce.inventory.models import StockLevel, StockMovement, StreamAllocation
from commerce.jobs.models import Job
from commerce.listings.models import ChannelAccount, Listing
from commerce.live.models import FlashSale, FlashSaleBuyer, StreamRefusal
from commerce.orders import planning, postgresql, service, writing
from commerce.orders.models import OrderCreate, OrderLine, SalesOrder
from commerce.sql import on_postgresql
from tests.e2e.test_streams import schedule
from tests.factories import open_shop

PATHS = {"plain": writing.write_order, "postgresql": postgresql.write_order}


class Scene:
    """The shop, a live stream selling the scarf (its small SKU 3 units allocated, its large 2) and
    the gloves, a flash sale running on the scarf's small SKU (4 units at 99.00, more than its
    allocation) and one on the gloves (3 units at 59.00), two per buyer, and the scarf listed live
    on a marketplace."""

    def __init__(self, client, factory, database):
        shop = open_shop(factory)
        host = shop.world.headers["host"]
        self.small, self.large = shop.scarf_skus
        self.sweater, self.gloves = shop.sweater_skus[0], shop.gloves_skus[0]
        stream = schedule(client, host)
        self.stream_id = stream["id"]
        allocations = {str(self.small): 3, str(self.large): 2}
        lineup = client.put(
            f"/api/v1/streams/{self.stream_id}/lineup",
            headers=host,
            json={
                "items": [{"product_id": shop.scarf_id, "sku_allocations": allocations}, {"product_id": shop.gloves_id}]
            },
        )
        assert lineup.status_code == 200, lineup.json
        assert client.post(f"/api/v1/streams/{self.stream_id}/start", headers=host).status_code == 200
        items = {item["product_id"]: item["id"] for item in lineup.json["lineup"]}
        self.now = utcnow()
        for item, sku, price, quantity in (
            (shop.scarf_id, self.small, "99.00", 4),
            (shop.gloves_id, self.gloves, "59.00", 3),
        ):
            created = client.post(
                f"/api/v1/streams/{self.stream_id}/flash-sales",
                headers=host,
                json={
                    "item_id": items[item],
                    "sku_id": sku,
                    "price": {"amount": price, "currency": "CNY"},
                    "quantity": quantity,
                    "per_buyer_limit": 2,
                    "countdown_seconds": 10,
                    "duration_seconds": 300,
                },
            )
            assert created.status_code == 201, created.json
            with database.session() as session:
                session.execute(
                    update(FlashSale)
                    .where(FlashSale.id == created.json["id"])
                    .values(starts_at=self.now - timedelta(seconds=1))
                )
                session.commit()
        with database.session() as session:
            account = ChannelAccount(platform="douyin", name="Shop", credentials_sealed="-", rate_limit_per_second=5)
            session.add(account)
            session.flush()
            session.add(
                Listing(
                    product_id=shop.scarf_id,
                    channel_account_id=account.id,
                    enterprise_id=shop.world.maker_a_id,
                    status="live",
                    external_id="DY-1",
                )
            )
            session.commit()
        with database.session() as session:
            self.host, self.trade = (
                Actor(user_id=user.id, role=Role(user.role), enterprise_id=user.enterprise_id, email=user.email)
                for user in (session.get(User, shop.world.user_ids[role]) for role in ("host", "trade_operator"))
            )

    def direct(self, external_id: str, *lines: tuple[int, int], buyer: str = "Alice") -> tuple[Actor, dict]:
        return self.trade, {
            "channel": "direct",
            "external_id": external_id,
            "buyer": {"name": buyer, "country": "US"},
            "currency": "CNY",
            "lines": [{"sku_id": sku, "quantity": quantity} for sku, quantity in lines],
        }

    def streamed(self, external_id: str, *lines: tuple[int, int], buyer: str = "anna") -> tuple[Actor, dict]:
        return self.host, {
            "channel": "douyin",
            "external_id": external_id,
            "stream_id": self.stream_id,
            "buyer": {"id": buyer, "name": buyer},
            "currency": "CNY",
            "lines": [{"sku_id": sku, "quantity": quantity} for sku, quantity in lines],
        }


def _placed(external_id: str, *lines: tuple[str, int, str]) -> tuple:
    return ("placed", external_id, list(lines))


CASES = {
    # name: (the orders sent, in turn; the answers expected, one per order)
    "direct, one line": (
        lambda scene: [scene.direct("D-1", (scene.sweater, 2))],
        lambda scene: [_placed("D-1", ("sweater", 2, "399.0000"))],
    ),
    "direct, several lines given out of SKU order": (
        lambda scene: [scene.direct("D-2", (scene.gloves, 1), (scene.large, 3), (scene.small, 1))],
        lambda scene: [_placed("D-2", ("gloves", 1, "89.5000"), ("large", 3, "219.0000"), ("small", 1, "199.0000"))],
    ),
    "direct, a later line short": (
        lambda scene: [scene.direct("D-3", (scene.small, 1), (scene.sweater, 31))],
        lambda scene: [("insufficient_stock", {"sku_id": scene.sweater})],
    ),
    "stream, from the allocation": (
        lambda scene: [scene.streamed("S-1", (scene.large, 2))],
        lambda scene: [_placed("S-1", ("large", 2, "219.0000"))],
    ),
    "stream, the allocation short: general stock": (
        lambda scene: [scene.streamed("S-2", (scene.large, 3))],
        lambda scene: [_placed("S-2", ("large", 3, "219.0000"))],
    ),
    "stream, a later line's allocation short": (
        lambda scene: [scene.streamed("S-3", (scene.large, 3), (scene.small, 1))],
        lambda scene: [_placed("S-3", ("large", 3, "219.0000"), ("small", 1, "99.0000"))],
    ),
    "stream, allocation and stock short": (
        lambda scene: [scene.streamed("S-4", (scene.large, 39))],
        lambda scene: [("insufficient_stock", {"sku_id": scene.large})],
    ),
    "flash sales, on the first line and on a later one": (
        lambda scene: [
            scene.streamed("F-1", (scene.small, 2)),
            scene.streamed("F-2", (scene.large, 1), (scene.gloves, 2)),
        ],
        lambda scene: [
            _placed("F-1", ("small", 2, "99.0000")),
            _placed("F-2", ("large", 1, "219.0000"), ("gloves", 2, "59.0000")),
        ],
    ),
    "flash sale, the buyer's limit reached": (
        lambda scene: [
            scene.streamed("L-1", (scene.small, 2)),
            scene.streamed("L-2", (scene.small, 1)),
            scene.streamed("L-3", (scene.large, 1), (scene.gloves, 2)),
            scene.streamed("L-4", (scene.large, 1), (scene.gloves, 1)),
        ],
        lambda scene: [
            _placed("L-1", ("small", 2, "99.0000")),
            ("buyer_limit_reached", {"limit": 2, "sku_id": scene.small}),
            _placed("L-3", ("large", 1, "219.0000"), ("gloves", 2, "59.0000")),
            ("buyer_limit_reached", {"limit": 2, "sku_id": scene.gloves}),
        ],
    ),
    # The third order finds the allocation spent: its units come from general stock.
    "flash sale, sold out": (
        lambda scene: [
            scene.streamed("O-1", (scene.small, 2), buyer="anna"),
            scene.streamed("O-2", (scene.small, 1), buyer="bob"),
            scene.streamed("O-3", (scene.small, 1), buyer="carl"),
            scene.streamed("O-4", (scene.small, 1), buyer="dan"),
            scene.streamed("O-5", (scene.large, 1), (scene.gloves, 2), buyer="anna"),
            scene.streamed("O-6", (scene.large, 1), (scene.gloves, 2), buyer="bob"),
        ],
        lambda scene: [
            _placed("O-1", ("small", 2, "99.0000")),
            _placed("O-2", ("small", 1, "99.0000")),
            _placed("O-3", ("small", 1, "99.0000")),
            ("flash_sale_sold_out", {"sku_id": scene.small}),
            _placed("O-5", ("large", 1, "219.0000"), ("gloves", 2, "59.0000")),
            ("flash_sale_sold_out", {"sku_id": scene.gloves}),
        ],
    ),
    "a repeat, and another order under the same id": (
        lambda scene: [
            scene.streamed("R-1", (scene.small, 1)),
            scene.streamed("R-1", (scene.small, 1)),
            scene.streamed("R-1", (scene.small, 2)),
        ],
        lambda scene: [
            _placed("R-1", ("small", 1, "99.0000")),
            ("repeated", "R-1", [("small", 1, "99.0000")]),
            ("idempotency_mismatch", {"external_id": "R-1", "order_id": "R-1"}),
        ],
    ),
}


def _answer(session, scene: Scene, orders: dict[int, str], actor: Actor, body: dict) -> tuple:
    """What placing the order answered: placed or repeated with its lines, or the refusal's code."""
    names = {scene.small: "small", scene.large: "large", scene.sweater: "sweater", scene.gloves: "gloves"}
    try:
        data = OrderCreate.model_validate(body)
        view, created = service.place_order(session, actor=actor, data=data, now=scene.now)
    except DomainError as error:
        params = dict(error.params)
        if "order_id" in params:
            params["order_id"] = orders.get(params["order_id"], params["order_id"])
        return (error.code, params)
    orders[view.order.id] = view.order.external_id
    lines = [(names[line.sku_id], line.quantity, f"{line.unit_price:.4f}") for line in view.lines]
    return ("placed" if created else "repeated", view.order.external_id, lines)


def _state(session, orders: dict[int, str]) -> dict[str, list]:
    """Every row an order writes, without ids drawn from sequences, in a stable order."""
    for order_id, external_id in session.execute(select(SalesOrder.id, SalesOrder.external_id)):
        orders.setdefault(order_id, external_id)

    def rows(model, *leave_out: str) -> list[tuple]:
        table = model.__table__
        columns = [column for column in table.c if column.name not in ("id", *leave_out)]
        found = []
        for row in session.execute(select(*columns)):
            values = dict(row._mapping)
            if "order_id" in values:
                values["order_id"] = orders[values["order_id"]]
            if str(values.get("reference", "")).startswith(writing.ORDER_REFERENCE):
                values["reference"] = orders[int(values["reference"].removeprefix(writing.ORDER_REFERENCE))]
            found.append(tuple(sorted((name, str(value)) for name, value in values.items())))
        return sorted(found)

    return {
        "orders": rows(SalesOrder),
        "lines": rows(OrderLine),
        "ledger": rows(StockMovement),
        "stock": rows(StockLevel),
        "allocations": rows(StreamAllocation),
        "flash sales": rows(FlashSale),
        "buyers": rows(FlashSaleBuyer),
        # A push's times are those of the change it follows: the order's, or the moment it was announced.
        "jobs": rows(Job, "run_at", "created_at"),
        "refusals": rows(StreamRefusal),
    }


def _blind(lines, _skus) -> None:
    """A plan that reads nothing of what is left: every stream line draws on its allocation."""
    for line in lines:
        line.from_allocation = line.lineup_item_id is not None


FORECASTS = {"read": planning.draw_on_what_is_left, "blind": _blind}


def _run(database, scene: Scene, orders_sent, path, forecast) -> tuple[list, dict]:
    """Send the case's orders along ``path`` in a savepoint; its answers and the rows left, then undone."""
    orders: dict[int, str] = {}
    savepoint = database.within.begin_nested()
    try:
        with (
            mock.patch.object(postgresql, "write_order", path),
            mock.patch.object(planning, "draw_on_what_is_left", forecast),
            database.session() as session,
        ):
            answers = [_answer(session, scene, orders, actor, body) for actor, body in orders_sent]
            return answers, _state(session, orders)
    finally:
        savepoint.rollback()


@pytest.mark.parametrize("case", list(CASES))
def test_both_ways_of_writing_an_order_agree(case, client, factory, database):
    scene = Scene(client, factory, database)
    orders_sent, expected = CASES[case][0](scene), CASES[case][1](scene)
    with database.session() as session:
        paths = ["plain", "postgresql"] if on_postgresql(session) else ["plain"]
    outcomes = {
        (path, forecast): _run(database, scene, orders_sent, PATHS[path], FORECASTS[forecast])
        for path in paths
        for forecast in FORECASTS
    }
    for way, (answers, _state_left) in outcomes.items():
        assert answers == expected, way
    plain = outcomes["plain", "read"][1]
    for way, (_answers, state) in outcomes.items():
        for table in plain:
            assert state[table] == plain[table], (way, table)
    placed = {answer[1] for answer in expected if answer[0] == "placed"}
    assert {dict(row)["external_id"] for row in plain["orders"]} == placed
    with database.session() as session:
        assert session.scalar(select(SalesOrder.id).limit(1)) is None
