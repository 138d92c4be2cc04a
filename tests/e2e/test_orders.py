import json

import pytest
from sqlalchemy import func, select

from commerce.inventory.models import StockMovement
from commerce.orders.models import OrderLine, SalesOrder
from tests.factories import open_shop, stock_of


def order_body(external_id: str, lines, **overrides):
    body = {
        "channel": "direct",
        "external_id": external_id,
        "buyer": {"id": "b-1", "name": "Alice", "country": "US"},
        "currency": "CNY",
        "lines": lines,
    }
    body.update(overrides)
    return body


def _count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_order_reserves_stock_and_splits_lines_by_maker(client, factory, database):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    body = order_body(
        "D-1",
        [{"sku_id": shop.scarf_skus[0], "quantity": 3}, {"sku_id": shop.gloves_skus[0], "quantity": 2}],
        export={"customs_mode": "9610", "destination_country": "US", "waybill_no": "YT123", "logistics_code": "YTO"},
    )
    response = client.post("/api/v1/orders", headers=headers, json=body)
    assert response.status_code == 201, response.json
    order = response.json
    assert response.headers["Location"] == f"/api/v1/orders/{order['id']}"
    assert order["status"] == "placed"
    assert [
        (line["sku_id"], line["enterprise_id"], line["quantity"], line["unit_price"]) for line in order["lines"]
    ] == [
        (shop.scarf_skus[0], shop.world.maker_a_id, 3, {"amount": "199.00", "currency": "CNY"}),
        (shop.gloves_skus[0], shop.world.maker_b_id, 2, {"amount": "89.50", "currency": "CNY"}),
    ]
    assert order["total"] == {"amount": "776.00", "currency": "CNY"}
    # What the answer says is what was stored, line ids included.
    assert client.get(f"/api/v1/orders/{order['id']}", headers=headers).json == order
    assert order["export"] == {
        "customs_mode": "9610",
        "destination_country": "US",
        "trade_terms": "FOB",
        "waybill_no": "YT123",
        "logistics_code": "YTO",
        "arrival_country": None,
        "exit_port": None,
        "transport_mode": None,
    }
    assert stock_of(database, shop.scarf_skus[0]) == (100, 3, 0, 97)
    assert stock_of(database, shop.gloves_skus[0]) == (20, 2, 0, 18)
    movements = client.get(f"/api/v1/skus/{shop.scarf_skus[0]}/stock-movements", headers=shop.world.headers["admin"])
    newest = movements.json["items"][0]
    assert {name: value for name, value in newest.items() if name != "id"} == {
        "sku_id": shop.scarf_skus[0],
        "at": order["placed_at"],
        "kind": "order_placed",
        "on_hand_delta": 0,
        "reserved_delta": 3,
        "allocated_delta": 0,
        "reason": "",
        "reference": f"order:{order['id']}",
        "actor_user_id": shop.world.user_ids["trade_operator"],
    }

    mine = client.get(f"/api/v1/orders/{order['id']}", headers=shop.world.headers["sme_b"]).json
    assert [line["sku_id"] for line in mine["lines"]] == [shop.gloves_skus[0]]
    assert mine["total"] == {"amount": "179.00", "currency": "CNY"}
    listed = client.get("/api/v1/orders", headers=shop.world.headers["sme_b"]).json["items"]
    assert [(item["id"], len(item["lines"])) for item in listed] == [(order["id"], 1)]


def test_the_same_order_twice_is_one_order(client, factory, database):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    body = order_body("D-2", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    first = client.post("/api/v1/orders", headers=headers, json=body)
    again = client.post("/api/v1/orders", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert stock_of(database, shop.sweater_skus[0]) == (30, 1, 0, 29)
    assert _count(database, SalesOrder) == 1
    other_channel = client.post("/api/v1/orders", headers=headers, json={**body, "channel": "douyin"})
    assert other_channel.status_code == 201


def test_a_repeat_is_answered_with_its_order_after_the_stock_it_took_ran_out(client, factory, database):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    whole_stock = order_body("D-4", [{"sku_id": shop.sweater_skus[0], "quantity": 30}])
    both_whole = order_body(
        "D-5", [{"sku_id": shop.scarf_skus[0], "quantity": 100}, {"sku_id": shop.gloves_skus[0], "quantity": 20}]
    )
    placed = [client.post("/api/v1/orders", headers=headers, json=body) for body in (whole_stock, both_whole)]
    assert [response.status_code for response in placed] == [201, 201]
    counts = (_count(database, SalesOrder), _count(database, OrderLine), _count(database, StockMovement))
    assert counts[:2] == (2, 3)

    repeats = [client.post("/api/v1/orders", headers=headers, json=body) for body in (whole_stock, both_whole)]
    assert [(response.status_code, response.json) for response in repeats] == [
        (200, placed[0].json),
        (200, placed[1].json),
    ]
    assert stock_of(database, shop.sweater_skus[0]) == (30, 30, 0, 0)
    assert stock_of(database, shop.scarf_skus[0]) == (100, 100, 0, 0)
    assert stock_of(database, shop.gloves_skus[0]) == (20, 20, 0, 0)
    assert (_count(database, SalesOrder), _count(database, OrderLine), _count(database, StockMovement)) == counts
    # A new order for what is gone is still refused.
    new = client.post("/api/v1/orders", headers=headers, json={**whole_stock, "external_id": "D-6"})
    assert (new.status_code, new.json["code"]) == (409, "insufficient_stock")


def test_a_shortage_on_one_line_reserves_nothing(client, factory, database):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    body = order_body(
        "D-3", [{"sku_id": shop.scarf_skus[0], "quantity": 5}, {"sku_id": shop.gloves_skus[0], "quantity": 21}]
    )
    response = client.post("/api/v1/orders", headers=headers, json={**body, "lines": body["lines"]})
    assert response.status_code == 409
    assert response.json["code"] == "insufficient_stock"
    assert response.json["errors"][0]["field"] == "lines.1.quantity"
    assert stock_of(database, shop.scarf_skus[0]) == (100, 0, 0, 100)
    assert stock_of(database, shop.gloves_skus[0]) == (20, 0, 0, 20)
    assert (_count(database, SalesOrder), _count(database, OrderLine)) == (0, 0)
    movements = _count(database, StockMovement)
    retry = client.post("/api/v1/orders", headers=headers, json=body)
    assert retry.status_code == 409
    assert _count(database, StockMovement) == movements


def test_cancellation_returns_stock_exactly_once(client, factory, database):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    order = client.post(
        "/api/v1/orders", headers=headers, json=order_body("D-4", [{"sku_id": shop.scarf_skus[1], "quantity": 4}])
    ).json
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["cancelled_at"] is not None
    assert stock_of(database, shop.scarf_skus[1]) == (40, 0, 0, 40)
    again = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json["code"] == "invalid_status_transition"
    assert stock_of(database, shop.scarf_skus[1]) == (40, 0, 0, 40)


def test_progress_is_recorded_with_time_and_shipping_takes_stock_out(client, factory, database):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    order = client.post(
        "/api/v1/orders", headers=headers, json=order_body("D-5", [{"sku_id": shop.gloves_skus[0], "quantity": 2}])
    ).json
    url = f"/api/v1/orders/{order['id']}/status"
    paid = client.post(url, headers=headers, json={"status": "paid", "at": "2026-11-20T08:00:00+08:00"})
    assert paid.status_code == 200
    assert (paid.json["status"], paid.json["paid_at"]) == ("paid", "2026-11-20T00:00:00Z")
    shipped = client.post(url, headers=headers, json={"status": "shipped"})
    assert shipped.json["status"] == "shipped"
    assert stock_of(database, shop.gloves_skus[0]) == (18, 0, 0, 18)
    backwards = client.post(url, headers=headers, json={"status": "paid"})
    assert (backwards.status_code, backwards.json["code"]) == (409, "invalid_status_transition")
    cancel = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=headers)
    assert (cancel.status_code, cancel.json["code"]) == (409, "invalid_status_transition")
    future = client.post(url, headers=headers, json={"status": "cleared", "at": "2099-01-01T00:00:00Z"})
    assert (future.status_code, future.json["code"]) == (422, "time_in_future")
    cleared = client.post(url, headers=headers, json={"status": "cleared"})
    assert cleared.json["status"] == "cleared"
    assert stock_of(database, shop.gloves_skus[0]) == (18, 0, 0, 18)


def test_bad_orders_get_stable_codes_and_change_nothing(client, factory, database):
    shop = open_shop(factory)
    draft = factory.product(shop.world.maker_a_id)
    with database.session() as session:
        from commerce.catalog.models import Sku

        draft_sku = session.scalars(select(Sku.id).where(Sku.product_id == draft.id)).one()
    headers = shop.world.headers["trade_operator"]
    sku = shop.scarf_skus[0]
    cases = [
        ([{"sku_id": 999999, "quantity": 1}], {}, 422, "unknown_sku", "lines.0.sku_id"),
        ([{"sku_id": sku, "quantity": 0}], {}, 422, "validation_error", "lines.0.quantity"),
        ([{"sku_id": sku, "quantity": -2}], {}, 422, "validation_error", "lines.0.quantity"),
        ([{"sku_id": sku, "quantity": 1, "unit_price": 19.9}], {}, 422, "invalid_decimal", "lines.0.unit_price"),
        ([{"sku_id": sku, "quantity": 1, "unit_price": "19,90"}], {}, 422, "invalid_decimal", "lines.0.unit_price"),
        ([{"sku_id": sku, "quantity": 1}] * 2, {}, 422, "duplicate_line", "lines.1.sku_id"),
        ([{"sku_id": sku, "quantity": 1, "unit_price": "19.999"}], {}, 422, "too_many_decimals", "lines.0.unit_price"),
        ([{"sku_id": sku, "quantity": 1, "unit_price": "0"}], {}, 422, "not_positive", "lines.0.unit_price"),
        (
            [{"sku_id": sku, "quantity": 1, "unit_price": "999999999999999"}],
            {},
            422,
            "amount_too_large",
            "lines.0.unit_price",
        ),
        (
            [{"sku_id": sku, "quantity": 100000, "unit_price": "99999999999.99"}],
            {},
            422,
            "order_too_large",
            "lines",
        ),
        ([{"sku_id": draft_sku, "quantity": 1}], {}, 409, "product_not_on_sale", "lines.0.sku_id"),
        ([{"sku_id": sku, "quantity": 1}], {"currency": "USD"}, 422, "unit_price_required", "lines.0.unit_price"),
        ([{"sku_id": sku, "quantity": 1}], {"stream_id": 424242}, 422, "unknown_reference", "stream_id"),
    ]
    for lines, overrides, status, code, field in cases:
        response = client.post("/api/v1/orders", headers=headers, json=order_body("BAD", lines, **overrides))
        assert response.status_code == status, (lines, response.json)
        assert response.json["code"] == code, response.json
        assert response.json["errors"][0]["field"] == field, response.json
    chinese = client.post(
        "/api/v1/orders",
        headers={**headers, "Accept-Language": "zh-CN"},
        json=order_body("BAD", [{"sku_id": 999999, "quantity": 1}]),
    )
    assert chinese.json["detail"] == "SKU 999999 不存在。"
    assert _count(database, SalesOrder) == 0
    assert stock_of(database, sku) == (100, 0, 0, 100)


def test_a_firm_orders_only_its_own_skus_and_cannot_see_others_orders(client, factory, database):
    shop = open_shop(factory)
    sme_a, sme_b = shop.world.headers["sme_a"], shop.world.headers["sme_b"]
    foreign = client.post(
        "/api/v1/orders", headers=sme_a, json=order_body("S-1", [{"sku_id": shop.gloves_skus[0], "quantity": 1}])
    )
    assert (foreign.status_code, foreign.json["code"]) == (422, "unknown_sku")
    own = client.post(
        "/api/v1/orders", headers=sme_a, json=order_body("S-1", [{"sku_id": shop.scarf_skus[0], "quantity": 1}])
    )
    assert own.status_code == 201
    assert client.get(f"/api/v1/orders/{own.json['id']}", headers=sme_b).status_code == 404
    assert client.post(f"/api/v1/orders/{own.json['id']}/cancel", headers=sme_b).status_code == 404
    assert client.get("/api/v1/orders", headers=sme_b).json["items"] == []
    assert stock_of(database, shop.scarf_skus[0]) == (100, 1, 0, 99)


@pytest.mark.shared_database
def test_an_order_that_gives_way_to_a_lock_held_elsewhere_gets_503_and_its_retry_is_taken(client, factory, database):
    from sqlalchemy import event, text

    shop = open_shop(factory)
    headers = {**shop.world.headers["trade_operator"], "Accept-Language": "zh-CN"}
    sku = shop.scarf_skus[0]
    body = order_body("D-BUSY", [{"sku_id": sku, "quantity": 1}])
    movements = _count(database, StockMovement)
    # Another program holds the SKU's stock row (PostgreSQL) or the database file (SQLite) ...
    holder = database.engine.connect()
    if database.is_sqlite:
        holder = holder.execution_options(sqlite_begin="IMMEDIATE")
        holder.begin()
    else:
        holder.execute(text("SELECT sku_id FROM stock_level WHERE sku_id = :sku FOR UPDATE"), {"sku": sku})

    # ... and the service waits for it only 50 ms instead of the configured time.
    def impatient(dbapi_connection, _record, _proxy):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 50" if database.is_sqlite else "SET lock_timeout = '50ms'")
        cursor.close()
        dbapi_connection.commit()

    event.listen(database.engine, "checkout", impatient)
    try:
        refused = client.post("/api/v1/orders", headers=headers, json=body)
    finally:
        event.remove(database.engine, "checkout", impatient)
        holder.rollback()
        holder.close()
        database.engine.dispose()
    assert (refused.status_code, refused.json["code"], refused.headers["Retry-After"]) == (503, "database_busy", "1")
    assert refused.json["detail"] == "服务正忙于处理相同的数据，请重新发送请求。"
    assert stock_of(database, sku) == (100, 0, 0, 100)
    assert (_count(database, SalesOrder), _count(database, OrderLine), _count(database, StockMovement)) == (
        0,
        0,
        movements,
    )
    retried = client.post("/api/v1/orders", headers=headers, json=body)
    assert retried.status_code == 201, retried.json
    assert stock_of(database, sku) == (100, 1, 0, 99)


def test_a_different_order_under_a_key_already_taken_is_refused_with_the_stored_order(client, factory, database):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    body = order_body("D-7", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    first = client.post("/api/v1/orders", headers=headers, json=body)
    assert first.status_code == 201
    # The same request with its keys in another order and other spacing is the same request.
    same = client.post(
        "/api/v1/orders",
        headers={**headers, "Content-Type": "application/json"},
        data=json.dumps(dict(reversed(list(body.items()))), indent=2),
    )
    assert (same.status_code, same.json) == (200, first.json)
    changed = client.post(
        "/api/v1/orders", headers=headers, json={**body, "lines": [{"sku_id": shop.sweater_skus[0], "quantity": 5}]}
    )
    assert changed.status_code == 409
    assert (changed.json["code"], changed.json["order_id"]) == ("idempotency_mismatch", first.json["id"])
    assert changed.json["detail"] == "订单 D-7 已按另一份内容受理；新订单请使用新的外部编号。"
    assert stock_of(database, shop.sweater_skus[0]) == (30, 1, 0, 29)
    assert _count(database, SalesOrder) == 1
    # Whoever does not see the stored order learns nothing of it.
    elsewhere = client.post(
        "/api/v1/orders",
        headers=shop.world.headers["sme_b"],
        json={**body, "lines": [{"sku_id": shop.gloves_skus[0], "quantity": 1}]},
    )
    assert elsewhere.status_code == 409
    assert elsewhere.json["code"] == "idempotency_mismatch"
    assert "order_id" not in elsewhere.json
    assert stock_of(database, shop.gloves_skus[0]) == (20, 0, 0, 20)
