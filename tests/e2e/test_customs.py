"""Customs through the API: the platform as consignor, batches per mode, messages, the gateway, the lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree
from sqlalchemy import func, select, update

from commerce.audit.models import AuditEvent
from commerce.customs import monthly_summary
from commerce.customs.calendar import period_of, shift_period
from commerce.customs.models import CustomsBatch, CustomsBatchOrder, CustomsDeclaration, CustomsMessage, CustomsPlatform
from commerce.db import utcnow
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.orders.models import SalesOrder
from tests.e2e.test_orders import order_body
from tests.factories import REAL_USCCS, open_shop
from tests.marketplaces import drain

REGISTRATION = "1305960001"


def formation_month(months: int = 0) -> str:
    """This month (China time), or the one ``months`` away."""
    return shift_period(period_of(utcnow()), months)


def this_month_start() -> str:
    """The first day of this month (China time): customs' rate for what is declared now is this month's."""
    return f"{period_of(utcnow())}-01"


def platform_body(shop, **overrides):
    body = {
        "enterprise_id": shop.world.platform_id,
        "customs_registration": REGISTRATION,
        "declaring_customs": "0401",
        "exit_ports": ["0401", "0202"],
        "transport_modes": ["5", "2"],
        "dxp_id": "DXPENT0000000001",
        "payment_name": "清河县跨境支付结算服务有限公司",
        "destination_port": "LAX",
    }
    body.update(overrides)
    return body


def configure(client, shop, **overrides):
    response = client.put(
        f"/api/v1/customs/platforms/{shop.world.cluster_id}",
        headers=shop.world.headers["admin"],
        json=platform_body(shop, **overrides),
    )
    assert response.status_code == 200, response.json
    return response.json


def shipped_export_order(client, shop, external_id, lines, *, mode="9610", currency="USD", **export):
    headers = shop.world.headers["trade_operator"]
    body = order_body(
        external_id,
        lines,
        currency=currency,
        export={
            "customs_mode": mode,
            "destination_country": "US",
            "waybill_no": f"WB{external_id}",
            "logistics_code": "SF",
            **export,
        },
    )
    for line in body["lines"]:
        line.setdefault("unit_price", "56.50")
    created = client.post("/api/v1/orders", headers=headers, json=body)
    assert created.status_code == 201, created.json
    order_id = created.json["id"]
    for status in ("paid", "shipped"):
        moved = client.post(f"/api/v1/orders/{order_id}/status", headers=headers, json={"status": status})
        assert moved.status_code == 200, moved.json
    return order_id


def two_parcels(client, shop, prefix: str) -> tuple[int, int]:
    """Two shipped 9610 orders: the first with goods of makers A and B, the second of maker A alone."""
    first = shipped_export_order(
        client,
        shop,
        f"{prefix}-1",
        [{"sku_id": shop.sweater_skus[0], "quantity": 2}, {"sku_id": shop.gloves_skus[0], "quantity": 1}],
    )
    second = shipped_export_order(client, shop, f"{prefix}-2", [{"sku_id": shop.scarf_skus[0], "quantity": 1}])
    return first, second


def test_a_consignor_outside_the_clusters_region_is_refused_and_nothing_is_stored(client, factory, database):
    shop = open_shop(factory)
    elsewhere = factory.enterprise(shop.world.cluster_id, "service_platform", region_code="33070")

    response = client.put(
        f"/api/v1/customs/platforms/{shop.world.cluster_id}",
        headers=shop.world.headers["admin"],
        json=platform_body(shop, enterprise_id=elsewhere.id),
    )
    foreign_code = client.put(
        f"/api/v1/customs/platforms/{shop.world.cluster_id}",
        headers=shop.world.headers["admin"],
        json=platform_body(shop, customs_registration="3307960001"),
    )
    maker = client.put(
        f"/api/v1/customs/platforms/{shop.world.cluster_id}",
        headers=shop.world.headers["admin"],
        json=platform_body(shop, enterprise_id=shop.world.maker_a_id),
    )

    assert (response.status_code, response.json["code"]) == (422, "consignor_outside_region")
    assert (foreign_code.status_code, foreign_code.json["code"]) == (422, "consignor_outside_region")
    assert (maker.status_code, maker.json["code"]) == (422, "not_a_service_platform")
    listed = client.get("/api/v1/customs/platforms", headers=shop.world.headers["trade_operator"])
    assert listed.json == {"items": []}


def test_the_platform_configuration_is_kept_and_its_data_exchange_id_names_a_folder(client, factory, database):
    shop = open_shop(factory)
    for hostile in ("../../etc", "DXP/ENT", "dxpent0000000001", "DXP"):
        refused = client.put(
            f"/api/v1/customs/platforms/{shop.world.cluster_id}",
            headers=shop.world.headers["admin"],
            json=platform_body(shop, dxp_id=hostile),
        )
        assert (refused.status_code, refused.json["code"]) == (422, "validation_error"), hostile
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CustomsPlatform)) == 0

    platform = configure(client, shop)

    assert platform["customs_registration"] == REGISTRATION
    assert platform["exit_ports"] == ["0401", "0202"]
    assert platform["dxp_id"] == "DXPENT0000000001"
    assert platform["line_limit"] == 50
    assert platform["procurement_cap_usd"] == {"amount": "150000.00", "currency": "USD"}


def test_9610_lists_per_parcel_are_submitted_accepted_and_released_and_orders_clear(
    client, factory, database, gateway, deployment
):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    first, second = two_parcels(client, shop, "E")

    formed = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"})

    assert formed.status_code == 201, formed.json
    batch = formed.json
    assert (batch["kind"], batch["status"], batch["orders"], batch["due_date"]) == ("inventory", "draft", 2, None)
    # One list per order and producing firm: E-1 holds goods of makers A and B.
    assert [(item["order_id"], item["owner_code"], item["lines"]) for item in batch["declarations"]] == [
        (first, REAL_USCCS[0], 1),
        (first, REAL_USCCS[1], 1),
        (second, REAL_USCCS[0], 1),
    ]
    again = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"})
    assert (again.status_code, again.json["code"]) == (409, "nothing_to_declare")

    list_id = batch["declarations"][0]["id"]
    answer = client.get(f"/api/v1/customs/declarations/{list_id}", headers=operator)
    assert answer.status_code == 200, answer.json
    declaration = answer.json
    assert declaration["header"]["consignor_code"] == REGISTRATION
    assert declaration["header"]["owner_code"] == REAL_USCCS[0]
    assert declaration["header"]["source_region"] == "13059"
    assert (declaration["header"]["exit_port"], declaration["header"]["traf_mode"]) == ("0401", "5")
    assert [
        (line["hs_code"], line["quantity"], line["legal_quantity"], line["second_legal_quantity"], line["total_price"])
        for line in declaration["lines"]
    ] == [("6110120000", "2", "2", "0.7", {"amount": "113.00", "currency": "USD"})]
    assert declaration["order_ids"] == [first]
    preview = client.get(f"/api/v1/customs/declarations/{list_id}/message", headers=operator)
    assert preview.status_code == 200
    assert preview.mimetype == "application/xml"
    assert etree.fromstring(preview.data).tag == "{http://www.chinaport.gov.cn/ceb}CEB603Message"

    submitted = client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "submitted"
    sent = client.get(f"/api/v1/customs/declarations/{list_id}/message", headers=operator)
    assert sent.data == client.get(f"/api/v1/customs/declarations/{list_id}/message", headers=operator).data
    discard = client.delete(f"/api/v1/customs/batches/{batch['id']}", headers=operator)
    assert (discard.status_code, discard.json["code"]) == (409, "batch_not_draft")
    resubmit = client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    assert (resubmit.status_code, resubmit.json["code"]) == (409, "batch_not_draft")

    drain(deployment)

    assert gateway.office.received == {"CEB303": 3, "CEB403": 3, "CEB505": 3, "CEB603": 3}
    done = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json
    assert done["status"] == "cleared"
    assert [item["status"] for item in done["declarations"]] == ["cleared"] * 3
    assert all(item["entry_id"] for item in done["declarations"])
    for order_id in (first, second):
        order = client.get(f"/api/v1/orders/{order_id}", headers=operator).json
        assert order["status"] == "cleared"
    declaration = client.get(f"/api/v1/customs/declarations/{list_id}", headers=operator).json
    assert [(receipt["status"], receipt["source"]) for receipt in declaration["receipts"]] == [
        ("accepted", "gateway"),
        ("cleared", "gateway"),
    ]
    with database.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "customs_batch").order_by(AuditEvent.id)
        ).all()
    # Both results came in one page of receipts: the batch went from submitted to cleared in one step.
    assert actions == ["formed", "submitted", "cleared"]


def test_a_list_the_gateway_rejects_can_be_revised_as_a_new_version(client, factory, gateway, deployment):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    order_id = shipped_export_order(client, shop, "E-9", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    # The waybill never reaches customs: the gateway loses every CEB505.
    original = gateway.office._receive_ceb505
    gateway.office._receive_ceb505 = lambda root, sender: None
    drain(deployment)
    gateway.office._receive_ceb505 = original

    rejected = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json
    assert rejected["status"] == "rejected"
    list_id = rejected["declarations"][0]["id"]
    note = client.get(f"/api/v1/customs/declarations/{list_id}", headers=operator).json["customs_note"]
    assert "CEB505" in note

    revised = client.post(f"/api/v1/customs/batches/{batch['id']}/revise", headers=operator)

    assert revised.status_code == 201, revised.json
    assert (revised.json["version"], revised.json["previous_id"], revised.json["status"]) == (2, batch["id"], "draft")
    assert [item["order_id"] for item in revised.json["declarations"]] == [order_id]
    old = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json
    assert (old["status"], old["superseded_by_id"]) == ("rejected", revised.json["id"])
    assert old["declarations"][0]["status"] == "rejected"
    twice = client.post(f"/api/v1/customs/batches/{batch['id']}/revise", headers=operator)
    assert (twice.status_code, twice.json["code"]) == (409, "batch_not_revisable")

    client.post(f"/api/v1/customs/batches/{revised.json['id']}/submit", headers=operator)
    drain(deployment)
    assert client.get(f"/api/v1/orders/{order_id}", headers=operator).json["status"] == "cleared"


def _cleared_last_month(client, operator):
    """Form, submit and record (through the API) the lists of some orders as released last month."""
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=3)).replace(microsecond=0)
    receipts = [
        {
            "declaration_id": item["id"],
            "status": "accepted",
            "entry_id": f"0401{last_month:%Y}E{item['id']:09d}",
            "at": last_month.isoformat(),
        }
        for item in batch["declarations"]
    ] + [
        {"declaration_id": item["id"], "status": "cleared", "at": last_month.isoformat()}
        for item in batch["declarations"]
    ]
    recorded = client.post(
        f"/api/v1/customs/batches/{batch['id']}/receipts", headers=operator, json={"receipts": receipts}
    )
    assert recorded.status_code == 200, recorded.json
    assert recorded.json["batch"]["status"] == "cleared"
    return batch, period_of(last_month)


@pytest.mark.parametrize("at_once", [None, 1], ids=["in-one-go", "row-by-row"])
def test_the_monthly_summary_merges_last_months_cleared_lists_by_the_rules(
    client, factory, database, monkeypatch, at_once
):
    if at_once is not None:
        # Read one merged line and write one declaration at a time: the result must not change.
        monkeypatch.setattr(monthly_summary, "SUMMARY_ROWS_AT_ONCE", at_once)
        monkeypatch.setattr(monthly_summary, "SUMMARY_DECLARATIONS_AT_ONCE", at_once)
    shop = open_shop(factory)
    configure(client, shop, line_limit=2)
    operator = shop.world.headers["trade_operator"]
    sweater, scarf, gloves = shop.sweater_skus[0], shop.scarf_skus[0], shop.gloves_skus[0]
    shipped_export_order(client, shop, "S-1", [{"sku_id": sweater, "quantity": 2}])
    shipped_export_order(client, shop, "S-2", [{"sku_id": sweater, "quantity": 3}])  # merges with S-1
    shipped_export_order(
        client, shop, "S-3", [{"sku_id": sweater, "quantity": 1}], destination_country="CA", arrival_country="US"
    )
    shipped_export_order(client, shop, "S-4", [{"sku_id": scarf, "quantity": 1}], arrival_country="DE")
    shipped_export_order(client, shop, "S-5", [{"sku_id": gloves, "quantity": 4}])  # maker B
    shipped_export_order(
        client, shop, "S-6", [{"sku_id": scarf, "quantity": 1}], destination_country="GB", arrival_country="US"
    )
    _, period = _cleared_last_month(client, operator)

    formed = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610", "period": period})

    assert formed.status_code == 201, formed.json
    summary = formed.json
    assert (summary["kind"], summary["period"]) == ("summary", period)
    assert summary["due_date"] is not None
    assert [item["seq_no"] for item in summary["declarations"]] == [1, 2, 3, 4]
    headers = []
    for item in summary["declarations"]:
        declaration = client.get(f"/api/v1/customs/declarations/{item['id']}", headers=operator).json
        headers.append(
            (
                declaration["header"]["owner_code"],
                declaration["header"]["arrival_country"],
                [(line["destination_country"], line["hs_code"], line["quantity"]) for line in declaration["lines"]],
                len(declaration["inventory_list_ids"]),
            )
        )
    # Maker A to the US: S-1 + S-2 merged (5), S-3 to Canada, S-6 to Britain: three lines, split at the limit of two.
    assert headers == [
        (REAL_USCCS[0], "DE", [("US", "6110120000", "1")], 1),
        (REAL_USCCS[0], "US", [("CA", "6110120000", "1"), ("GB", "6110120000", "1")], 2),
        (REAL_USCCS[0], "US", [("US", "6110120000", "5")], 2),
        (REAL_USCCS[1], "US", [("US", "6110120000", "4")], 1),
    ]
    merged_us = client.get(f"/api/v1/customs/declarations/{summary['declarations'][2]['id']}", headers=operator).json
    # The merged lists' weights add up: five sweaters of 0.350 kg (the lists carried them, the summary sums them).
    assert merged_us["header"]["gross_weight_kg"] == "1.75"
    submitted = client.post(f"/api/v1/customs/batches/{summary['id']}/submit", headers=operator)
    assert submitted.status_code == 200, submitted.json
    application = etree.fromstring(
        client.get(f"/api/v1/customs/declarations/{merged_us['id']}/message", headers=operator).data
    )
    ceb = {"ceb": "http://www.chinaport.gov.cn/ceb"}
    assert application.tag == "{http://www.chinaport.gov.cn/ceb}CEB701Message"
    assert [item.text for item in application.findall("ceb:SummaryApply/ceb:SummaryApplyList/ceb:invtNo", ceb)] == [
        f"0401{(datetime.now(UTC).replace(day=1) - timedelta(days=3)):%Y}E{list_id:09d}"
        for list_id in merged_us["inventory_list_ids"]
    ]
    again = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610", "period": period})
    assert (again.status_code, again.json["code"]) == (409, "nothing_to_declare")
    current = client.post(
        "/api/v1/customs/batches",
        headers=operator,
        json={"customs_mode": "9610", "period": period_of(datetime.now(UTC))},
    )
    assert (current.status_code, current.json["code"]) == (422, "period_not_allowed")
    with database.session() as session:
        batches = session.scalar(select(func.count()).select_from(CustomsBatch))
    for nonsense in ("0000-01", "1999-12", "2026-13", "2026-1"):
        refused = client.post(
            "/api/v1/customs/batches", headers=operator, json={"customs_mode": "0110", "period": nonsense}
        )
        assert (refused.status_code, refused.json["errors"][0]["field"]) == (422, "period"), nonsense
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CustomsBatch)) == batches


def test_a_summary_of_lists_customs_released_is_answered_by_its_number_and_cleared(
    client, factory, database, gateway, deployment
):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    two_parcels(client, shop, "M")
    lists = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{lists['id']}/submit", headers=operator)
    drain(deployment)
    assert client.get(f"/api/v1/customs/batches/{lists['id']}", headers=operator).json["status"] == "cleared"
    # The month of the releases has ended.
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=3)).replace(microsecond=0)
    with database.session() as session:
        session.execute(
            update(CustomsDeclaration)
            .where(CustomsDeclaration.batch_id == lists["id"])
            .values(cleared_period=period_of(last_month), cleared_at=last_month)
        )
        session.commit()
    summary = client.post(
        "/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610", "period": period_of(last_month)}
    ).json
    client.post(f"/api/v1/customs/batches/{summary['id']}/submit", headers=operator)

    drain(deployment)

    assert gateway.office.received["CEB701"] == len(summary["declarations"]) == 2
    assert gateway.office.answered["CEB702"] == gateway.office.answered["CEB792"] == 2
    done = client.get(f"/api/v1/customs/batches/{summary['id']}", headers=operator).json
    assert done["status"] == "cleared"
    with database.session() as session:
        rows = session.execute(
            select(CustomsDeclaration.sum_no, CustomsDeclaration.entry_id, CustomsDeclaration.status).where(
                CustomsDeclaration.batch_id == summary["id"]
            )
        ).all()
    # The receipt (CEB702) gave each application its number; the result (CEB792), naming only that
    # number, gave the declaration customs formed and released.
    assert [(len(sum_no), sum_no[8], len(entry_id), status) for sum_no, entry_id, status in rows] == [
        (18, "S", 18, "cleared")
    ] * 2
    assert len({sum_no for sum_no, _, _ in rows}) == 2


def test_a_firm_sees_only_the_declarations_with_its_goods(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "F-1", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    shipped_export_order(client, shop, "F-2", [{"sku_id": shop.gloves_skus[0], "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    mine, theirs = batch["declarations"]

    seen = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=shop.world.headers["sme_a"])
    hidden = client.get(f"/api/v1/customs/declarations/{theirs['id']}", headers=shop.world.headers["sme_a"])
    message = client.get(f"/api/v1/customs/declarations/{mine['id']}/message", headers=shop.world.headers["sme_a"])
    host = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=shop.world.headers["host"])
    forming = client.post("/api/v1/customs/batches", headers=shop.world.headers["sme_a"], json={"customs_mode": "0110"})

    assert [item["id"] for item in seen.json["declarations"]] == [mine["id"]]
    assert hidden.status_code == 404
    assert message.status_code == 403
    assert host.status_code == 403
    assert forming.status_code == 403
    listed = client.get("/api/v1/customs/batches", headers=shop.world.headers["sme_b"]).json["items"]
    assert [[item["id"] for item in entry["declarations"]] for entry in listed] == [[theirs["id"]]]


def test_full_declarations_merge_orders_and_flag_the_simplified_list(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    rates = client.put(
        "/api/v1/customs/exchange-rates",
        headers=operator,
        json={"rates": [{"currency": "USD", "valid_from": this_month_start(), "cny_per_unit": "7.1"}]},
    )
    assert rates.status_code == 200, rates.json
    first = shipped_export_order(client, shop, "B-1", [{"sku_id": shop.sweater_skus[0], "quantity": 2}], mode="9710")
    second = shipped_export_order(client, shop, "B-2", [{"sku_id": shop.sweater_skus[0], "quantity": 3}], mode="9710")

    formed = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9710"})

    assert formed.status_code == 201, formed.json
    (item,) = formed.json["declarations"]
    declaration = client.get(f"/api/v1/customs/declarations/{item['id']}", headers=operator).json
    assert declaration["order_ids"] == [first, second]
    (line,) = declaration["lines"]
    assert (line["quantity"], line["total_price"]) == ("5", {"amount": "282.50", "currency": "USD"})
    assert line["firms"] == [
        {
            "enterprise_id": shop.world.maker_a_id,
            "name": "Maker A",
            "uscc": REAL_USCCS[0],
            "order_ids": [first, second],
            "quantity": 5,
        }
    ]
    # USD 282.50 at 7.1 is CNY 2,005.75: under 5,000 and no licensed goods.
    assert (declaration["header"]["value_cny"], declaration["header"]["simplified_eligible"]) == ("2005.75", True)
    message = client.get(f"/api/v1/customs/declarations/{item['id']}/message", headers=operator)
    root = etree.fromstring(message.data)
    assert root.tag == "{http://www.chinaport.gov.cn/dec}DecMessage"
    assert (
        root.findtext("{http://www.chinaport.gov.cn/dec}DecHead/{http://www.chinaport.gov.cn/dec}TradeCode")
        == REGISTRATION
    )


def test_market_procurement_needs_a_rate_and_gives_no_rebate(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "M-1", [{"sku_id": shop.sweater_skus[0], "quantity": 2}], mode="1039")
    euro_line = {"sku_id": shop.sweater_skus[0], "quantity": 1, "unit_price": "33.33"}
    shipped_export_order(client, shop, "M-2", [euro_line], mode="1039", currency="EUR")

    last_month = f"{formation_month(-1)}-01"
    client.put(
        "/api/v1/customs/exchange-rates",
        headers=operator,
        json={"rates": [{"currency": "USD", "valid_from": last_month, "cny_per_unit": "7.0"}]},
    )
    # Last month's rate is not this month's: an old rate is missing, not used.
    missing = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "1039"})
    assert (missing.status_code, missing.json["code"]) == (409, "exchange_rate_missing")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CustomsBatch)) == 0
        assert session.scalar(select(func.count()).select_from(CustomsBatchOrder)) == 0

    client.put(
        "/api/v1/customs/exchange-rates",
        headers=operator,
        json={
            "rates": [
                {"currency": "USD", "valid_from": this_month_start(), "cny_per_unit": "7.1"},
                {"currency": "EUR", "valid_from": this_month_start(), "cny_per_unit": "8.3"},
            ]
        },
    )
    formed = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "1039"})
    assert formed.status_code == 201, formed.json
    declaration = client.get(
        f"/api/v1/customs/declarations/{formed.json['declarations'][0]['id']}", headers=operator
    ).json
    assert declaration["header"]["rebate_eligible"] is False
    assert declaration["header"]["owner_code"] == REGISTRATION
    # USD 113 at 7.1 is CNY 802.30; EUR 33.33 at 8.3 is CNY 276.639, USD 38.9632 (rounded).
    assert declaration["header"]["value_usd"] == "151.9632"
    # The CNY value is the goods' own CNY sum, not the rounded USD value converted back (1,078.9387).
    assert declaration["header"]["value_cny"] == "1078.939"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CustomsDeclaration)) == 1
        assert session.scalar(select(SalesOrder.status)) == "shipped"


def test_a_repeated_receipt_changes_nothing_and_a_result_out_of_turn_is_refused(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    order_id = shipped_export_order(client, shop, "R-1", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    early = client.post(
        f"/api/v1/customs/batches/{batch['id']}/receipts",
        headers=operator,
        json={"declaration_id": batch["declarations"][0]["id"], "status": "accepted"},
    )
    assert (early.status_code, early.json["code"]) == (409, "receipt_not_applicable")
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    receipt = {"declaration_id": batch["declarations"][0]["id"], "status": "cleared", "entry_id": "04012026E000000001"}
    malformed = client.post(
        f"/api/v1/customs/batches/{batch['id']}/receipts", headers=operator, json={**receipt, "entry_id": "I0000001"}
    )
    assert (malformed.status_code, malformed.json["code"]) == (422, "invalid_inventory_number")

    first = client.post(f"/api/v1/customs/batches/{batch['id']}/receipts", headers=operator, json=receipt)
    again = client.post(f"/api/v1/customs/batches/{batch['id']}/receipts", headers=operator, json=receipt)
    backwards = client.post(
        f"/api/v1/customs/batches/{batch['id']}/receipts",
        headers=operator,
        json={"declaration_id": receipt["declaration_id"], "status": "accepted", "entry_id": "04012026E000000002"},
    )

    assert (first.json["recorded"], first.json["repeated"], first.json["batch"]["status"]) == (1, 0, "cleared")
    assert (again.json["recorded"], again.json["repeated"]) == (0, 1)
    assert (backwards.status_code, backwards.json["code"]) == (409, "receipt_not_applicable")
    declaration = client.get(f"/api/v1/customs/declarations/{receipt['declaration_id']}", headers=operator).json
    assert (declaration["status"], declaration["entry_id"]) == ("cleared", "04012026E000000001")
    assert [item["status"] for item in declaration["receipts"]] == ["cleared"]
    assert client.get(f"/api/v1/orders/{order_id}", headers=operator).json["status"] == "cleared"


def test_a_request_repeating_one_receipt_thousands_of_times_is_one_receipt(client, factory, database):
    """A hostile or confused sender's repeats cost one lock and one record, not one each."""
    from sqlalchemy import event

    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "R-2", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    receipt = {"declaration_id": batch["declarations"][0]["id"], "status": "cleared", "entry_id": "04012026E000000003"}
    statements = []

    def count(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        answer = client.post(
            f"/api/v1/customs/batches/{batch['id']}/receipts", headers=operator, json={"receipts": [receipt] * 5000}
        )
    finally:
        event.remove(database.engine, "before_cursor_execute", count)

    assert (answer.status_code, answer.json["recorded"], answer.json["repeated"]) == (200, 1, 4999)
    assert len(statements) < 60
    declaration = client.get(f"/api/v1/customs/declarations/{receipt['declaration_id']}", headers=operator).json
    assert [item["status"] for item in declaration["receipts"]] == ["cleared"]


def _usd_rate(client, operator) -> None:
    answer = client.put(
        "/api/v1/customs/exchange-rates",
        headers=operator,
        json={"rates": [{"currency": "USD", "valid_from": this_month_start(), "cny_per_unit": "7.1"}]},
    )
    assert answer.status_code == 200, answer.json


@pytest.mark.parametrize("mode", ["9710", "9810", "0110", "1039"])
def test_full_declarations_of_each_mode_pass_the_gateways_checks_and_clear(client, factory, gateway, mode, deployment):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    _usd_rate(client, operator)
    first = shipped_export_order(client, shop, "F-1", [{"sku_id": shop.sweater_skus[0], "quantity": 2}], mode=mode)
    second = shipped_export_order(
        client, shop, "F-2", [{"sku_id": shop.gloves_skus[0], "quantity": 3}], mode=mode, destination_country="DE"
    )
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": mode}).json
    # Two producing firms (1039: two arrival countries): two declarations.
    assert len(batch["declarations"]) == 2

    submitted = client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    assert submitted.status_code == 200, submitted.json
    drain(deployment)

    assert gateway.office.received == {"Dec": len(batch["declarations"])}
    done = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json
    assert done["status"] == "cleared"
    for item in done["declarations"]:
        declaration = client.get(f"/api/v1/customs/declarations/{item['id']}", headers=operator).json
        assert declaration["entry_id"] is not None and len(declaration["entry_id"]) == 18
        assert [receipt["status"] for receipt in declaration["receipts"]] == ["accepted", "cleared"]
        assert declaration["customs_note"] == "DEC P 放行"
    assert [client.get(f"/api/v1/orders/{order}", headers=operator).json["status"] for order in (first, second)] == [
        "cleared",
        "cleared",
    ]


def test_a_worker_killed_between_handing_over_and_recording_hands_nothing_twice(
    client, factory, database, gateway, deployment, monkeypatch
):
    from commerce.customs import lifecycle

    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    orders = [
        shipped_export_order(client, shop, f"R-{number}", [{"sku_id": shop.scarf_skus[0], "quantity": 1}])
        for number in range(1, 4)
    ]
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    recorded = lifecycle.mark_sent

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("the worker is killed")

    # Every message is put into the send folder, then the worker dies before recording any of it.
    monkeypatch.setattr(lifecycle, "mark_sent", killed)
    with pytest.raises(KeyboardInterrupt):
        drain(deployment)
    with database.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(CustomsMessage).where(CustomsMessage.sent_at.is_not(None)))
            == 0
        )
        # Its lease runs out; another worker takes the job.
        session.execute(update(Job).where(Job.status == "running").values(locked_until=utcnow() - timedelta(seconds=1)))
        session.commit()
    monkeypatch.setattr(lifecycle, "mark_sent", recorded)

    with database.session() as session:
        # The worker held the batch's send jobs, one a list.
        assert jobs.requeue_expired(session) == 3
    drain(deployment)

    assert gateway.office.received == {"CEB303": 3, "CEB403": 3, "CEB505": 3, "CEB603": 3}
    # Each envelope reached the send folder once: the second run found them handed over.
    assert len(gateway.taken) == 12 and set(gateway.taken.values()) == {1}
    with database.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(CustomsMessage).where(CustomsMessage.sent_at.is_(None)))
            == 0
        )
    assert {client.get(f"/api/v1/orders/{order}", headers=operator).json["status"] for order in orders} == {"cleared"}


def test_parcels_are_not_declared_before_the_platform_names_their_payment_firm_and_port(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop, payment_name=None, destination_port=None)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "P-1", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    refused = client.post(
        "/api/v1/customs/batches", headers={**operator, "Accept-Language": "en"}, json={"customs_mode": "9610"}
    )
    assert (refused.status_code, refused.json["code"]) == (409, "customs_platform_incomplete")
    assert refused.json["detail"] == (
        "The service platform's payment_name, destination_port must be set before 9610 parcels can be declared."
    )
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CustomsBatch)) == 0
        assert session.scalar(select(func.count()).select_from(CustomsBatchOrder)) == 0
    configure(client, shop)
    formed = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"})
    assert formed.status_code == 201, formed.json


def test_nothing_is_sent_without_a_key_to_sign_with(client, factory, database, gateway, deployment):
    from dataclasses import replace

    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "K-1", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    drain(replace(deployment, customs_signer=None))
    assert gateway.office.received == {}
    with database.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "customs.submit")).one()
    assert (job.status, job.last_error) == (
        "dead",
        "no key to sign customs' messages with: set COMMERCE_CUSTOMS_SIGNING_KEY",
    )


def test_goods_whose_legal_unit_weighs_are_declared_in_pieces_and_in_kilograms(client, factory, gateway, deployment):
    from tests.factories import sku_payload

    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    yarn = factory.product(
        shop.world.maker_a_id,
        status="approved",
        hs_code="5108100000",
        declaration_elements="粗梳|山羊绒纱线|未供零售用",
        legal_unit="千克",
        second_legal_unit=None,
        skus=[sku_payload("YARN-1", 50)],
    )
    sku_id = client.get(f"/api/v1/products/{yarn.id}", headers=shop.world.headers["sme_a"]).json["skus"][0]["id"]
    shipped_export_order(client, shop, "Y-1", [{"sku_id": sku_id, "quantity": 3}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    declaration = client.get(f"/api/v1/customs/declarations/{batch['declarations'][0]['id']}", headers=operator).json
    (line,) = declaration["lines"]
    # Three pieces of 0.350 kg: 3 件 traded, 1.05 千克 in the legal unit; never "3 千克".
    assert (line["unit"], line["quantity"], line["legal_unit"], line["legal_quantity"]) == ("件", "3", "千克", "1.05")
    message = client.get(f"/api/v1/customs/declarations/{declaration['id']}/message", headers=operator)
    values = {
        etree.QName(element).localname: element.text
        for element in etree.fromstring(message.data).find(".//{http://www.chinaport.gov.cn/ceb}InventoryList")
    }
    assert (values["unit"], values["qty"], values["unit1"], values["qty1"]) == ("011", "3", "035", "1.05")
    assert "unit2" not in values and "qty2" not in values
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    drain(deployment)
    assert client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json["status"] == "cleared"


def test_a_long_sku_code_still_makes_a_list_customs_takes(client, factory, gateway, deployment):
    from tests.factories import sku_payload

    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    long_code = "CASHMERE-SWEATER-RED-XXL"
    sweater = factory.product(shop.world.maker_a_id, status="approved", skus=[sku_payload(long_code, 5)])
    sku_id = client.get(f"/api/v1/products/{sweater.id}", headers=shop.world.headers["sme_a"]).json["skus"][0]["id"]
    shipped_export_order(client, shop, "L-1", [{"sku_id": sku_id, "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    message = client.get(f"/api/v1/customs/declarations/{batch['declarations'][0]['id']}/message", headers=operator)
    assert etree.fromstring(message.data).findtext(".//{http://www.chinaport.gov.cn/ceb}itemNo") == f"SKU{sku_id}"
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    drain(deployment)
    assert client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json["status"] == "cleared"


def test_a_value_longer_than_customs_takes_stops_the_submission_and_names_the_field(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    long_id = "MARKETPLACE-ORDER-" + "7" * 50
    shipped_export_order(client, shop, long_id, [{"sku_id": shop.sweater_skus[0], "quantity": 1}], waybill_no="WB-L-1")
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    refused = client.post(
        f"/api/v1/customs/batches/{batch['id']}/submit", headers={**operator, "Accept-Language": "en"}
    )
    assert (refused.status_code, refused.json["code"]) == (409, "message_field_too_long")
    cop_no = batch["declarations"][0]["cop_no"]
    assert refused.json["detail"] == (
        f"Declaration {cop_no}: customs takes at most 60 characters in orderNo; "
        "shorten the name or number it comes from, then form the batch again. Nothing was sent."
    )
    assert client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json["status"] == "draft"
    with database.session() as session:
        from commerce.customs.models import CustomsMessage

        assert session.scalar(select(func.count()).select_from(CustomsMessage)) == 0


def test_a_trade_operator_of_another_cluster_reaches_nothing_of_this_ones_customs(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    two_parcels(client, shop, "X")
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    declaration = batch["declarations"][0]["id"]
    platform = client.get("/api/v1/customs/platforms", headers=operator).json["items"][0]["id"]
    # Another county's cluster with its own service platform and trade operator.
    elsewhere = factory.cluster(name="安平丝网产业集群", industry="wire mesh", region_code="13112")
    their_platform = factory.enterprise(elsewhere.id, "service_platform", region_code="13112")
    stranger = factory.headers_for("trade_operator", their_platform.id)
    batch_url = f"/api/v1/customs/batches/{batch['id']}"

    answers = {
        "platforms": client.get("/api/v1/customs/platforms", headers=stranger),
        "batches": client.get("/api/v1/customs/batches", headers=stranger),
        "form": client.post(
            "/api/v1/customs/batches", headers=stranger, json={"customs_mode": "9610", "platform_id": platform}
        ),
        "batch": client.get(batch_url, headers=stranger),
        "declaration": client.get(f"/api/v1/customs/declarations/{declaration}", headers=stranger),
        "message": client.get(f"/api/v1/customs/declarations/{declaration}/message", headers=stranger),
        "submit": client.post(f"{batch_url}/submit", headers=stranger),
        "revise": client.post(f"{batch_url}/revise", headers=stranger),
        "receipts": client.post(
            f"{batch_url}/receipts",
            headers=stranger,
            json={"declaration_id": declaration, "status": "rejected", "message": "no"},
        ),
        "discard": client.delete(batch_url, headers=stranger),
    }

    assert answers["platforms"].json["items"] == []
    assert answers["batches"].json["items"] == []
    refused = {name: answer.status_code for name, answer in answers.items() if name not in ("platforms", "batches")}
    assert refused == dict.fromkeys(refused, 404)
    kept = client.get(batch_url, headers=operator).json
    assert (kept["status"], [item["status"] for item in kept["declarations"]]) == (
        "draft",
        [item["status"] for item in batch["declarations"]],
    )
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CustomsBatch)) == 1
