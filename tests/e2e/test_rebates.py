"""Export VAT rebates through the API: the rate table, invoices and their matching, proceeds, claims, refunds,
the ledger. The worked examples are domain.md's."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import Workbook
from sqlalchemy import func, select

from commerce.customs.calendar import china_today, period_of
from commerce.db import utcnow
from commerce.rebates.models import InvoiceMatch, RebateClaim, RebateClaimLine, RebateRate, VatInvoice
from tests.e2e.test_customs import configure, shipped_export_order
from tests.factories import open_shop, sku_payload

HS = "6110120000"
SEPTEMBER = datetime(2026, 9, 10, 4, 0, tzinfo=UTC)
OCTOBER = datetime(2026, 10, 12, 4, 0, tzinfo=UTC)


def rebate_rates(client, shop, rates):
    answer = client.put("/api/v1/rebate-rates", headers=shop.world.headers["admin"], json={"rates": rates})
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def cleared_export(client, shop, external_id, sku_id, quantity, unit_price, *, at=SEPTEMBER, mode="0110", **export):
    """An export order declared by the platform and, when ``at`` is given, cleared then; (order, declaration)."""
    operator = shop.world.headers["trade_operator"]
    order_id = shipped_export_order(
        client,
        shop,
        external_id,
        [{"sku_id": sku_id, "quantity": quantity, "unit_price": unit_price}],
        mode=mode,
        **export,
    )
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": mode})
    assert batch.status_code == 201, batch.json
    (declaration,) = batch.json["declarations"]
    submitted = client.post(f"/api/v1/customs/batches/{batch.json['id']}/submit", headers=operator)
    assert submitted.status_code == 200, submitted.json
    if at is not None:
        receipt = client.post(
            f"/api/v1/customs/batches/{batch.json['id']}/receipts",
            headers=operator,
            json={
                "declaration_id": declaration["id"],
                "status": "cleared",
                "entry_id": f"0401{at:%Y}E{declaration['id']:09d}" if mode == "9610" else f"{declaration['id']:018d}",
                "at": at.isoformat(),
            },
        )
        assert receipt.status_code == 200, receipt.json
    return order_id, declaration["id"]


def proceeds(client, shop, order_id, amount, reference, currency="USD"):
    answer = client.post(
        "/api/v1/rebates/proceeds",
        headers=shop.world.headers["trade_operator"],
        json={
            "order_id": order_id,
            "amount": {"amount": amount, "currency": currency},
            "received_on": "2026-10-20",
            "reference": reference,
        },
    )
    assert answer.status_code in (200, 201), answer.json
    return answer


def invoice(client, shop, enterprise_id, number, amount, quantity, *, kind=None, issued_on="2026-09-01"):
    body = {
        "enterprise_id": enterprise_id,
        "number": number,
        "issued_on": issued_on,
        "amount_excl_vat": {"amount": amount, "currency": "CNY"},
        "vat_amount": {"amount": "0.00", "currency": "CNY"},
        "lines": [{"hs_code": HS, "quantity": quantity, "amount": {"amount": amount, "currency": "CNY"}}],
    }
    if kind:
        body["kind"] = kind
    return client.post("/api/v1/invoices", headers=shop.world.headers["trade_operator"], json=body)


def trader_product(factory, shop, on_hand=1000, code="TR-1"):
    from sqlalchemy import select as sql_select

    from commerce.catalog.models import Sku

    product = factory.product(shop.world.trader_id, status="approved", skus=[sku_payload(code, on_hand, "100.00")])
    with factory.database.session() as session:
        return session.scalar(sql_select(Sku.id).where(Sku.product_id == product.id))


def compute(client, shop, period, enterprise_id=None):
    body = {"period": period}
    if enterprise_id is not None:
        body["enterprise_id"] = enterprise_id
    answer = client.post("/api/v1/rebates/claims", headers=shop.world.headers["trade_operator"], json=body)
    assert answer.status_code == 201, answer.json
    return answer.json["items"]


def setup_trader(client, factory):
    shop = open_shop(factory)
    configure(client, shop)
    rebate_rates(
        client,
        shop,
        [
            {"hs_code": HS, "rate": "0.13", "valid_from": "2026-01-01", "announcement": "2020 No. 15"},
            {"hs_code": HS, "rate": "0.09", "valid_from": "2026-10-01", "announcement": "2026 No. 9"},
        ],
    )
    return shop, trader_product(factory, shop)


def test_a_trading_firm_is_refunded_its_invoice_times_the_rate_on_the_export_date(client, factory, database):
    shop, sku = setup_trader(client, factory)
    september_order, september_declaration = cleared_export(client, shop, "T-9", sku, 100, "700.00")
    october_order, _ = cleared_export(client, shop, "T-10", sku, 100, "700.00", at=OCTOBER)
    proceeds(client, shop, september_order, "70000.00", "BANK-1")
    proceeds(client, shop, october_order, "70000.00", "BANK-2")
    assert invoice(client, shop, shop.world.trader_id, "26132000000000000001", "500000.00", 100).status_code == 201
    assert (
        invoice(client, shop, shop.world.trader_id, "26132000000000000002", "500000.00", 100, issued_on="2026-10-02")
    ).status_code == 201

    (september,) = compute(client, shop, "2026-09")
    (october,) = compute(client, shop, "2026-10")

    assert (september["method"], september["amount"], september["missing"]) == (
        "purchase",
        {"amount": "65000.00", "currency": "CNY"},
        [],
    )
    assert september["lines"] == [
        {
            "declaration_id": september_declaration,
            "line_no": 1,
            "hs_code": HS,
            "export_date": "2026-09-10",
            "quantity": "100",
            "fob": {"amount": "70000.00", "currency": "USD"},
            "fx_rate": None,
            "basis": {"amount": "500000.00", "currency": "CNY"},
            "rate": "0.13",
            "amount": {"amount": "65000.00", "currency": "CNY"},
        }
    ]
    # The 9% announced from October applies to October's exports: 45,000, the 20,000 difference a cost.
    assert october["amount"] == {"amount": "45000.00", "currency": "CNY"}
    assert [line["rate"] for line in october["lines"]] == ["0.09"]
    assert september["due_date"] == "2027-04-15"


def test_an_invoice_is_matched_in_parts_and_never_beyond_its_quantity(client, factory, database):
    shop, sku = setup_trader(client, factory)
    first, first_declaration = cleared_export(client, shop, "P-1", sku, 60, "100.00")
    second, second_declaration = cleared_export(client, shop, "P-2", sku, 60, "100.00")
    proceeds(client, shop, first, "6000.00", "B-1")
    proceeds(client, shop, second, "6000.00", "B-2")
    created = invoice(client, shop, shop.world.trader_id, "26132000000000000011", "30000.00", 100)
    assert created.status_code == 201, created.json

    (claim,) = compute(client, shop, "2026-09")

    # 60 of the invoice's 100 go to the first line, the other 40 to the second; 20 of it lack an invoice.
    assert [(line["declaration_id"], line["quantity"], line["basis"]["amount"]) for line in claim["lines"]] == [
        (first_declaration, "60", "18000.00"),
        (second_declaration, "40", "12000.00"),
    ]
    assert claim["amount"] == {"amount": "3900.00", "currency": "CNY"}
    assert [(item["kind"], item["declaration_id"], item["quantity"]) for item in claim["missing"]] == [
        ("invoice", second_declaration, "20")
    ]
    stored = client.get(f"/api/v1/invoices/{created.json['id']}", headers=shop.world.headers["trade_operator"]).json
    assert (stored["lines"][0]["matched_quantity"], stored["fully_matched"]) == (100, True)
    assert stored["lines"][0]["matched_amount"] == {"amount": "30000.00", "currency": "CNY"}

    # Computing again matches nothing twice; a later invoice covers the 20 that were missing.
    again = compute(client, shop, "2026-09")
    assert [line["basis"]["amount"] for line in again[0]["lines"]] == ["18000.00", "12000.00"]
    invoice(client, shop, shop.world.trader_id, "26132000000000000012", "9000.00", 30)
    (after,) = compute(client, shop, "2026-09")
    assert [line["basis"]["amount"] for line in after["lines"]] == ["18000.00", "12000.00", "6000.00"]
    assert (after["missing"], after["amount"]["amount"]) == ([], "4680.00")
    with database.session() as session:
        assert session.scalar(select(func.sum(InvoiceMatch.quantity))) == 120
        assert session.scalar(select(func.count()).select_from(RebateClaim)) == 1


def test_a_claim_lists_what_is_missing_instead_of_guessing(client, factory, database):
    shop, sku = setup_trader(client, factory)
    unpaid, _ = cleared_export(client, shop, "M-1", sku, 10, "100.00")
    _, pending = cleared_export(client, shop, "M-2", sku, 10, "100.00", at=None)
    other_sku = trader_product(factory, shop, code="TR-2")
    with database.session() as session:
        from commerce.catalog.models import Product, Sku

        product = session.get(Product, session.get(Sku, other_sku).product_id)
        product.hs_code = "6110200000"
        session.add(product)
        session.commit()
    unrated, _ = cleared_export(client, shop, "M-3", other_sku, 10, "100.00")
    proceeds(client, shop, unrated, "1000.00", "B-3")

    (claim,) = compute(client, shop, "2026-09")

    assert [(item["kind"], item["order_id"]) for item in claim["missing"]] == [
        ("export_proceeds", unpaid),
        ("rebate_rate", None),
    ]
    assert claim["missing"][1]["message"] == "2026-09-10 没有商品编码 6110200000 的退税率。"
    assert (claim["lines"], claim["amount"]["amount"]) == ([], "0.00")
    # A declaration customs still has belongs to the month it was submitted in.
    (current,) = compute(client, shop, period_of(utcnow()))
    assert [(item["kind"], item["declaration_id"], item["line_no"]) for item in current["missing"]] == [
        ("clearance", pending, 1)
    ]
    filing = client.post(f"/api/v1/rebates/claims/{claim['id']}/file", headers=shop.world.headers["trade_operator"])
    assert (filing.status_code, filing.json["code"]) == (409, "claim_incomplete")
    first_month = client.post(
        "/api/v1/fx/customs-rates",
        headers=shop.world.headers["trade_operator"],
        json={"period": "2000-01", "currencies": ["USD"]},
    )
    assert (first_month.status_code, first_month.json["code"]) == (409, "exchange_rate_missing")
    platform = client.post(
        "/api/v1/rebates/claims",
        headers=shop.world.headers["trade_operator"],
        json={"period": "2026-09", "enterprise_id": shop.world.platform_id},
    )
    assert (platform.status_code, platform.json["code"]) == (422, "not_an_exporting_firm")


def test_the_exempt_credit_refund_method_carries_the_credit_over(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    rebate_rates(client, shop, [{"hs_code": HS, "rate": "0.09", "valid_from": "2026-01-01"}])
    profile = client.put(
        f"/api/v1/rebates/profiles/{shop.world.maker_a_id}",
        headers=shop.world.headers["sme_a"],
        json={"method": "exempt_credit_refund", "fx_basis": "month_start"},
    )
    assert profile.status_code == 200, profile.json
    parity = client.put(
        "/api/v1/fx/central-parity",
        headers=operator,
        json={
            "rates": [
                {"currency": "USD", "day": "2026-09-01", "cny_per_unit": "7.10"},
                {"currency": "USD", "day": "2026-10-01", "cny_per_unit": "7.20"},
                {"currency": "USD", "day": "2026-09-30", "cny_per_unit": "7.15"},
            ]
        },
    )
    assert parity.status_code == 200, parity.json
    # FOB USD 100,000 at 7.10 is RMB 710,000.
    order_id, declaration_id = cleared_export(client, shop, "E-1", shop.sweater_skus[0], 20, "5000.00")
    proceeds(client, shop, order_id, "100000.00", "B-E1")

    (missing_figures,) = compute(client, shop, "2026-09", shop.world.maker_a_id)
    assert [item["kind"] for item in missing_figures["missing"]] == ["vat_return"]
    vat = client.put(
        "/api/v1/rebates/vat-returns",
        headers=shop.world.headers["sme_a"],
        json={
            "enterprise_id": shop.world.maker_a_id,
            "period": "2026-09",
            "output_vat": {"amount": "26000.00", "currency": "CNY"},
            "input_vat": {"amount": "120000.00", "currency": "CNY"},
        },
    )
    assert vat.status_code == 200, vat.json
    (claim,) = compute(client, shop, "2026-09", shop.world.maker_a_id)

    figures = {name: claim[name]["amount"] for name in ("basis", "not_creditable", "tax_payable", "amount")}
    assert figures == {
        "basis": "710000.00",
        "not_creditable": "28400.00",
        "tax_payable": "-65600.00",
        "amount": "63900.00",
    }
    assert (claim["exempt_credit_refund"]["amount"], claim["credited_off"]["amount"]) == ("63900.00", "0.00")
    assert claim["carried_over"]["amount"] == "1700.00"
    assert [(line["declaration_id"], line["fx_rate"], line["rate"]) for line in claim["lines"]] == [
        (declaration_id, "7.1000", "0.09")
    ]
    filed = client.post(f"/api/v1/rebates/claims/{claim['id']}/file", headers=operator)
    assert filed.json["status"] == "filed"

    # October: the same FOB at 7.20 (RMB 720,000), input VAT 60,000, and the 1,700 carried in.
    order_id, _ = cleared_export(client, shop, "E-2", shop.sweater_skus[0], 10, "10000.00", at=OCTOBER)
    proceeds(client, shop, order_id, "100000.00", "B-E2")
    client.put(
        "/api/v1/rebates/vat-returns",
        headers=operator,
        json={
            "enterprise_id": shop.world.maker_a_id,
            "period": "2026-10",
            "output_vat": {"amount": "26000.00", "currency": "CNY"},
            "input_vat": {"amount": "60000.00", "currency": "CNY"},
        },
    )
    (october,) = compute(client, shop, "2026-10", shop.world.maker_a_id)
    # not creditable 28,800; payable 26,000 - 31,200 - 1,700 = -6,900; step 3 = 64,800.
    assert {name: october[name]["amount"] for name in ("carried_in", "tax_payable", "amount", "credited_off")} == {
        "carried_in": "1700.00",
        "tax_payable": "-6900.00",
        "amount": "6900.00",
        "credited_off": "57900.00",
    }


def test_an_agency_claim_is_filed_by_the_platform_for_the_makers_account(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    rebate_rates(client, shop, [{"hs_code": HS, "rate": "0.13", "valid_from": "2026-01-01"}])
    order_id, _ = cleared_export(client, shop, "A-1", shop.gloves_skus[0], 10, "50.00")
    proceeds(client, shop, order_id, "500.00", "B-A1")
    wrong = invoice(client, shop, shop.world.maker_b_id, "26132000000000000021", "3000.00", 10, kind="purchase")
    assert (wrong.status_code, wrong.json["code"]) == (422, "invoice_kind_mismatch")
    assert invoice(client, shop, shop.world.maker_b_id, "26132000000000000021", "3000.00", 10).json["kind"] == (
        "rebate_agency"
    )

    (claim,) = compute(client, shop, "2026-09")
    assert (claim["method"], claim["filed_by_enterprise_id"], claim["amount"]["amount"]) == (
        "agency",
        shop.world.platform_id,
        "390.00",
    )
    assert [item["kind"] for item in claim["missing"]] == ["rebate_account"]

    client.put(
        f"/api/v1/rebates/profiles/{shop.world.maker_b_id}",
        headers=shop.world.headers["sme_b"],
        json={"method": "agency", "account_bank": "Hebei Bank Qinghe", "account_no": "6222 0000 1111"},
    )
    (claim,) = compute(client, shop, "2026-09")
    assert (claim["refund_account"], claim["missing"]) == ("Hebei Bank Qinghe 6222 0000 1111", [])


def test_refunds_reconcile_with_the_ledger_and_are_recorded_once(client, factory, database):
    shop, sku = setup_trader(client, factory)
    operator = shop.world.headers["trade_operator"]
    order_id, _ = cleared_export(client, shop, "L-1", sku, 100, "700.00")
    proceeds(client, shop, order_id, "70000.00", "BANK-L1")
    invoice(client, shop, shop.world.trader_id, "26132000000000000031", "500000.00", 100)
    (claim,) = compute(client, shop, "2026-09")
    client.post(f"/api/v1/rebates/claims/{claim['id']}/file", headers=operator)

    def refund(amount, reference):
        return client.post(
            f"/api/v1/rebates/claims/{claim['id']}/refunds",
            headers=operator,
            json={
                "amount": {"amount": amount, "currency": "CNY"},
                "received_on": china_today(utcnow()).isoformat(),
                "reference": reference,
            },
        )

    assert refund("40000.00", "TAX-1").status_code == 201
    repeated = refund("40000.00", "TAX-1")
    too_much = refund("30000.00", "TAX-2")
    assert (repeated.status_code, repeated.json["refunded"]["amount"]) == (200, "40000.00")
    assert (too_much.status_code, too_much.json["code"]) == (409, "refund_exceeds_claim")
    finished = refund("25000.00", "TAX-3")
    assert (finished.json["status"], finished.json["refunded"]["amount"]) == ("refunded", "65000.00")

    ledger = client.get(f"/api/v1/rebates/ledger/{shop.world.trader_id}", headers=operator).json
    balances = ledger["balances"]
    assert (balances["claimed"]["amount"], balances["refunded"]["amount"], balances["receivable"]["amount"]) == (
        "65000.00",
        "65000.00",
        "0.00",
    )
    assert (balances["invoiced"]["amount"], balances["invoice_unmatched"]["amount"]) == ("500000.00", "0.00")
    assert balances["declared_fob"] == [{"amount": "70000.00", "currency": "USD"}]
    assert balances["proceeds_due"] == balances["proceeds_received"] == [{"amount": "70000.00", "currency": "USD"}]
    assert [(entry["kind"], entry["receivable"]["amount"]) for entry in ledger["entries"]] == [
        ("invoice", "0.00"),
        ("declaration", "0.00"),
        ("proceeds", "0.00"),
        ("claim", "65000.00"),
        ("refund", "25000.00"),
        ("refund", "0.00"),
    ]
    # Filed lines are never claimed again.
    assert compute(client, shop, "2026-09") == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(RebateClaimLine)) == 1


def test_a_firm_sees_only_its_own_invoices_and_claims(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    created = invoice(client, shop, shop.world.maker_a_id, "26132000000000000041", "100.00", 1)
    assert created.status_code == 201
    own = client.get("/api/v1/invoices", headers=shop.world.headers["sme_a"]).json["items"]
    theirs = client.get("/api/v1/invoices", headers=shop.world.headers["sme_b"]).json["items"]
    assert ([item["id"] for item in own], theirs) == ([created.json["id"]], [])
    hidden = client.get(f"/api/v1/invoices/{created.json['id']}", headers=shop.world.headers["sme_b"])
    assert hidden.status_code == 404
    ledger = client.get(f"/api/v1/rebates/ledger/{shop.world.maker_a_id}", headers=shop.world.headers["sme_b"])
    assert ledger.status_code == 404


def test_bad_invoices_are_refused_and_nothing_is_stored(client, factory, database):
    shop = open_shop(factory)
    body = {
        "enterprise_id": shop.world.maker_a_id,
        "number": "26132000000000000051",
        "issued_on": "2026-09-01",
        "amount_excl_vat": {"amount": "100.00", "currency": "CNY"},
        "vat_amount": {"amount": "13.00", "currency": "CNY"},
        "lines": [{"hs_code": HS, "quantity": 1, "amount": {"amount": "90.00", "currency": "CNY"}}],
    }
    headers = {**shop.world.headers["trade_operator"], "Accept-Language": "zh-CN"}
    answer = client.post("/api/v1/invoices", headers=headers, json=body)
    assert (answer.status_code, answer.json["code"]) == (422, "invoice_lines_do_not_add_up")
    assert "90" in answer.json["detail"] and "发票" in answer.json["detail"]
    dollars = {**body, "lines": [{**body["lines"][0], "amount": {"amount": "100.00", "currency": "USD"}}]}
    assert client.post("/api/v1/invoices", headers=headers, json=dollars).json["code"] == "currency_not_cny"
    balanced = {**body, "lines": [{**body["lines"][0], "amount": {"amount": "100.00", "currency": "CNY"}}]}
    association = client.post(
        "/api/v1/invoices", headers=headers, json={**balanced, "enterprise_id": shop.world.association_id}
    )
    assert association.json["code"] == "not_an_exporting_firm"
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(VatInvoice)) == 0


def _rate_file_xlsx(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_rates_load_from_csv_and_xlsx_all_or_nothing(client, factory, database):
    shop = open_shop(factory)
    admin = shop.world.headers["admin"]
    csv_file = b"hs_code,rate,valid_from,announcement\n6110120000,13%,2026-01-01,A\n6110200000,0.09,2026-01-01,A\n"
    loaded = client.post(
        "/api/v1/rebate-rates/imports", headers=admin, data={"file": (io.BytesIO(csv_file), "rates.csv")}
    )
    assert (loaded.status_code, loaded.json) == (200, {"recorded": 2})
    workbook = _rate_file_xlsx([["hs_code", "rate", "valid_from"], ["6110120000", "0", date(2026, 12, 1)]])
    assert client.post(
        "/api/v1/rebate-rates/imports", headers=admin, data={"file": (io.BytesIO(workbook), "rates.xlsx")}
    ).json == {"recorded": 1}
    bad = b"hs_code,rate,valid_from\n6110300000,0.13,2026-01-01\n611030,0.13,2026-01-01\n"
    refused = client.post("/api/v1/rebate-rates/imports", headers=admin, data={"file": (io.BytesIO(bad), "r.csv")})
    assert (refused.status_code, refused.json["code"]) == (422, "invalid_rate_file")
    assert "3" in refused.json["detail"]
    table = client.get("/api/v1/rebate-rates", headers=shop.world.headers["trade_operator"]).json["items"]
    assert [(item["hs_code"], item["rate"], item["valid_from"]) for item in table] == [
        ("6110120000", "0.13", "2026-01-01"),
        ("6110120000", "0", "2026-12-01"),
        ("6110200000", "0.09", "2026-01-01"),
    ]
    over = client.put(
        "/api/v1/rebate-rates",
        headers=admin,
        json={"rates": [{"hs_code": HS, "rate": "0.15", "valid_from": "2026-01-01"}]},
    )
    assert over.status_code == 422
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(RebateRate)) == 3


def test_amounts_the_columns_cannot_hold_are_refused_and_nothing_is_stored(client, factory, database):
    from commerce.rebates.models import CentralParityRate, ExportProceeds, VatReturn

    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    order_id = shipped_export_order(client, shop, "V-1", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])

    def money(amount, currency="CNY"):
        return {"amount": amount, "currency": currency}

    answers = [
        client.put(
            "/api/v1/rebates/vat-returns",
            headers=operator,
            json={
                "enterprise_id": shop.world.maker_a_id,
                "period": "2026-09",
                "output_vat": money("-1.00"),
                "input_vat": money("0"),
            },
        ),
        client.put(
            "/api/v1/fx/central-parity",
            headers=operator,
            json={"rates": [{"currency": "USD", "day": "2026-10-21", "cny_per_unit": "-7.1"}]},
        ),
        client.post(
            "/api/v1/rebates/proceeds",
            headers=operator,
            json={"order_id": order_id, "amount": money("0", "USD"), "received_on": "2026-10-01", "reference": "R"},
        ),
        invoice(client, shop, shop.world.maker_a_id, "26132000000000000071", "100.125", 1),
    ]

    assert [(answer.status_code, answer.json["code"]) for answer in answers] == [
        (422, "not_positive"),
        (422, "not_positive"),
        (422, "not_positive"),
        (422, "too_many_decimals"),
    ]
    with database.session() as session:
        for model in (VatReturn, CentralParityRate, ExportProceeds, VatInvoice):
            assert session.scalar(select(func.count()).select_from(model)) == 0


def test_a_trade_operator_of_another_cluster_reaches_none_of_this_ones_rebates(client, factory, database):
    shop, sku = setup_trader(client, factory)
    order, _ = cleared_export(client, shop, "T-X", sku, 100, "700.00")
    proceeds(client, shop, order, "70000.00", "BANK-X")
    filed_invoice = invoice(client, shop, shop.world.trader_id, "26132000000000000091", "500000.00", 100).json
    (claim,) = compute(client, shop, "2026-09")
    trader = shop.world.trader_id
    elsewhere = factory.cluster(name="安平丝网产业集群", industry="wire mesh", region_code="13112")
    their_platform = factory.enterprise(elsewhere.id, "service_platform", region_code="13112")
    stranger = factory.headers_for("trade_operator", their_platform.id)
    profile = {
        "method": "purchase",
        "fx_basis": "sale_date",
        "account_bank": "Evil Bank",
        "account_no": "6222000011112222",
    }

    answers = {
        "profile": client.get(f"/api/v1/rebates/profiles/{trader}", headers=stranger),
        "profile_put": client.put(f"/api/v1/rebates/profiles/{trader}", headers=stranger, json=profile),
        "invoice": client.get(f"/api/v1/invoices/{filed_invoice['id']}", headers=stranger),
        "invoice_new": client.post(
            "/api/v1/invoices",
            headers=stranger,
            json={
                "enterprise_id": trader,
                "number": "26132000000000000092",
                "issued_on": "2026-09-01",
                "amount_excl_vat": {"amount": "1.00", "currency": "CNY"},
                "vat_amount": {"amount": "0.00", "currency": "CNY"},
                "lines": [{"hs_code": HS, "quantity": 1, "amount": {"amount": "1.00", "currency": "CNY"}}],
            },
        ),
        "claim": client.get(f"/api/v1/rebates/claims/{claim['id']}", headers=stranger),
        "file": client.post(f"/api/v1/rebates/claims/{claim['id']}/file", headers=stranger),
        "compute_firm": client.post(
            "/api/v1/rebates/claims", headers=stranger, json={"period": "2026-09", "enterprise_id": trader}
        ),
        "ledger": client.get(f"/api/v1/rebates/ledger/{trader}", headers=stranger),
    }
    lists = {
        "invoices": client.get("/api/v1/invoices", headers=stranger).json["items"],
        "claims": client.get("/api/v1/rebates/claims", headers=stranger).json["items"],
        "computed": client.post("/api/v1/rebates/claims", headers=stranger, json={"period": "2026-09"}).json["items"],
    }

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 404)
    assert lists == {"invoices": [], "claims": [], "computed": []}
    mine = client.get(f"/api/v1/rebates/claims/{claim['id']}", headers=shop.world.headers["trade_operator"]).json
    assert (mine["status"], mine["amount"]) == ("draft", claim["amount"])
    kept = client.get(f"/api/v1/rebates/profiles/{trader}", headers=shop.world.headers["trade_operator"]).json
    assert kept.get("account_no") != "6222000011112222"
