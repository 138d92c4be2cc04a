from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from commerce.db import utcnow
from commerce.inventory.models import MovementKind, StockMovement
from commerce.live.models import FlashSale, FlashSaleBuyer, LineupItem
from commerce.orders.models import OrderLine, SalesOrder
from tests.e2e.test_orders import _count, order_body
from tests.factories import open_shop, stock_of


def schedule(client, headers, **overrides):
    body = {"title": "清河羊绒专场", "category": "cashmere", "scheduled_start": "2026-12-01T20:00:00+08:00"}
    response = client.post("/api/v1/streams", headers=headers, json={**body, **overrides})
    assert response.status_code == 201, response.json
    return response.json


def put_lineup(client, headers, stream_id, items):
    return client.put(f"/api/v1/streams/{stream_id}/lineup", headers=headers, json={"items": items})


def live_stream(client, shop, *, scarf_allocation=10):
    """A live stream selling the scarf (10 small ones allocated, live price 159.00) and the gloves."""
    host = shop.world.headers["host"]
    stream = schedule(client, host)
    lineup = put_lineup(
        client,
        host,
        stream["id"],
        [
            {
                "product_id": shop.scarf_id,
                "live_price": {"amount": "159.00", "currency": "CNY"},
                "sku_allocations": {str(shop.scarf_skus[0]): scarf_allocation},
            },
            {"product_id": shop.gloves_id},
        ],
    )
    assert lineup.status_code == 200, lineup.json
    assert client.post(f"/api/v1/streams/{stream['id']}/start", headers=host).status_code == 200
    return lineup.json


def stream_order(client, shop, stream_id, external_id, sku_id, quantity=1, buyer="b-1", **line):
    return client.post(
        "/api/v1/orders",
        headers=shop.world.headers["host"],
        json=order_body(
            external_id,
            [{"sku_id": sku_id, "quantity": quantity, **line}],
            channel="douyin",
            stream_id=stream_id,
            buyer={"id": buyer, "name": buyer},
        ),
    )


def test_a_host_schedules_a_stream_and_builds_its_lineup(client, factory, database):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = schedule(client, host)
    assert (stream["status"], stream["host_user_id"], stream["currency"]) == (
        "scheduled",
        shop.world.user_ids["host"],
        "CNY",
    )
    assert stream["scheduled_start"] == "2026-12-01T12:00:00Z"
    items = [
        {"product_id": shop.scarf_id, "sku_allocations": {str(shop.scarf_skus[0]): 30}},
        {"product_id": shop.sweater_id, "live_price": {"amount": "299.00", "currency": "CNY"}},
        {"product_id": shop.gloves_id},
    ]
    lineup = put_lineup(client, {**host, "Accept-Language": "en"}, stream["id"], items).json["lineup"]
    assert [(item["position"], item["product_id"]) for item in lineup] == [
        (1, shop.scarf_id),
        (2, shop.sweater_id),
        (3, shop.gloves_id),
    ]
    assert lineup[0]["title"] == "Cashmere scarf"
    assert lineup[0]["sku_allocations"] == {str(shop.scarf_skus[0]): 30}
    assert lineup[1]["live_price"] == {"amount": "299.00", "currency": "CNY"}
    assert stock_of(database, shop.scarf_skus[0]) == (100, 0, 30, 70)

    ids = {item["product_id"]: item["id"] for item in lineup}
    reordered = put_lineup(
        client,
        host,
        stream["id"],
        [
            {"product_id": shop.gloves_id},
            {"product_id": shop.scarf_id, "sku_allocations": {str(shop.scarf_skus[0]): 12}},
        ],
    ).json["lineup"]
    assert [(item["position"], item["id"]) for item in reordered] == [(1, ids[shop.gloves_id]), (2, ids[shop.scarf_id])]
    assert stock_of(database, shop.scarf_skus[0]) == (100, 0, 12, 88)
    kept = put_lineup(client, host, stream["id"], [{"product_id": shop.scarf_id}]).json["lineup"]
    assert kept[0]["sku_allocations"] == {str(shop.scarf_skus[0]): 12}
    released = put_lineup(client, host, stream["id"], []).json
    assert released["lineup"] == []
    assert stock_of(database, shop.scarf_skus[0]) == (100, 0, 0, 100)


def test_a_bad_lineup_changes_nothing(client, factory, database, settings):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = schedule(client, host)
    good = [{"product_id": shop.scarf_id, "sku_allocations": {str(shop.scarf_skus[0]): 5}}]
    assert put_lineup(client, host, stream["id"], good).status_code == 200
    draft = factory.product(shop.world.maker_a_id)
    too_many = [{"product_id": shop.gloves_id}] * (settings.lineup_max_items + 1)
    cases = [
        ([*good, {"product_id": draft.id}], 409, "product_not_approved", "items.1.product_id"),
        ([{"product_id": 999999}], 422, "unknown_reference", "items.0.product_id"),
        ([*good, *good], 422, "duplicate_product", "items.1.product_id"),
        (
            [{"product_id": shop.scarf_id, "sku_allocations": {str(shop.scarf_skus[0]): 101}}],
            409,
            "insufficient_stock",
            f"items.0.sku_allocations.{shop.scarf_skus[0]}",
        ),
        (
            [{"product_id": shop.scarf_id, "sku_allocations": {str(shop.gloves_skus[0]): 1}}],
            422,
            "sku_not_in_product",
            f"items.0.sku_allocations.{shop.gloves_skus[0]}",
        ),
        (
            [{"product_id": shop.gloves_id, "live_price": {"amount": "9.90", "currency": "USD"}}],
            422,
            "currency_mismatch",
            "items.0.live_price.currency",
        ),
        (too_many, 422, "lineup_too_long", "items"),
    ]
    for items, status, code, field in cases:
        response = put_lineup(client, host, stream["id"], items)
        assert response.status_code == status, (items, response.json)
        assert response.json["code"] == code
        assert response.json["errors"][0]["field"] == field
    after = client.get(f"/api/v1/streams/{stream['id']}", headers=host).json["lineup"]
    assert [(item["product_id"], item["sku_allocations"]) for item in after] == [
        (shop.scarf_id, {str(shop.scarf_skus[0]): 5})
    ]
    assert stock_of(database, shop.scarf_skus[0]) == (100, 0, 5, 95)


def test_exactly_one_item_is_pinned_and_the_history_is_kept(client, factory):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = live_stream(client, shop)
    scarf, gloves = (item["id"] for item in stream["lineup"])
    url = f"/api/v1/streams/{stream['id']}/pin"
    assert client.post(url, headers=host, json={"item_id": scarf}).json["pinned_item_id"] == scarf
    assert client.post(url, headers=host, json={"item_id": gloves}).json["pinned_item_id"] == gloves
    missing = client.post(url, headers=host, json={"item_id": 999999})
    assert (missing.status_code, missing.json["code"]) == (422, "not_in_lineup")
    assert client.get(f"/api/v1/streams/{stream['id']}", headers=host).json["pinned_item_id"] == gloves
    assert client.delete(url, headers=host).json["pinned_item_id"] is None
    pins = client.get(f"/api/v1/streams/{stream['id']}/report", headers=host).json["pins"]
    assert [(pin["item_id"], pin["unpinned_at"] is not None) for pin in pins] == [(scarf, True), (gloves, True)]
    assert pins[0]["pinned_by"] == shop.world.user_ids["host"]


def test_stream_orders_draw_on_the_allocation_first_and_end_returns_the_rest(client, factory, database):
    shop = open_shop(factory)
    stream = live_stream(client, shop, scarf_allocation=3)
    sku = shop.scarf_skus[0]
    first = stream_order(client, shop, stream["id"], "L-1", sku, 2)
    assert first.status_code == 201, first.json
    assert first.json["lines"][0]["unit_price"] == {"amount": "159.00", "currency": "CNY"}
    assert stock_of(database, sku) == (100, 2, 1, 97)
    second = stream_order(client, shop, stream["id"], "L-2", sku, 2)
    assert second.status_code == 201
    # One unit left in the allocation: the two units come from general stock, and the order's
    # line and ledger row say so.
    assert stock_of(database, sku) == (100, 4, 1, 95)
    with database.session() as session:
        drawn = session.execute(
            select(OrderLine.order_id, OrderLine.from_allocation).where(OrderLine.sku_id == sku).order_by(OrderLine.id)
        ).all()
        ledger = session.execute(
            select(StockMovement.reference, StockMovement.reserved_delta, StockMovement.allocated_delta)
            .where(StockMovement.sku_id == sku, StockMovement.kind == MovementKind.ORDER_PLACED.value)
            .order_by(StockMovement.id)
        ).all()
    assert drawn == [(first.json["id"], True), (second.json["id"], False)]
    assert ledger == [(f"order:{first.json['id']}", 2, -2), (f"order:{second.json['id']}", 2, 0)]
    wrong_price = stream_order(client, shop, stream["id"], "L-3", sku, 1, unit_price="199.00")
    assert (wrong_price.status_code, wrong_price.json["code"]) == (409, "price_changed")
    not_listed = stream_order(client, shop, stream["id"], "L-4", shop.sweater_skus[0], 1)
    assert (not_listed.status_code, not_listed.json["code"]) == (422, "not_in_lineup")
    in_dollars = client.post(
        "/api/v1/orders",
        headers=shop.world.headers["host"],
        json=order_body(
            "L-4b", [{"sku_id": sku, "quantity": 1}], channel="douyin", stream_id=stream["id"], currency="USD"
        ),
    )
    assert (in_dollars.status_code, in_dollars.json["code"], in_dollars.json["errors"][0]["field"]) == (
        422,
        "currency_mismatch",
        "currency",
    )
    assert stock_of(database, sku) == (100, 4, 1, 95)
    cancelled = client.post(f"/api/v1/orders/{first.json['id']}/cancel", headers=shop.world.headers["host"])
    assert cancelled.status_code == 200
    assert stock_of(database, sku) == (100, 2, 3, 95)

    ended = client.post(f"/api/v1/streams/{stream['id']}/end", headers=shop.world.headers["host"])
    assert ended.json["status"] == "ended"
    assert stock_of(database, sku) == (100, 2, 0, 98)
    late = stream_order(client, shop, stream["id"], "L-5", sku, 1)
    assert (late.status_code, late.json["code"]) == (409, "stream_not_live")
    assert stock_of(database, sku) == (100, 2, 0, 98)
    # An order taken while the stream was live is still the answer to its repeats.
    repeated = stream_order(client, shop, stream["id"], "L-2", sku, 2)
    assert (repeated.status_code, repeated.json) == (200, second.json)
    assert stock_of(database, sku) == (100, 2, 0, 98)


def _start_sale_now(database, sale_id, *, ended=False):
    now = utcnow()
    values = {"starts_at": now - timedelta(minutes=2), "ends_at": now + timedelta(minutes=5)}
    if ended:
        values["ends_at"] = now - timedelta(seconds=1)
    with database.session() as session:
        session.execute(update(FlashSale).where(FlashSale.id == sale_id).values(**values))
        session.commit()


def test_a_flash_sale_sets_the_price_the_quantity_and_the_buyers_limit(client, factory, database):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = live_stream(client, shop, scarf_allocation=10)
    scarf_item = stream["lineup"][0]["id"]
    sku = shop.scarf_skus[0]
    url = f"/api/v1/streams/{stream['id']}/flash-sales"
    sale_body = {
        "item_id": scarf_item,
        "sku_id": sku,
        "price": {"amount": "99.00", "currency": "CNY"},
        "quantity": 5,
        "per_buyer_limit": 2,
        "countdown_seconds": 10,
        "duration_seconds": 120,
    }
    for change, code, field in (
        ({"countdown_seconds": 5}, "flash_sale_out_of_bounds", "countdown_seconds"),
        ({"duration_seconds": 1201}, "flash_sale_out_of_bounds", "duration_seconds"),
        ({"per_buyer_limit": 6}, "limit_above_quantity", "per_buyer_limit"),
        ({"sku_id": shop.gloves_skus[0]}, "sku_not_in_product", "sku_id"),
    ):
        refused = client.post(url, headers=host, json={**sale_body, **change})
        assert (refused.status_code, refused.json["code"], refused.json["errors"][0]["field"]) == (422, code, field)
    created = client.post(url, headers=host, json=sale_body)
    assert created.status_code == 201, created.json
    sale = created.json
    assert (sale["state"], sale["sold"], sale["price"]) == ("upcoming", 0, {"amount": "99.00", "currency": "CNY"})
    overlapping = client.post(url, headers=host, json=sale_body)
    assert (overlapping.status_code, overlapping.json["code"]) == (409, "flash_sale_overlaps")

    before = stream_order(client, shop, stream["id"], "F-0", sku, 1, buyer="early")
    assert before.json["lines"][0]["unit_price"]["amount"] == "159.00"
    _start_sale_now(database, sale["id"])
    deal = stream_order(client, shop, stream["id"], "F-1", sku, 2, buyer="anna")
    assert deal.status_code == 201, deal.json
    assert (deal.json["lines"][0]["unit_price"]["amount"], deal.json["lines"][0]["flash_sale_id"]) == (
        "99.00",
        sale["id"],
    )
    over_limit = stream_order(client, shop, stream["id"], "F-2", sku, 1, buyer="anna")
    assert (over_limit.status_code, over_limit.json["code"]) == (409, "buyer_limit_reached")
    too_many = stream_order(client, shop, stream["id"], "F-2b", sku, 3, buyer="dan")
    assert (too_many.status_code, too_many.json["code"]) == (409, "buyer_limit_reached")
    # Refused orders take nothing: not the stock, not the sale's units, not a buyer's allowance.
    assert stock_of(database, sku) == (100, 3, 7, 90)
    current = client.get(f"/api/v1/streams/{stream['id']}", headers=host).json["flash_sales"]
    assert [(item["id"], item["sold"]) for item in current] == [(sale["id"], 2)]
    whole_limit = stream_order(client, shop, stream["id"], "F-2c", sku, 2, buyer="dan")
    assert whole_limit.status_code == 201
    assert client.post(f"/api/v1/orders/{whole_limit.json['id']}/cancel", headers=host).status_code == 200
    assert stream_order(client, shop, stream["id"], "F-3", sku, 2, buyer="ben").status_code == 201
    sold_out = stream_order(client, shop, stream["id"], "F-4", sku, 2, buyer="cleo")
    assert (sold_out.status_code, sold_out.json["code"]) == (409, "flash_sale_sold_out")
    assert stock_of(database, sku) == (100, 5, 5, 90)
    assert stream_order(client, shop, stream["id"], "F-5", sku, 1, buyer="cleo").status_code == 201
    cancelled = client.post(f"/api/v1/orders/{deal.json['id']}/cancel", headers=host)
    assert cancelled.status_code == 200
    again = stream_order(client, shop, stream["id"], "F-6", sku, 2, buyer="anna")
    assert again.status_code == 201
    current = client.get(f"/api/v1/streams/{stream['id']}", headers=host).json["flash_sales"]
    assert [(item["id"], item["sold"], item["state"]) for item in current] == [(sale["id"], 5, "running")]

    _start_sale_now(database, sale["id"], ended=True)
    after = stream_order(client, shop, stream["id"], "F-7", sku, 1, buyer="anna")
    assert (after.json["lines"][0]["unit_price"]["amount"], after.json["lines"][0]["flash_sale_id"]) == ("159.00", None)


def _running_scarf_sale(client, shop, database, stream, *, quantity, per_buyer_limit) -> int:
    """A flash sale of the stream's first item (the scarf's first SKU at 99.00), running now; its id."""
    created = client.post(
        f"/api/v1/streams/{stream['id']}/flash-sales",
        headers=shop.world.headers["host"],
        json={
            "item_id": stream["lineup"][0]["id"],
            "sku_id": shop.scarf_skus[0],
            "price": {"amount": "99.00", "currency": "CNY"},
            "quantity": quantity,
            "per_buyer_limit": per_buyer_limit,
            "countdown_seconds": 10,
            "duration_seconds": 120,
        },
    )
    assert created.status_code == 201, created.json
    _start_sale_now(database, created.json["id"])
    return created.json["id"]


def test_a_flash_sale_order_repeated_after_the_sale_ran_out_is_answered_with_its_order(client, factory, database):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = live_stream(client, shop, scarf_allocation=10)
    sku = shop.scarf_skus[0]
    sale_id = _running_scarf_sale(client, shop, database, stream, quantity=2, per_buyer_limit=2)
    first = stream_order(client, shop, stream["id"], "R-1", sku, 2, buyer="anna")
    assert first.status_code == 201, first.json
    stock = stock_of(database, sku)
    orders = _count(database, SalesOrder)

    # The sale has no units left and its buyer is at the limit: the repeat is still its order.
    again = stream_order(client, shop, stream["id"], "R-1", sku, 2, buyer="anna")
    assert (again.status_code, again.json) == (200, first.json)
    assert stock_of(database, sku) == stock
    assert _count(database, SalesOrder) == orders
    assert _buyers_units(database, sale_id) == {"anna": 2}
    sales = client.get(f"/api/v1/streams/{stream['id']}", headers=host).json["flash_sales"]
    assert [(sale["id"], sale["sold"]) for sale in sales] == [(sale_id, 2)]
    other = stream_order(client, shop, stream["id"], "R-2", sku, 1, buyer="ben")
    assert (other.status_code, other.json["code"]) == (409, "flash_sale_sold_out")


def _buyers_units(database, sale_id):
    with database.session() as session:
        rows = session.execute(
            select(FlashSaleBuyer.buyer_key, FlashSaleBuyer.units).where(FlashSaleBuyer.flash_sale_id == sale_id)
        )
        return {key.rsplit(":", 1)[-1]: units for key, units in rows}


def test_a_flash_sale_line_short_of_its_allocation_draws_on_general_stock_and_counts_its_buyer_once(
    client, factory, database
):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = live_stream(client, shop, scarf_allocation=3)
    sku = shop.scarf_skus[0]
    sale_id = _running_scarf_sale(client, shop, database, stream, quantity=6, per_buyer_limit=4)
    assert stream_order(client, shop, stream["id"], "S-1", sku, 2, buyer="anna").status_code == 201
    assert stock_of(database, sku) == (100, 2, 1, 97)
    # One unit left in the allocation: the line takes its two from general stock instead.
    short = stream_order(client, shop, stream["id"], "S-2", sku, 2, buyer="ben")
    assert short.status_code == 201, short.json
    assert (short.json["lines"][0]["unit_price"]["amount"], short.json["lines"][0]["flash_sale_id"]) == (
        "99.00",
        sale_id,
    )
    assert stock_of(database, sku) == (100, 4, 1, 95)
    with database.session() as session:
        line = session.scalars(select(OrderLine).where(OrderLine.order_id == short.json["id"])).one()
        assert line.from_allocation is False
    assert _buyers_units(database, sale_id) == {"anna": 2, "ben": 2}

    # General stock gone too: the order is refused and neither the sale nor the buyer counts it.
    emptied = client.post(
        f"/api/v1/skus/{sku}/stock-adjustments",
        headers=shop.world.headers["sme_a"],
        json={"delta": -95, "reason": "damaged"},
    )
    assert emptied.status_code == 200, emptied.json
    refused = stream_order(client, shop, stream["id"], "S-3", sku, 2, buyer="cleo")
    assert (refused.status_code, refused.json["code"]) == (409, "insufficient_stock")
    assert stock_of(database, sku) == (5, 4, 1, 0)
    assert _buyers_units(database, sale_id) == {"anna": 2, "ben": 2}
    current = client.get(f"/api/v1/streams/{stream['id']}", headers=host).json["flash_sales"]
    assert [(item["id"], item["sold"]) for item in current] == [(sale_id, 4)]
    assert stream_order(client, shop, stream["id"], "S-4", sku, 1, buyer="cleo").status_code == 201
    assert stock_of(database, sku) == (5, 5, 0, 0)
    assert _buyers_units(database, sale_id) == {"anna": 2, "ben": 2, "cleo": 1}


def test_stats_count_orders_units_and_gmv_per_item_and_firm(client, factory):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = live_stream(client, shop, scarf_allocation=10)
    scarf_item, gloves_item = (item["id"] for item in stream["lineup"])
    assert stream_order(client, shop, stream["id"], "S-1", shop.scarf_skus[0], 2).status_code == 201
    assert stream_order(client, shop, stream["id"], "S-2", shop.gloves_skus[0], 3).status_code == 201
    cancelled = stream_order(client, shop, stream["id"], "S-3", shop.scarf_skus[0], 1)
    client.post(f"/api/v1/orders/{cancelled.json['id']}/cancel", headers=host)
    stats = client.get(f"/api/v1/streams/{stream['id']}/stats", headers=host).json
    assert [
        (item["item_id"], item["orders"], item["units"], item["gmv"]["amount"], item["stock_left"])
        for item in stats["items"]
    ] == [(scarf_item, 1, 2, "318.00", 8 + 90 + 40), (gloves_item, 1, 3, "268.50", 17)]
    # Per SKU: the small scarf's 8 units left of its allocation and 90 in general stock, the large one's 40.
    assert [
        [
            (sku["sku_id"], sku["sku_code"], sku["allocated"], sku["available"], sku["stock_left"])
            for sku in item["skus"]
        ]
        for item in stats["items"]
    ] == [
        [(shop.scarf_skus[0], "SC-S", 8, 90, 98), (shop.scarf_skus[1], "SC-L", 0, 40, 40)],
        [(shop.gloves_skus[0], "GL-M", 0, 17, 17)],
    ]
    assert [(firm["enterprise_id"], firm["orders"], firm["gmv"]["amount"]) for firm in stats["firms"]] == [
        (shop.world.maker_a_id, 1, "318.00"),
        (shop.world.maker_b_id, 1, "268.50"),
    ]
    assert stats["totals"] == {
        "orders": 2,
        "units": 5,
        "gmv": {"amount": "586.50", "currency": "CNY"},
        "refunds": {"amount": "0.00", "currency": "CNY"},
        "net": {"amount": "586.50", "currency": "CNY"},
        "refund_rate": "0.0000",
        "refused_orders": 0,
    }


def test_losing_the_mark_takes_products_off_upcoming_lineups(client, factory, database):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    upcoming = schedule(client, host)
    items = [
        {"product_id": shop.scarf_id, "sku_allocations": {str(shop.scarf_skus[0]): 7}},
        {"product_id": shop.gloves_id},
    ]
    assert put_lineup(client, host, upcoming["id"], items).status_code == 200
    assert stock_of(database, shop.scarf_skus[0]) == (100, 0, 7, 93)
    suspended = client.patch(
        f"/api/v1/trademarks/{shop.world.trademark_id}/memberships/{shop.world.membership_a_id}",
        headers=shop.world.headers["brand_admin"],
        json={"status": "suspended"},
    )
    assert suspended.status_code == 200, suspended.json
    lineup = client.get(f"/api/v1/streams/{upcoming['id']}", headers=host).json["lineup"]
    assert [(item["position"], item["product_id"]) for item in lineup] == [(2, shop.gloves_id)]
    assert stock_of(database, shop.scarf_skus[0]) == (100, 0, 0, 100)
    again = put_lineup(client, host, upcoming["id"], items)
    assert (again.status_code, again.json["code"]) == (409, "not_a_member")


def test_hosts_run_only_their_own_streams(client, factory):
    shop = open_shop(factory)
    stream = schedule(client, shop.world.headers["host"])
    other_host = factory.headers_for("host")
    assert client.get(f"/api/v1/streams/{stream['id']}", headers=other_host).status_code == 404
    assert client.get("/api/v1/streams", headers=other_host).json["items"] == []
    admin = shop.world.headers["admin"]
    refused = client.post(
        "/api/v1/streams",
        headers=admin,
        json={"title": "t", "category": "c", "scheduled_start": "2026-12-01T20:00:00+08:00", "host_user_id": 1},
    )
    assert (refused.status_code, refused.json["code"]) == (422, "not_a_host")
    with factory.database.session() as session:
        assert session.scalar(select(func.count()).select_from(SalesOrder)) == 0
        assert session.scalar(select(func.count()).select_from(LineupItem)) == 0


def test_a_host_orders_only_in_their_own_live_stream_at_its_price(client, factory, database):
    shop = open_shop(factory)
    stream = live_stream(client, shop)
    other_host = factory.headers_for("host")
    scarf = shop.scarf_skus[0]
    before = stock_of(database, scarf)

    def order(headers, external_id, **extra):
        body = order_body(external_id, [{"sku_id": scarf, "quantity": 50, **extra.pop("line", {})}], channel="douyin")
        return client.post("/api/v1/orders", headers=headers, json={**body, **extra})

    anywhere = order(other_host, "H-1", line={"unit_price": "0.01"})
    theirs = order(other_host, "H-2", stream_id=stream["id"])
    cheap = order(shop.world.headers["host"], "H-3", stream_id=stream["id"], line={"unit_price": "0.01"})

    assert (anywhere.status_code, anywhere.json["code"]) == (422, "stream_required")
    assert (theirs.status_code, theirs.json["code"]) == (422, "unknown_reference")
    assert (cheap.status_code, cheap.json["code"]) == (409, "price_changed")
    assert stock_of(database, scarf) == before
    assert _count(database, SalesOrder) == 0


def test_a_deal_price_above_the_live_price_is_refused_and_the_bound_is_configurable(
    client, factory, database, deployment, monkeypatch
):
    shop = open_shop(factory)
    host = {**shop.world.headers["host"], "Accept-Language": "en"}
    stream = live_stream(client, shop, scarf_allocation=10)
    scarf_item, gloves_item = (item["id"] for item in stream["lineup"])
    url = f"/api/v1/streams/{stream['id']}/flash-sales"

    def sale(item_id, sku_id, amount):
        body = {
            "item_id": item_id,
            "sku_id": sku_id,
            "price": {"amount": amount, "currency": "CNY"},
            "quantity": 2,
            "per_buyer_limit": 1,
            "countdown_seconds": 10,
            "duration_seconds": 120,
        }
        return client.post(url, headers=host, json=body)

    def sales() -> int:
        with database.session() as session:
            return len(session.exec(select(FlashSale)).all())

    # The scarf's live price is 159.00; the gloves have none, so their list price, 89.50, bounds them.
    refused = sale(scarf_item, shop.scarf_skus[0], "9999.00")
    assert (refused.status_code, refused.json["code"], refused.json["errors"][0]["field"]) == (
        422,
        "deal_price_too_high",
        "price.amount",
    )
    assert refused.json["detail"] == (
        "A flash sale's deal price may be at most 159.00 CNY (the item's live price is 159.00 CNY)."
    )
    assert sale(gloves_item, shop.gloves_skus[0], "89.51").json["code"] == "deal_price_too_high"
    assert sales() == 0
    assert sale(scarf_item, shop.scarf_skus[0], "159.00").status_code == 201
    assert sale(gloves_item, shop.gloves_skus[0], "89.50").status_code == 201

    looser = deployment.settings.model_copy(update={"flash_sale_max_price_ratio": Decimal("1.2")})
    monkeypatch.setattr(deployment, "settings", looser)
    assert sale(scarf_item, shop.scarf_skus[1], "190.80").status_code == 201
    too_high = sale(scarf_item, shop.scarf_skus[1], "190.81")
    assert too_high.json["detail"] == (
        "A flash sale's deal price may be at most 190.80 CNY (the item's live price is 159.00 CNY)."
    )
    assert sales() == 3


def test_orders_a_stream_refuses_are_counted_once_per_item_and_firm(client, factory, database):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    stream = live_stream(client, shop, scarf_allocation=10)
    scarf_item, gloves_item = (item["id"] for item in stream["lineup"])
    assert stream_order(client, shop, stream["id"], "OK-1", shop.gloves_skus[0], 2).status_code == 201
    # The gloves have 18 left: 30 cannot be had; the same marketplace order sent again counts once.
    for _ in range(2):
        refused = stream_order(client, shop, stream["id"], "NO-1", shop.gloves_skus[0], 30)
        assert (refused.status_code, refused.json["code"]) == (409, "insufficient_stock")
    stale = stream_order(client, shop, stream["id"], "NO-2", shop.scarf_skus[0], 1, unit_price="1.00")
    assert (stale.status_code, stale.json["code"]) == (409, "price_changed")
    # A refusal that is not about stock or the deal is not a sale the stream missed.
    unknown = stream_order(client, shop, stream["id"], "NO-3", 999_999, 1)
    assert unknown.status_code == 422
    with database.session() as session:
        assert session.execute(select(func.count()).select_from(SalesOrder)).scalar_one() == 1

    stats = client.get(f"/api/v1/streams/{stream['id']}/stats", headers=host).json
    assert [(item["item_id"], item["orders"], item["refused_orders"]) for item in stats["items"]] == [
        (scarf_item, 0, 1),
        (gloves_item, 1, 1),
    ]
    assert [(firm["enterprise_id"], firm["refused_orders"]) for firm in stats["firms"]] == [
        (shop.world.maker_a_id, 1),
        (shop.world.maker_b_id, 1),
    ]
    assert (stats["totals"]["orders"], stats["totals"]["refused_orders"]) == (1, 2)
    report = client.get(f"/api/v1/streams/{stream['id']}/report", headers=host).json
    assert report["totals"]["refused_orders"] == 2
