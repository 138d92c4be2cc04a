"""Exports that come back after release (announcement 2020 No. 44), worked by hand: an export
returned after its rebate was refunded owes the rebate back; one returned before its claim leaves
the claim; a return breaking the regime's rules, or bigger than the export, is refused with
nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.customs.models import CustomsDeclarationLine, ExportReturn
from tests.e2e.test_rebates import cleared_export, compute, invoice, proceeds, setup_trader


def _return(client, headers, declaration_id, **body):
    body = {
        "line_no": 1,
        "quantity": "20",
        "returned_on": "2026-11-20",
        "reference": "040120261000000001",
        "reason": "买家退货 Returned by the buyer",
        "original_state": True,
        **body,
    }
    return client.post(f"/api/v1/customs/declarations/{declaration_id}/returns", headers=headers, json=body)


def _state(database) -> tuple:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(ExportReturn)),
            tuple(
                session.scalars(select(CustomsDeclarationLine.returned_quantity).order_by(CustomsDeclarationLine.id))
            ),
        )


def test_an_export_returned_after_its_rebate_was_refunded_owes_the_rebate_back(client, factory, database):
    shop, sku = setup_trader(client, factory)
    operator = shop.world.headers["trade_operator"]
    # September: 100 units at USD 700 exported, the purchase invoice RMB 500,000 for all of them,
    # 13%: a rebate of 65,000.00, claimed, filed and refunded in full.
    order_id, declaration_id = cleared_export(client, shop, "R-1", sku, 100, "700.00")
    proceeds(client, shop, order_id, "70000.00", "BANK-R1")
    invoice(client, shop, shop.world.trader_id, "26132000000000000041", "500000.00", 100)
    (claim,) = compute(client, shop, "2026-09")
    assert claim["amount"]["amount"] == "65000.00"
    assert client.post(f"/api/v1/rebates/claims/{claim['id']}/file", headers=operator).status_code == 200
    refunded = client.post(
        f"/api/v1/rebates/claims/{claim['id']}/refunds",
        headers=operator,
        json={"amount": {"amount": "65000.00", "currency": "CNY"}, "received_on": "2026-11-02", "reference": "TAX-R1"},
    )
    assert refunded.status_code == 201, refunded.json

    # November 20: 20 of the 100 come back in their original state. 65,000.00 x 20 / 100 = 13,000.00 is owed back.
    returned = _return(client, operator, declaration_id)
    assert returned.status_code == 201, returned.json
    assert {key: returned.json[key] for key in ("declaration_id", "line_no", "enterprise_id", "quantity")} == {
        "declaration_id": declaration_id,
        "line_no": 1,
        "enterprise_id": shop.world.trader_id,
        "quantity": "20",
    }
    ledger = client.get(f"/api/v1/rebates/ledger/{shop.world.trader_id}", headers=shop.world.headers["trade_operator"])
    balances = ledger.json["balances"]
    assert (balances["refunded"]["amount"], balances["receivable"]["amount"], balances["to_repay"]["amount"]) == (
        "65000.00",
        "0.00",
        "13000.00",
    )
    returns = [entry for entry in ledger.json["entries"] if entry["kind"] == "return"]
    assert [(entry["on"], entry["reference"], entry["amount"]["amount"]) for entry in returns] == [
        ("2026-11-20", "040120261000000001", "13000.00")
    ]
    # A second return of 30 more: 19,500.00 more owed back; the line has 50 of its 100 left.
    assert _return(client, operator, declaration_id, quantity="30", reference="040120261000000002").status_code == 201
    again = client.get(f"/api/v1/rebates/ledger/{shop.world.trader_id}", headers=operator).json["balances"]
    assert again["to_repay"]["amount"] == "32500.00"
    listed = client.get(f"/api/v1/customs/declarations/{declaration_id}/returns", headers=operator).json["items"]
    assert [(item["quantity"], item["reference"]) for item in listed] == [
        ("20", "040120261000000001"),
        ("30", "040120261000000002"),
    ]
    # The firm reads its own returns.
    mine = client.get(f"/api/v1/customs/declarations/{declaration_id}/returns", headers=shop.world.headers["sme_b"])
    assert mine.status_code == 404


def test_goods_returned_before_the_claim_leave_it(client, factory):
    shop, sku = setup_trader(client, factory)
    operator = shop.world.headers["trade_operator"]
    order_id, declaration_id = cleared_export(client, shop, "R-2", sku, 60, "100.00")
    proceeds(client, shop, order_id, "6000.00", "BANK-R2")
    invoice(client, shop, shop.world.trader_id, "26132000000000000042", "30000.00", 60)
    assert _return(client, operator, declaration_id, quantity="10").status_code == 201
    # 50 of the 60 units stay exported: 50 of the invoice's units at RMB 500 each, 13%: 3,250.00.
    (claim,) = compute(client, shop, "2026-09")
    assert [(line["quantity"], line["basis"]["amount"], line["amount"]["amount"]) for line in claim["lines"]] == [
        ("50", "25000.00", "3250.00")
    ]
    # Nothing was refunded on the returned units: nothing to repay.
    ledger = client.get(f"/api/v1/rebates/ledger/{shop.world.trader_id}", headers=operator).json
    assert ledger["balances"]["to_repay"]["amount"] == "0.00"


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"quantity": "100.0001"}, 409, "return_exceeds_exported", "quantity"),
        ({"original_state": False}, 422, "not_original_state", "original_state"),
        ({"returned_on": "2026-09-09"}, 422, "return_outside_window", "returned_on"),
        ({"returned_on": "2099-01-01"}, 422, "time_in_future", "returned_on"),
        ({"line_no": 2}, 422, "unknown_line", "line_no"),
        ({"quantity": "0"}, 422, "validation_error", "quantity"),
        ({"quantity": "1.00001"}, 422, "too_many_decimals", "quantity"),
        ({"reason": " "}, 422, "validation_error", "reason"),
    ],
)
def test_a_return_the_regime_does_not_allow_is_refused_with_nothing_written(
    client, factory, database, body, status, code, field
):
    shop, sku = setup_trader(client, factory)
    _order, declaration_id = cleared_export(client, shop, "R-3", sku, 100, "700.00")
    before = _state(database)
    refused = _return(
        client, {**shop.world.headers["trade_operator"], "Accept-Language": "zh-CN"}, declaration_id, **body
    )
    assert (refused.status_code, refused.json["code"]) == (status, code), refused.json
    assert [item["field"] for item in refused.json["errors"]] == [field]
    assert _state(database) == before


def test_only_released_goods_of_the_platforms_own_declarations_come_back(client, factory, database):
    shop, sku = setup_trader(client, factory)
    operator = shop.world.headers["trade_operator"]
    _order, pending = cleared_export(client, shop, "R-4", sku, 10, "100.00", at=None)
    before = _state(database)
    not_released = _return(client, operator, pending, quantity="1")
    assert (not_released.status_code, not_released.json["code"]) == (409, "declaration_not_cleared")
    factory.far_cluster(shop.world)
    _order, released = cleared_export(client, shop, "R-5", sku, 10, "100.00")
    before = _state(database)
    for caller, expected in (("trade_operator_far", 404), ("sme_b", 403), ("brand_admin", 403)):
        answer = _return(client, shop.world.headers[caller], released, quantity="1")
        assert answer.status_code == expected, (caller, answer.json)
    assert _return(client, operator, 999_999, quantity="1").status_code == 404
    assert _state(database) == before
    # Exactly what was exported may come back, and not a unit more.
    assert _return(client, operator, released, quantity="10").status_code == 201
    more = _return(client, operator, released, quantity="0.0001")
    assert (more.status_code, more.json["code"]) == (409, "return_exceeds_exported")
    assert more.json["detail"] == "第 1 项出口数量为 10；加上本次退货，退回数量将超过出口数量。"
    assert Decimal(_state(database)[1][-1]) == Decimal(10)


def test_what_is_repaid_for_every_unit_adds_up_to_the_rebate_refunded(client, factory):
    shop, sku = setup_trader(client, factory)
    operator = shop.world.headers["trade_operator"]
    order_id, declaration_id = cleared_export(client, shop, "R-6", sku, 3, "100.00")
    proceeds(client, shop, order_id, "300.00", "BANK-R6")
    # 769.23 x 13% = 99.9999: a rebate of 100.00 on 3 units.
    invoice(client, shop, shop.world.trader_id, "26132000000000000043", "769.23", 3)
    (claim,) = compute(client, shop, "2026-09")
    assert claim["amount"]["amount"] == "100.00"
    client.post(f"/api/v1/rebates/claims/{claim['id']}/file", headers=operator)
    client.post(
        f"/api/v1/rebates/claims/{claim['id']}/refunds",
        headers=operator,
        json={"amount": {"amount": "100.00", "currency": "CNY"}, "received_on": "2026-11-02", "reference": "TAX-R6"},
    )
    for number in range(3):
        reference = f"04012026100000001{number}"
        assert _return(client, operator, declaration_id, quantity="1", reference=reference).status_code == 201
    ledger = client.get(f"/api/v1/rebates/ledger/{shop.world.trader_id}", headers=operator).json
    # The units come back one by one: 33.33, 33.34, 33.33, the whole 100.00 and not a fen less.
    returns = [entry["amount"]["amount"] for entry in ledger["entries"] if entry["kind"] == "return"]
    assert (returns, ledger["balances"]["to_repay"]["amount"]) == (["33.33", "33.34", "33.33"], "100.00")
