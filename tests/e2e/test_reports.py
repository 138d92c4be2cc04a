"""Export statistics through the API: the summary rebuilt from declarations, outside exports and claims; the
report grouped any way, its local share, and its CSV and XLSX files."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from commerce.reports.models import ExportStatistic
from tests.e2e.test_customs import configure
from tests.e2e.test_rebates import cleared_export, compute, invoice, proceeds, rebate_rates, trader_product
from tests.factories import open_shop

HS = "6110120000"


def usd_rate(client, shop):
    answer = client.put(
        "/api/v1/customs/exchange-rates",
        headers=shop.world.headers["trade_operator"],
        json={"rates": [{"currency": "USD", "valid_from": "2026-09-01", "cny_per_unit": "7.1"}]},
    )
    assert answer.status_code == 200, answer.json


def refresh(client, shop, start="2026-09", end="2026-09"):
    answer = client.post(
        "/api/v1/reports/exports/refresh", headers=shop.world.headers["trade_operator"], json={"from": start, "to": end}
    )
    assert answer.status_code == 200, answer.json
    return answer.json["items"]


def report(client, headers, group_by, start="2026-09", end="2026-09", **params):
    answer = client.get(
        "/api/v1/reports/exports",
        headers=headers,
        query_string={"group_by": group_by, "from": start, "to": end, **params},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def september_exports(client, factory):
    """A 9610 parcel of maker A to the US (USD 113), a general-trade export of the trader to Germany
    (USD 70,000), and USD 1,000 maker A reports as exported through a Ningbo agent."""
    shop = open_shop(factory)
    configure(client, shop)
    usd_rate(client, shop)
    parcel, _ = cleared_export(client, shop, "S-1", shop.sweater_skus[0], 2, "56.50", mode="9610")
    sku = trader_product(factory, shop)
    general, _ = cleared_export(client, shop, "G-1", sku, 100, "700.00", destination_country="DE")
    outside = client.post(
        "/api/v1/reports/outside-exports",
        headers=shop.world.headers["sme_a"],
        json={
            "enterprise_id": shop.world.maker_a_id,
            "period": "2026-09",
            "fob": {"amount": "1000.00", "currency": "USD"},
            "agent_name": "宁波某货代",
            "destination_country": "US",
            "hs_code": HS,
        },
    )
    assert outside.status_code == 201, outside.json
    return shop, parcel, general, sku


def test_the_report_sums_declared_exports_and_the_local_share(client, factory, database):
    shop, *_ = september_exports(client, factory)
    assert [item["period"] for item in refresh(client, shop)] == ["2026-09"]
    operator = shop.world.headers["trade_operator"]

    by_country = report(client, operator, "month,country").json

    assert [
        (row["month"], row["country"], row["declarations"], row["quantity"], row["fob_cny"]["amount"])
        for row in by_country["rows"]
    ] == [("2026-09", "DE", 1, "100", "497000.00"), ("2026-09", "US", 1, "2", "802.30")]
    assert [row["fob_usd"] for row in by_country["rows"]] == [
        {"amount": "70000.00", "currency": "USD"},
        {"amount": "113.00", "currency": "USD"},
    ]
    # Local: 497,802.30 of 504,902.30 known (the 7,100 through the Ningbo agent is the rest).
    assert by_country["local_share"] == "0.9859"
    assert by_country["rows"][1]["outside_fob_cny"]["amount"] == "7100.00"
    assert by_country["rows"][1]["local_share"] == "0.1015"
    assert by_country["totals"]["fob_cny"]["amount"] == "497802.30"
    assert by_country["stale_periods"] == []

    by_firm = report(client, operator, "enterprise,customs_mode").json["rows"]
    assert [(row["enterprise_name"], row["customs_mode"], row["fob_usd"]["amount"]) for row in by_firm] == [
        ("Maker A", None, "0.00"),
        ("Maker A", "9610", "113.00"),
        ("Trader C", "0110", "70000.00"),
    ]
    by_chapter = report(client, operator, "hs_chapter,region,cluster").json["rows"]
    assert [(row["hs_chapter"], row["region"], row["declarations"]) for row in by_chapter] == [("61", "13059", 2)]
    assert by_chapter[0]["cluster_id"] == shop.world.cluster_id


def test_an_outside_export_taken_back_leaves_the_local_share(client, factory, database):
    shop, *_ = september_exports(client, factory)
    (reported,) = client.get(
        "/api/v1/reports/outside-exports", headers=shop.world.headers["sme_a"], query_string={"period": "2026-09"}
    ).json["items"]
    assert (reported["agent_name"], reported["fob"]) == ("宁波某货代", {"amount": "1000.00", "currency": "USD"})
    others = client.delete(f"/api/v1/reports/outside-exports/{reported['id']}", headers=shop.world.headers["sme_b"])
    assert others.status_code == 404

    taken_back = client.delete(f"/api/v1/reports/outside-exports/{reported['id']}", headers=shop.world.headers["sme_a"])

    assert taken_back.status_code == 204
    assert report(client, shop.world.headers["trade_operator"], "month").json["local_share"] == "1.0000"


def test_a_firm_sees_its_own_exports_only(client, factory, database):
    shop, *_ = september_exports(client, factory)
    refresh(client, shop)

    own = report(client, shop.world.headers["sme_a"], "enterprise").json
    assert [(row["enterprise_id"], row["fob_cny"]["amount"]) for row in own["rows"]] == [
        (shop.world.maker_a_id, "802.30")
    ]
    assert own["local_share"] == "0.1015"
    assert report(client, shop.world.headers["sme_b"], "enterprise").json["rows"] == []
    host = client.get(
        "/api/v1/reports/exports", headers=shop.world.headers["host"], query_string={"from": "2026-09", "to": "2026-09"}
    )
    assert host.status_code == 403


def test_rebates_claimed_and_received_appear_once_the_claim_is_filed(client, factory, database):
    shop, _, general, _ = september_exports(client, factory)
    operator = shop.world.headers["trade_operator"]
    rebate_rates(client, shop, [{"hs_code": HS, "rate": "0.13", "valid_from": "2026-01-01"}])
    proceeds(client, shop, general, "70000.00", "BANK-G1")
    invoice(client, shop, shop.world.trader_id, "26132000000000000061", "500000.00", 100)
    (claim,) = compute(client, shop, "2026-09", shop.world.trader_id)
    refresh(client, shop)
    assert report(client, operator, "enterprise").json["totals"]["rebate_claimed"]["amount"] == "0.00"

    client.post(f"/api/v1/rebates/claims/{claim['id']}/file", headers=operator)
    client.post(
        f"/api/v1/rebates/claims/{claim['id']}/refunds",
        headers=operator,
        json={"amount": {"amount": "20000.00", "currency": "CNY"}, "received_on": "2026-11-20", "reference": "T-1"},
    )
    refresh(client, shop)
    rows = report(client, operator, "enterprise,country").json["rows"]
    trader = [row for row in rows if row["enterprise_name"] == "Trader C"]
    assert [(row["country"], row["rebate_claimed"]["amount"], row["rebate_received"]["amount"]) for row in trader] == [
        ("DE", "65000.00", "20000.00")
    ]


def test_the_report_downloads_as_csv_and_xlsx(client, factory, database):
    shop, *_ = september_exports(client, factory)
    refresh(client, shop)
    operator = shop.world.headers["trade_operator"]

    as_csv = report(client, operator, "country", format="csv")
    assert as_csv.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    assert rows[0] == [
        "country",
        "declarations",
        "quantity",
        "fob_cny",
        "fob_usd",
        "outside_fob_cny",
        "rebate_claimed",
        "rebate_received",
        "local_share",
    ]
    assert rows[1:] == [
        ["DE", "1", "100", "497000", "70000", "0", "0", "0", "1"],
        ["US", "1", "2", "802.30", "113", "7100", "0", "0", "0.1015"],
    ]
    as_xlsx = report(client, operator, "country", format="xlsx")
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["country", "declarations", "quantity"]
    assert [(row[0], row[3]) for row in values[1:]] == [("DE", 497000), ("US", 802.3)]


def test_bad_report_requests_are_refused_and_nothing_changes(client, factory, database):
    shop = open_shop(factory)
    operator = shop.world.headers["trade_operator"]
    unknown = client.get(
        "/api/v1/reports/exports",
        headers=operator,
        query_string={"group_by": "planet", "from": "2026-01", "to": "2026-02"},
    )
    assert (unknown.status_code, unknown.json["errors"][0]["field"]) == (422, "group_by")
    backwards = client.post(
        "/api/v1/reports/exports/refresh", headers=operator, json={"from": "2026-09", "to": "2026-01"}
    )
    assert (backwards.status_code, backwards.json["code"]) == (422, "period_range_invalid")
    unrated = client.post(
        "/api/v1/reports/outside-exports",
        headers=operator,
        json={
            "enterprise_id": shop.world.maker_a_id,
            "period": "2026-09",
            "fob": {"amount": "10.00", "currency": "EUR"},
            "agent_name": "x",
        },
    )
    assert (unrated.status_code, unrated.json["code"]) == (422, "exchange_rate_missing")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ExportStatistic)) == 0


def test_the_dashboard_answers_formatted_figures_in_the_callers_language(client, factory, database):
    shop, *_ = september_exports(client, factory)
    refresh(client, shop)
    headers = {**shop.world.headers["brand_admin"], "Accept-Language": "en"}

    board = client.get("/api/v1/reports/dashboard", headers=headers, query_string={"from": "2026-08", "to": "2026-09"})

    assert board.status_code == 200, board.json
    body = board.json
    assert (body["from"], body["to"], body["range_text"]) == ("2026-08", "2026-09", "Aug 2026 – Sep 2026")
    assert body["headline"]["fob_usd"] == {"value": "70113.00", "text": "$70,113.00"}
    assert body["headline"]["local_share"] == {"value": "0.9859", "text": "98.6%"}
    assert body["headline"]["declarations"] == {"value": "2", "text": "2"}
    assert [(bar["key"], bar["label"], bar["text"]) for bar in body["charts"]["month"]] == [
        ("2026-08", "Aug 2026", "$0.00"),
        ("2026-09", "Sep 2026", "$70,113.00"),
    ]
    assert [(bar["key"], bar["label"]) for bar in body["charts"]["country"]] == [
        ("DE", "Germany"),
        ("US", "United States"),
    ]
    assert body["stale_periods"] == ["2026-08"]
    chinese = client.get(
        "/api/v1/reports/dashboard",
        headers={**headers, "Accept-Language": "zh-CN"},
        query_string={"from": "2026-09", "to": "2026-09"},
    ).json
    assert (chinese["headline"]["fob_cny"]["text"], chinese["charts"]["country"][0]["label"]) == ("¥497,802.30", "德国")


def test_exports_sold_in_a_stream_are_counted_under_that_stream(client, factory, database):
    from tests.e2e.test_streams import live_stream

    shop = open_shop(factory)
    configure(client, shop)
    usd_rate(client, shop)
    lineup = live_stream(client, shop)
    stream_id = lineup["id"]
    operator = shop.world.headers["trade_operator"]
    order = client.post(
        "/api/v1/orders",
        headers=shop.world.headers["host"],
        json={
            "channel": "douyin",
            "external_id": "LIVE-1",
            "stream_id": stream_id,
            "buyer": {"id": "b-9", "name": "Bob", "country": "US"},
            "currency": "CNY",
            "lines": [{"sku_id": shop.gloves_skus[0], "quantity": 2}],
            "export": {"customs_mode": "9610", "destination_country": "US", "waybill_no": "WB-LIVE-1"},
        },
    )
    assert order.status_code == 201, order.json
    for status in ("paid", "shipped"):
        client.post(f"/api/v1/orders/{order.json['id']}/status", headers=operator, json={"status": status})
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    client.post(
        f"/api/v1/customs/batches/{batch['id']}/receipts",
        headers=operator,
        json={
            "declaration_id": batch["declarations"][0]["id"],
            "status": "cleared",
            "at": "2026-09-15T04:00:00+00:00",
        },
    )
    refresh(client, shop)

    rows = report(client, operator, "stream,customs_mode").json["rows"]

    # Gloves at CNY 89.50: 2 units, CNY 179.00, USD 25.21 at customs' 7.1.
    assert [
        (row["stream_id"], row["customs_mode"], row["fob_cny"]["amount"], row["fob_usd"]["amount"]) for row in rows
    ] == [(stream_id, "9610", "179.00", "25.21")]


def test_a_name_written_as_a_formula_is_exported_as_text(client, factory, database):
    shop, *_ = september_exports(client, factory)
    formula = '=HYPERLINK("http://evil.example/x","Click me")'
    renamed = client.patch(
        f"/api/v1/enterprises/{shop.world.maker_a_id}", headers=shop.world.headers["sme_a"], json={"name": formula}
    )
    assert renamed.status_code == 200, renamed.json
    refresh(client, shop)
    operator = shop.world.headers["trade_operator"]

    as_csv = report(client, operator, "enterprise", format="csv")
    as_xlsx = report(client, operator, "enterprise", format="xlsx")

    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    names = [row[rows[0].index("enterprise_name")] for row in rows[1:]]
    assert "'" + formula in names and formula not in names
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    cells = [row[1] for row in sheet.iter_rows(min_row=2)]
    (cell,) = [cell for cell in cells if cell.value == formula]
    assert cell.data_type == "s"
