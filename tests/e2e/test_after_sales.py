"""After-sales through the API: refunds before shipping, returns, partial refunds, and the bounds
the order lines' constraints keep."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from commerce.aftersales.models import AfterSale
from commerce.db import write_transaction
from commerce.inventory.models import StockMovement
from commerce.orders.models import OrderLine
from tests.e2e.test_orders import order_body
from tests.factories import open_shop, stock_of


@pytest.fixture
def shop(factory):
    return open_shop(factory)


def _paid_order(client, shop, external_id, lines, *, ship=False, **overrides):
    headers = shop.world.headers["trade_operator"]
    order = client.post("/api/v1/orders", headers=headers, json=order_body(external_id, lines, **overrides))
    assert order.status_code == 201, order.json
    order = order.json
    assert (
        client.post(f"/api/v1/orders/{order['id']}/status", headers=headers, json={"status": "paid"}).status_code == 200
    )
    if ship:
        shipped = client.post(f"/api/v1/orders/{order['id']}/status", headers=headers, json={"status": "shipped"})
        assert shipped.status_code == 200, shipped.json
    return order


def _line(order, sku_id):
    return next(line for line in order["lines"] if line["sku_id"] == sku_id)


def _request(client, headers, order, line, kind, **fields):
    body = {"order_id": order["id"], "order_line_id": line["id"], "kind": kind, "reason": "the buyer changed her mind"}
    body.update(fields)
    return client.post("/api/v1/after-sales", headers=headers, json=body)


def _step(client, headers, after_sale, step, **body):
    return client.post(f"/api/v1/after-sales/{after_sale['id']}/{step}", headers=headers, json=body or None)


def _ledger(database, reference):
    with database.session() as session:
        rows = session.execute(
            select(
                StockMovement.sku_id,
                StockMovement.kind,
                StockMovement.on_hand_delta,
                StockMovement.reserved_delta,
                StockMovement.allocated_delta,
            )
            .where(StockMovement.reference == reference)
            .order_by(StockMovement.id)
        )
        return [tuple(row) for row in rows]


def _state(database):
    """Everything an after-sale could change: the after-sales, the lines' counts, the stock and its ledger."""
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(AfterSale)),
            [
                tuple(row)
                for row in session.execute(
                    select(
                        OrderLine.id,
                        OrderLine.refund_claimed_amount,
                        OrderLine.refunded_amount,
                        OrderLine.release_requested_quantity,
                        OrderLine.released_quantity,
                        OrderLine.shipped_quantity,
                        OrderLine.returned_quantity,
                    ).order_by(OrderLine.id)
                )
            ],
            session.scalar(select(func.count()).select_from(StockMovement)),
        )


def test_a_refund_before_shipping_frees_its_units_and_the_rest_ship(client, shop, database):
    operator, maker_a = shop.world.headers["trade_operator"], shop.world.headers["sme_a"]
    scarf, gloves = shop.scarf_skus[0], shop.gloves_skus[0]
    order = _paid_order(client, shop, "AS-1", [{"sku_id": scarf, "quantity": 3}, {"sku_id": gloves, "quantity": 2}])
    assert stock_of(database, scarf) == (100, 3, 0, 97)

    asked = _request(client, operator, order, _line(order, scarf), "refund_only", quantity=1, external_id="RF-1")
    assert asked.status_code == 201, asked.json
    after_sale = asked.json
    assert asked.headers["Location"] == f"/api/v1/after-sales/{after_sale['id']}"
    assert (after_sale["kind"], after_sale["status"], after_sale["quantity"], after_sale["amount"]) == (
        "refund_only",
        "requested",
        1,
        {"amount": "199.00", "currency": "CNY"},
    )
    assert (after_sale["enterprise_id"], after_sale["channel"], after_sale["external_id"]) == (
        shop.world.maker_a_id,
        "direct",
        "RF-1",
    )
    # Asked again under its id: the same request, nothing more claimed.
    again = _request(client, operator, order, _line(order, scarf), "refund_only", quantity=1, external_id="RF-1")
    assert (again.status_code, again.json) == (200, after_sale)

    # A refund waiting for its answer stops the shipment; nothing moves.
    before = _state(database)
    ship = client.post(f"/api/v1/orders/{order['id']}/status", headers=operator, json={"status": "shipped"})
    assert (ship.status_code, ship.json["code"]) == (409, "refund_pending")
    assert _state(database) == before
    assert client.get(f"/api/v1/orders/{order['id']}", headers=operator).json["status"] == "paid"

    approved = _step(client, maker_a, after_sale, "approve")
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"
    assert approved.json["decided_at"] is not None
    assert stock_of(database, scarf) == (100, 2, 0, 98)
    assert _ledger(database, f"after_sale:{after_sale['id']}") == [(scarf, "after_sale_released", 0, -1, 0)]
    refunded = _step(client, maker_a, after_sale, "refund")
    assert (refunded.status_code, refunded.json["status"]) == (200, "refunded")

    shipped = client.post(f"/api/v1/orders/{order['id']}/status", headers=operator, json={"status": "shipped"})
    assert shipped.status_code == 200, shipped.json
    line = _line(shipped.json, scarf)
    assert (
        line["refund_claimed"],
        line["refunded"],
        line["released_quantity"],
        line["shipped_quantity"],
        line["returned_quantity"],
    ) == ({"amount": "199.00", "currency": "CNY"}, {"amount": "199.00", "currency": "CNY"}, 1, 2, 0)
    assert stock_of(database, scarf) == (98, 0, 0, 98)
    assert _ledger(database, f"order:{order['id']}")[-2:] == [
        (scarf, "order_shipped", -2, -2, 0),
        (gloves, "order_shipped", -2, -2, 0),
    ]


def test_a_return_is_received_inspected_and_refunded(client, shop, database):
    operator, maker_b = shop.world.headers["trade_operator"], shop.world.headers["sme_b"]
    gloves = shop.gloves_skus[0]
    order = _paid_order(client, shop, "AS-2", [{"sku_id": gloves, "quantity": 3}], ship=True)
    assert stock_of(database, gloves) == (17, 0, 0, 17)
    after_sale = _request(client, operator, order, order["lines"][0], "return_and_refund", quantity=2).json
    assert (after_sale["status"], after_sale["amount"]) == ("requested", {"amount": "179.00", "currency": "CNY"})

    # Steps out of their order are refused.
    early = _step(client, maker_b, after_sale, "receive")
    assert (early.status_code, early.json["code"]) == (409, "invalid_status_transition")
    assert _step(client, maker_b, after_sale, "approve").json["status"] == "approved"
    early = _step(client, maker_b, after_sale, "refund")
    assert (early.status_code, early.json["code"]) == (409, "invalid_status_transition")
    received = _step(client, maker_b, after_sale, "receive")
    assert (received.json["status"], received.json["received_at"] is not None) == ("received", True)

    before = _state(database)
    partial = _step(client, maker_b, after_sale, "inspect", restocked=1, written_off=0)
    assert (partial.status_code, partial.json["code"]) == (422, "inspection_incomplete")
    assert _state(database) == before
    inspected = _step(client, maker_b, after_sale, "inspect", restocked=1, written_off=1)
    assert inspected.status_code == 200, inspected.json
    assert (inspected.json["restocked_quantity"], inspected.json["written_off_quantity"]) == (1, 1)
    assert stock_of(database, gloves) == (18, 0, 0, 18)
    assert _ledger(database, f"after_sale:{after_sale['id']}") == [
        (gloves, "return_restocked", 1, 0, 0),
        (gloves, "return_written_off", 0, 0, 0),
    ]
    line = client.get(f"/api/v1/orders/{order['id']}", headers=operator).json["lines"][0]
    assert (line["refund_claimed"]["amount"], line["shipped_quantity"], line["returned_quantity"]) == ("179.00", 3, 2)
    assert line["refunded"]["amount"] == "0.00"
    refunded = _step(client, maker_b, after_sale, "refund")
    assert (refunded.json["status"], refunded.json["refunded_at"] is not None) == ("refunded", True)
    line = client.get(f"/api/v1/orders/{order['id']}", headers=operator).json["lines"][0]
    assert line["refunded"]["amount"] == "179.00"


def test_after_sales_never_refund_more_than_was_paid_nor_return_more_than_was_shipped(client, shop, database):
    operator = shop.world.headers["trade_operator"]
    scarf = shop.scarf_skus[0]
    order = _paid_order(client, shop, "AS-3", [{"sku_id": scarf, "quantity": 3}])
    line = order["lines"][0]
    before = _state(database)
    refusals = [
        (_request(client, operator, order, line, "return_and_refund", quantity=1), 409, "return_exceeds_shipped"),
        (
            _request(client, operator, order, line, "refund_only", quantity=4, amount="1.00"),
            409,
            "units_already_shipped",
        ),
        (_request(client, operator, order, line, "partial_refund", amount="597.01"), 409, "refund_exceeds_paid"),
        (_request(client, operator, order, line, "partial_refund", amount="1.001"), 422, "too_many_decimals"),
        (_request(client, operator, order, line, "partial_refund", amount="0"), 422, "not_positive"),
        (
            _request(client, operator, order, line, "partial_refund", amount="100000000000000.00"),
            422,
            "amount_too_large",
        ),
        (_request(client, operator, order, line, "partial_refund", quantity=1, amount="5.00"), 422, "validation_error"),
        (_request(client, operator, order, line, "refund_only"), 422, "validation_error"),
    ]
    assert [(answer.status_code, answer.json["code"]) for answer, *_ in refusals] == [
        (status, code) for _answer, status, code in refusals
    ]
    assert refusals[2][0].json["errors"][0]["field"] == "amount"
    assert refusals[6][0].json["detail"] == "取值无效：部分退款不填件数，请填写退款金额。"
    assert refusals[7][0].json["detail"] == "取值无效：请填写退款或退货的件数。"
    assert _state(database) == before

    # Up to what was paid is fine, to the cent; a cent more is refused.
    assert _request(client, operator, order, line, "partial_refund", amount="500.00").status_code == 201
    assert _request(client, operator, order, line, "refund_only", quantity=1, amount="97.00").status_code == 201
    before = _state(database)
    over = _request(client, operator, order, line, "partial_refund", amount="0.01")
    assert (over.status_code, over.json["code"]) == (409, "refund_exceeds_paid")
    assert _state(database) == before

    # The database itself keeps the bounds, whoever writes.
    for values in (
        {"refund_claimed_amount": Decimal("597.01")},
        {"refunded_amount": Decimal("597.01")},
        {"returned_quantity": 1},
        {"shipped_quantity": 3},
    ):
        with database.session() as session, pytest.raises(IntegrityError), write_transaction(session):
            session.execute(update(OrderLine).where(OrderLine.id == line["id"]).values(**values))
    assert _state(database) == before


def test_only_a_paid_order_has_after_sales_and_one_with_after_sales_is_not_cancelled(client, shop, database):
    operator = shop.world.headers["trade_operator"]
    scarf = shop.scarf_skus[1]
    placed = client.post(
        "/api/v1/orders", headers=operator, json=order_body("AS-4", [{"sku_id": scarf, "quantity": 2}])
    )
    order = placed.json
    before = _state(database)
    unpaid = _request(client, operator, order, order["lines"][0], "refund_only", quantity=1)
    assert (unpaid.status_code, unpaid.json["code"]) == (409, "order_not_paid")
    assert _state(database) == before
    assert unpaid.json["detail"] == "只有已付款的订单才能申请售后；此订单状态为已下单。"
    english = _request(
        client, {**operator, "Accept-Language": "en"}, order, order["lines"][0], "refund_only", quantity=1
    )
    assert english.json["detail"] == "Only a paid order has after-sales; this one is placed."

    client.post(f"/api/v1/orders/{order['id']}/status", headers=operator, json={"status": "paid"})
    assert _request(client, operator, order, order["lines"][0], "partial_refund", amount="10.00").status_code == 201
    before = _state(database)
    cancel = client.post(f"/api/v1/orders/{order['id']}/cancel", headers=operator)
    assert (cancel.status_code, cancel.json["code"]) == (409, "after_sales_exist")
    assert _state(database) == before
    assert stock_of(database, scarf) == (40, 2, 0, 38)


def test_a_refusal_gives_its_claim_back(client, shop, database):
    operator, maker_a = shop.world.headers["trade_operator"], shop.world.headers["sme_a"]
    order = _paid_order(client, shop, "AS-5", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    line = order["lines"][0]
    whole = _request(client, operator, order, line, "partial_refund", amount="399.00").json
    assert (
        _request(client, operator, order, line, "partial_refund", amount="1.00").json["code"] == "refund_exceeds_paid"
    )
    blank = _step(client, maker_a, whole, "refuse", reason="  ")
    assert blank.status_code == 422
    refused = _step(client, maker_a, whole, "refuse", reason="已与买家协商换货")
    assert (refused.status_code, refused.json["status"], refused.json["refusal_reason"]) == (
        200,
        "refused",
        "已与买家协商换货",
    )
    again = _step(client, maker_a, whole, "approve")
    assert (again.status_code, again.json["code"]) == (409, "invalid_status_transition")
    assert _request(client, operator, order, line, "partial_refund", amount="399.00").status_code == 201


def test_an_external_id_names_one_request(client, shop, database):
    operator = shop.world.headers["trade_operator"]
    order = _paid_order(client, shop, "AS-6", [{"sku_id": shop.scarf_skus[0], "quantity": 2}])
    line = order["lines"][0]
    first = _request(client, operator, order, line, "partial_refund", amount="20.00", external_id="X-1").json
    before = _state(database)
    other = _request(client, operator, order, line, "partial_refund", amount="30.00", external_id="X-1")
    assert (other.status_code, other.json["code"], other.json["after_sale_id"]) == (
        409,
        "idempotency_mismatch",
        first["id"],
    )
    assert _state(database) == before


def test_each_firm_sees_and_answers_only_its_own_lines(client, factory, shop, database):
    factory.far_cluster(shop.world)
    headers = shop.world.headers
    order = _paid_order(
        client,
        shop,
        "AS-7",
        [{"sku_id": shop.scarf_skus[0], "quantity": 1}, {"sku_id": shop.gloves_skus[0], "quantity": 1}],
    )
    scarf_sale = _request(
        client, headers["trade_operator"], order, _line(order, shop.scarf_skus[0]), "partial_refund", amount="9.00"
    ).json
    gloves_sale = _request(
        client, headers["trade_operator"], order, _line(order, shop.gloves_skus[0]), "partial_refund", amount="8.00"
    ).json

    def seen(caller):
        return [item["id"] for item in client.get("/api/v1/after-sales", headers=headers[caller]).json["items"]]

    assert seen("sme_a") == [scarf_sale["id"]]
    assert seen("sme_b") == [gloves_sale["id"]]
    assert seen("trade_operator") == [scarf_sale["id"], gloves_sale["id"]]
    assert seen("trade_operator_far") == []
    assert seen("sme_far") == []
    before = _state(database)
    for caller in ("sme_b", "trade_operator_far", "sme_far"):
        assert client.get(f"/api/v1/after-sales/{scarf_sale['id']}", headers=headers[caller]).status_code == 404
        assert _step(client, headers[caller], scarf_sale, "approve").status_code == 404
    # Maker B may not ask on maker A's line either.
    assert (
        _request(
            client, headers["sme_b"], order, _line(order, shop.scarf_skus[0]), "partial_refund", amount="1.00"
        ).status_code
        == 404
    )
    assert _step(client, headers["host"], scarf_sale, "approve").status_code == 403
    assert _state(database) == before
    assert _step(client, headers["sme_a"], scarf_sale, "approve").json["status"] == "approved"
    filtered = client.get(
        "/api/v1/after-sales",
        headers=headers["trade_operator"],
        query_string={"status": "approved", "order_id": order["id"]},
    )
    assert [item["id"] for item in filtered.json["items"]] == [scarf_sale["id"]]


def test_a_streams_figures_are_gross_and_net_of_refunds_with_the_refund_rate(client, shop):
    from tests.e2e.test_streams import live_stream, stream_order

    host, maker_a, maker_b = (shop.world.headers[name] for name in ("host", "sme_a", "sme_b"))
    stream = live_stream(client, shop)
    scarf_item, gloves_item = (item["id"] for item in stream["lineup"])
    scarf = stream_order(client, shop, stream["id"], "S-1", shop.scarf_skus[0], 2).json
    gloves = stream_order(client, shop, stream["id"], "S-2", shop.gloves_skus[0], 3).json
    for order in (scarf, gloves):
        client.post(f"/api/v1/orders/{order['id']}/status", headers=host, json={"status": "paid"})
    # The host asks on the buyers' behalf; each firm answers for its own line.
    price_cut = _request(client, host, gloves, gloves["lines"][0], "partial_refund", amount="53.70").json
    one_scarf = _request(client, host, scarf, scarf["lines"][0], "refund_only", quantity=1).json
    for after_sale, firm in ((price_cut, maker_b), (one_scarf, maker_a)):
        assert _step(client, firm, after_sale, "approve").status_code == 200
    assert _step(client, maker_b, price_cut, "refund").status_code == 200
    stats = client.get(f"/api/v1/streams/{stream['id']}/stats", headers=host).json

    def figures(row):
        return (row["gmv"]["amount"], row["refunds"]["amount"], row["net"]["amount"], row["refund_rate"])

    # Only what has been paid back counts: the scarf's refund is approved, not yet paid.
    assert [(item["item_id"], *figures(item)) for item in stats["items"]] == [
        (scarf_item, "318.00", "0.00", "318.00", "0.0000"),
        (gloves_item, "268.50", "53.70", "214.80", "0.2000"),
    ]
    assert [(firm["enterprise_id"], *figures(firm)) for firm in stats["firms"]] == [
        (shop.world.maker_a_id, "318.00", "0.00", "318.00", "0.0000"),
        (shop.world.maker_b_id, "268.50", "53.70", "214.80", "0.2000"),
    ]
    assert figures(stats["totals"]) == ("586.50", "53.70", "532.80", "0.0916")
    assert _step(client, maker_a, one_scarf, "refund").status_code == 200
    report = client.get(f"/api/v1/streams/{stream['id']}/report", headers=host).json
    assert figures(report["totals"]) == ("586.50", "212.70", "373.80", "0.3627")
