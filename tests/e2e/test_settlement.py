"""Settlement worked by hand: a stream of three firms with refunds, the host's commission and the
platform's fee, split into each firm's statement to the cent; a settled month never changes."""

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from commerce.actors import Actor, Role
from commerce.db import write_transaction
from commerce.settlement import statements
from commerce.settlement.models import StatementLine
from tests.e2e.test_after_sales import _request, _step
from tests.e2e.test_streams import put_lineup, schedule, stream_order
from tests.factories import open_shop, sku_payload

AFTER_THE_MONTH = datetime(2027, 1, 2, tzinfo=UTC)


class Stream:
    """The scene: maker A's scarf, maker B's gloves and trader C's cap sold in one stream, shipped,
    two of them partly refunded; the host takes 20% (10% on the gloves), the platform 5% of maker
    A's sales and 3% of maker B's."""

    def __init__(self, client, factory):
        shop = self.shop = open_shop(factory)
        world = shop.world
        self.client = client
        self.headers = world.headers
        cap = factory.product(world.trader_id, status="approved", skus=[sku_payload("CAP-1", 50, "120.00")])
        self.cap_sku = client.get(f"/api/v1/products/{cap.id}", headers=world.headers["trade_operator"]).json["skus"][
            0
        ]["id"]
        host = world.headers["host"]
        stream = schedule(client, host)
        lineup = [
            {"product_id": shop.scarf_id, "live_price": {"amount": "159.00", "currency": "CNY"}},
            {"product_id": shop.gloves_id},
            {"product_id": cap.id},
        ]
        assert put_lineup(client, host, stream["id"], lineup).status_code == 200
        assert client.post(f"/api/v1/streams/{stream['id']}/start", headers=host).status_code == 200
        self.stream_id = stream["id"]
        self.agreements = [
            self.agree(kind="host_commission", host_user_id=world.user_ids["host"], rate="0.20"),
            self.agree(
                kind="host_commission", host_user_id=world.user_ids["host"], product_id=shop.gloves_id, rate="0.10"
            ),
            self.agree(kind="platform_fee", enterprise_id=world.maker_a_id, rate="0.05"),
            self.agree(kind="platform_fee", enterprise_id=world.maker_b_id, rate="0.03"),
        ]
        self.scarf = self.sold("S-1", shop.scarf_skus[0], 2)
        self.gloves = self.sold("S-2", shop.gloves_skus[0], 3)
        # A marketplace order number that looks like a formula to a spreadsheet program.
        self.cap = self.sold("=1+2", self.cap_sku, 1)
        back = _request(client, host, self.scarf, self.scarf["lines"][0], "return_and_refund", quantity=1).json
        for step, body in (
            ("approve", {}),
            ("receive", {}),
            ("inspect", {"restocked": 1, "written_off": 0}),
            ("refund", {}),
        ):
            assert _step(client, self.headers["sme_a"], back, step, **body).status_code == 200
        cut = _request(client, host, self.gloves, self.gloves["lines"][0], "partial_refund", amount="26.85").json
        for step in ("approve", "refund"):
            assert _step(client, self.headers["sme_b"], cut, step).status_code == 200
        self.refunds = {"scarf": back["id"], "gloves": cut["id"]}

    def agree(self, **body):
        body = {"cluster_id": self.shop.world.cluster_id, "valid_from": "2026-01-01", **body}
        answer = self.client.post("/api/v1/settlement/agreements", headers=self.headers["trade_operator"], json=body)
        assert answer.status_code == 201, answer.json
        return answer.json

    def sold(self, external_id, sku_id, quantity):
        order = stream_order(self.client, self.shop, self.stream_id, external_id, sku_id, quantity)
        assert order.status_code == 201, order.json
        for status in ("paid", "shipped"):
            url = f"/api/v1/orders/{order.json['id']}/status"
            assert self.client.post(url, headers=self.headers["host"], json={"status": status}).status_code == 200
        return order.json


@pytest.fixture
def stream(client, factory):
    return Stream(client, factory)


def _figures(statement):
    return tuple(
        statement[name]["amount"]
        for name in ("gross", "refunds", "host_commission", "platform_fee", "marketplace_fees", "net_payable")
    )


def _compute(client, headers, period="2026-12", **body):
    return client.post("/api/v1/settlement/statements", headers=headers, json={"period": period, **body})


def test_a_stream_of_three_firms_is_split_into_their_statements_to_the_cent(client, stream):
    world = stream.shop.world
    computed = _compute(client, stream.headers["trade_operator"])
    assert computed.status_code == 201, computed.json
    by_firm = {item["enterprise_id"]: item for item in computed.json["items"]}
    assert sorted(by_firm) == sorted([world.maker_a_id, world.maker_b_id, world.trader_id])
    # Maker A: 2 x 159.00 sold, one returned; 20% to the host and 5% to the platform, each given
    # back on the refunded 159.00.
    assert _figures(by_firm[world.maker_a_id]) == ("318.00", "-159.00", "-31.80", "-7.95", "0.00", "119.25")
    # Maker B: 3 x 89.50, 26.85 back; the host's 10% on gloves (2.685 back rounds to 2.69), the platform's 3%.
    assert _figures(by_firm[world.maker_b_id]) == ("268.50", "-26.85", "-24.16", "-7.25", "0.00", "210.24")
    # Trader C: no fee agreed, the host's 20%.
    assert _figures(by_firm[world.trader_id]) == ("120.00", "0.00", "-24.00", "0.00", "0.00", "96.00")
    assert [(item["status"], item["period"], item["currency"], item["lines"]) for item in by_firm.values()] == [
        ("draft", "2026-12", "CNY", 2),
        ("draft", "2026-12", "CNY", 2),
        ("draft", "2026-12", "CNY", 1),
    ]
    lines = client.get(
        f"/api/v1/settlement/statements/{by_firm[world.maker_b_id]['id']}/lines", headers=stream.headers["sme_b"]
    ).json["items"]
    gloves_line = stream.gloves["lines"][0]["id"]
    assert {(line["order_id"], line["channel"], line["external_id"]) for line in lines} == {
        (stream.gloves["id"], "douyin", "S-2")
    }
    host_agreement, platform_agreement = stream.agreements[1]["id"], stream.agreements[3]["id"]
    assert [
        (
            line["kind"],
            line["order_line_id"],
            line["after_sale_id"],
            line["amount"]["amount"],
            line["host_agreement_id"],
            line["host_rate"],
            line["host_commission"]["amount"],
            line["platform_agreement_id"],
            line["platform_rate"],
            line["platform_fee"]["amount"],
            line["net"]["amount"],
        )
        for line in lines
    ] == [
        (
            "sale",
            gloves_line,
            None,
            "268.50",
            host_agreement,
            "0.1000",
            "-26.85",
            platform_agreement,
            "0.0300",
            "-8.06",
            "233.59",
        ),
        (
            "refund",
            gloves_line,
            stream.refunds["gloves"],
            "-26.85",
            host_agreement,
            "0.1000",
            "2.69",
            platform_agreement,
            "0.0300",
            "0.81",
            "-23.35",
        ),
    ]


def test_computing_again_changes_nothing_and_each_source_is_settled_once(client, database, stream):
    first = _compute(client, stream.headers["trade_operator"]).json["items"]
    again = _compute(client, stream.headers["trade_operator"]).json["items"]
    assert [(item["id"], _figures(item), item["lines"]) for item in again] == [
        (item["id"], _figures(item), item["lines"]) for item in first
    ]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(StatementLine)) == 5


def _lines(database) -> list[tuple]:
    with database.session() as session:
        return session.execute(select(StatementLine.__table__).order_by(StatementLine.id)).all()


def test_the_database_keeps_each_line_adding_up_whoever_writes(client, database, stream):
    _compute(client, stream.headers["trade_operator"])
    before = _lines(database)
    sale = next(line for line in before if line.kind == "sale" and line.host_agreement_id is not None)
    for values in (
        {"net": sale.net + Decimal("0.01")},
        {"host_commission": sale.host_commission - Decimal("0.01")},
        {"host_agreement_id": None},
        {"platform_rate": None},
        {"after_sale_id": 7},
        {"kind": "refund"},
        {"kind": "host_commission"},
    ):
        with database.session() as session, pytest.raises(IntegrityError), write_transaction(session):
            session.execute(update(StatementLine).where(StatementLine.id == sale.id).values(**values))
    # A source is settled once.
    again = {name: value for name, value in sale._asdict().items() if name != "id"}
    with (
        database.session() as session,
        pytest.raises(IntegrityError, match="settlement_line_once|UNIQUE"),
        write_transaction(session),
    ):
        session.execute(insert(StatementLine).values(again))
    assert _lines(database) == before


def test_an_approved_month_never_changes_and_what_came_late_goes_to_the_next(client, database, stream, session):
    world = stream.shop.world
    operator = Actor(
        user_id=world.user_ids["trade_operator"], role=Role.TRADE_OPERATOR, enterprise_id=world.platform_id
    )
    december = {
        item["enterprise_id"]: item for item in _compute(client, stream.headers["trade_operator"]).json["items"]
    }
    statement_id = december[world.trader_id]["id"]
    early = client.post(
        f"/api/v1/settlement/statements/{statement_id}/approve", headers=stream.headers["trade_operator"]
    )
    assert (early.status_code, early.json["code"]) == (409, "period_not_over")
    unpaid = client.post(
        f"/api/v1/settlement/statements/{statement_id}/paid",
        headers=stream.headers["trade_operator"],
        json={"paid_on": "2027-01-05", "reference": "BANK-1"},
    )
    assert (unpaid.status_code, unpaid.json["code"]) == (409, "statement_not_approved")
    approved = statements.approve_statement(session, actor=operator, statement_id=statement_id, now=AFTER_THE_MONTH)
    assert (approved.status, approved.approved_at) == ("approved", AFTER_THE_MONTH)

    # The cap comes back after the month was settled: December stays as approved, January takes the refund.
    cap = stream.cap
    back = _request(client, stream.headers["host"], cap, cap["lines"][0], "partial_refund", amount="12.00").json
    for step in ("approve", "refund"):
        assert _step(client, stream.headers["trade_operator"], back, step).status_code == 200
    again = {item["enterprise_id"]: item for item in _compute(client, stream.headers["trade_operator"]).json["items"]}
    assert world.trader_id not in again
    trader_december = client.get(
        f"/api/v1/settlement/statements/{statement_id}", headers=stream.headers["trade_operator"]
    )
    assert _figures(trader_december.json) == ("120.00", "0.00", "-24.00", "0.00", "0.00", "96.00")
    january = _compute(client, stream.headers["trade_operator"], period="2027-01", enterprise_id=world.trader_id)
    assert [(_figures(item), item["lines"]) for item in january.json["items"]] == [
        (("0.00", "-12.00", "2.40", "0.00", "0.00", "-9.60"), 1)
    ]
    paid = client.post(
        f"/api/v1/settlement/statements/{statement_id}/paid",
        headers=stream.headers["trade_operator"],
        json={"paid_on": "2027-01-05", "reference": "BANK-1"},
    )
    assert (paid.json["status"], paid.json["paid_on"], paid.json["payment_reference"]) == (
        "paid",
        "2027-01-05",
        "BANK-1",
    )


def test_each_firm_sees_only_its_own_statements(client, factory, stream):
    factory.far_cluster(stream.shop.world)
    world, headers = stream.shop.world, stream.headers
    computed = {item["enterprise_id"]: item["id"] for item in _compute(client, headers["trade_operator"]).json["items"]}

    def seen(caller):
        answer = client.get("/api/v1/settlement/statements", headers=headers[caller])
        return (
            [item["enterprise_id"] for item in answer.json["items"]]
            if answer.status_code == 200
            else answer.status_code
        )

    assert seen("sme_a") == [world.maker_a_id]
    assert seen("sme_b") == [world.maker_b_id]
    assert seen("trade_operator_far") == []
    assert seen("host") == 403
    assert (
        client.get(f"/api/v1/settlement/statements/{computed[world.maker_a_id]}", headers=headers["sme_b"]).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/settlement/statements/{computed[world.maker_a_id]}/lines", headers=headers["sme_far"]
        ).status_code
        == 404
    )
    refused = _compute(client, headers["trade_operator_far"], enterprise_id=world.maker_a_id)
    assert refused.status_code == 404
    for firm, code in ((999_999, "unknown_reference"), (world.association_id, "wrong_enterprise_kind")):
        answer = _compute(client, headers["admin"], enterprise_id=firm)
        assert (answer.status_code, answer.json["code"]) == (422, code)
    assert _compute(client, headers["sme_a"]).status_code == 403
    for period in ("0000-01", "9999-12", "2026-13", "2026-1"):
        assert _compute(client, headers["trade_operator"], period=period).status_code == 422, period
    far = client.post(
        "/api/v1/settlement/agreements",
        headers=headers["trade_operator_far"],
        json={
            "kind": "platform_fee",
            "cluster_id": world.cluster_id,
            "enterprise_id": world.maker_a_id,
            "rate": "0.5",
            "valid_from": "2026-01-01",
        },
    )
    assert far.status_code == 404


def test_bad_agreements_are_refused_and_nothing_is_written(client, stream, database):
    world, headers = stream.shop.world, stream.headers
    before = client.get("/api/v1/settlement/agreements", headers=headers["trade_operator"]).json["items"]
    cases = [
        ({"kind": "platform_fee", "enterprise_id": world.maker_a_id, "rate": "1.0"}, "validation_error"),
        ({"kind": "platform_fee", "enterprise_id": world.maker_a_id, "rate": "0.12345"}, "too_many_decimals"),
        ({"kind": "platform_fee", "enterprise_id": 999_999, "rate": "0.1"}, "unknown_reference"),
        ({"kind": "platform_fee", "enterprise_id": world.association_id, "rate": "0.1"}, "wrong_enterprise_kind"),
        ({"kind": "host_commission", "host_user_id": world.user_ids["sme_a"], "rate": "0.1"}, "unknown_reference"),
        (
            {
                "kind": "host_commission",
                "host_user_id": world.user_ids["host"],
                "enterprise_id": world.maker_a_id,
                "rate": "0.1",
            },
            "validation_error",
        ),
        (
            {"kind": "platform_fee", "enterprise_id": world.maker_a_id, "rate": "0.1", "valid_to": "2025-12-31"},
            "validation_error",
        ),
    ]
    for body, code in cases:
        answer = client.post(
            "/api/v1/settlement/agreements",
            headers=headers["trade_operator"],
            json={"cluster_id": world.cluster_id, "valid_from": "2026-01-01", **body},
        )
        assert (answer.status_code, answer.json["code"]) == (422, code), body
    assert client.get("/api/v1/settlement/agreements", headers=headers["trade_operator"]).json["items"] == before


def _sheet_rows(body: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(body))
    return [tuple(cell.value for cell in row) for row in workbook.worksheets[0].iter_rows()]


def test_a_statement_file_in_either_language_holds_its_figures_and_every_line(client, stream):
    world = stream.shop.world
    computed = {
        item["enterprise_id"]: item for item in _compute(client, stream.headers["trade_operator"]).json["items"]
    }
    maker_b, trader = computed[world.maker_b_id], computed[world.trader_id]
    gloves_line = stream.gloves["lines"][0]["id"]

    english = client.get(
        f"/api/v1/settlement/statements/{maker_b['id']}/file?format=xlsx&lang=en", headers=stream.headers["sme_b"]
    )
    assert english.status_code == 200
    assert english.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert english.headers["Content-Disposition"] == (
        f'attachment; filename="statement-2026-12-{world.maker_b_id}-CNY.xlsx"'
    )
    rows = _sheet_rows(english.data)
    assert rows[0][0] == "Statement of 2026-12"
    assert [row[:2] for row in rows[3:6]] == [("Period", "2026-12"), ("Currency", "CNY"), ("Status", "Draft")]
    start = next(index for index, row in enumerate(rows) if row[0] == "Sales")
    assert [row[:2] for row in rows[start : start + 6]] == [
        ("Sales", 268.5),
        ("Refunds", -26.85),
        ("Marketplace fees", 0),
        ("Host commission", -24.16),
        ("Platform fee", -7.25),
        ("Net payable", 210.24),
    ]
    assert rows[start + 7][:4] == ("Date", "Kind", "Channel", "Order")
    assert [row[1:] for row in rows[start + 8 :]] == [
        ("Sale", "douyin", "S-2", gloves_line, None, stream.stream_id, 268.5, 0.1, -26.85, 0.03, -8.06, 233.59),
        (
            "Refund",
            "douyin",
            "S-2",
            gloves_line,
            stream.refunds["gloves"],
            stream.stream_id,
            -26.85,
            0.1,
            2.69,
            0.03,
            0.81,
            -23.35,
        ),
    ]

    chinese = client.get(
        f"/api/v1/settlement/statements/{trader['id']}/file",
        headers={**stream.headers["trade_operator"], "Accept-Language": "zh-CN"},
    )
    rows = _sheet_rows(chinese.data)
    assert rows[0][0] == "2026-12 结算单"
    line = rows[-1]
    # The order number stays text: a spreadsheet program shows it and computes nothing.
    assert line[1:4] == ("销售", "douyin", "=1+2")
    sheet = load_workbook(io.BytesIO(chinese.data)).worksheets[0]
    assert sheet.cell(row=len(rows), column=4).data_type == "s"

    pdf = client.get(
        f"/api/v1/settlement/statements/{maker_b['id']}/file?format=pdf&lang=zh-CN", headers=stream.headers["sme_b"]
    )
    assert (pdf.status_code, pdf.headers["Content-Type"]) == (200, "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for expected in ("2026-12 结算单", "应付净额", "¥210.24", "¥233.59", "-¥23.35", "S-2"):
        assert expected in text, expected
    english_pdf = client.get(
        f"/api/v1/settlement/statements/{maker_b['id']}/file?format=pdf&lang=en", headers=stream.headers["sme_b"]
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(english_pdf.data)).pages)
    for expected in ("Statement of 2026-12", "Net payable", "CN¥210.24", "10.0%", "3.0%"):
        assert expected in text, expected


def test_a_statement_file_is_its_firms_own(client, stream):
    world = stream.shop.world
    computed = {
        item["enterprise_id"]: item for item in _compute(client, stream.headers["trade_operator"]).json["items"]
    }
    other = f"/api/v1/settlement/statements/{computed[world.maker_a_id]['id']}/file"
    refused = client.get(other, headers={**stream.headers["sme_b"], "Accept-Language": "zh-CN"})
    assert (refused.status_code, refused.json["code"]) == (404, "not_found")
    wrong = client.get(f"{other}?format=docx", headers=stream.headers["trade_operator"])
    assert (wrong.status_code, wrong.json["code"]) == (422, "validation_error")


def test_each_host_sees_their_commission_and_the_platform_its_account(client, stream, session):
    world = stream.shop.world
    computed = {
        item["enterprise_id"]: item for item in _compute(client, stream.headers["trade_operator"]).json["items"]
    }
    host_view = client.get("/api/v1/settlement/commissions?period=2026-12", headers=stream.headers["host"])
    assert host_view.status_code == 200, host_view.json
    # The stream's lines with a commission: scarf 318.00 - 159.00, gloves 268.50 - 26.85, cap 120.00;
    # the commission 31.80 + 24.16 + 24.00, none of it on a statement approved yet.
    assert [
        (
            item["host_user_id"],
            item["stream_id"],
            item["currency"],
            item["sales"]["amount"],
            item["commission"]["amount"],
            item["settled"]["amount"],
        )
        for item in host_view.json["items"]
    ] == [(world.user_ids["host"], stream.stream_id, "CNY", "520.65", "79.96", "0.00")]

    operator = Actor(
        user_id=world.user_ids["trade_operator"], role=Role.TRADE_OPERATOR, enterprise_id=world.platform_id
    )
    statements.approve_statement(
        session, actor=operator, statement_id=computed[world.maker_b_id]["id"], now=AFTER_THE_MONTH
    )
    paid = client.post(
        f"/api/v1/settlement/statements/{computed[world.maker_b_id]['id']}/paid",
        headers=stream.headers["trade_operator"],
        json={"paid_on": "2027-01-05", "reference": "BANK-1"},
    )
    assert paid.status_code == 200, paid.json
    staff_view = client.get("/api/v1/settlement/commissions?period=2026-12", headers=stream.headers["trade_operator"])
    assert [(item["commission"]["amount"], item["settled"]["amount"]) for item in staff_view.json["items"]] == [
        ("79.96", "24.16")
    ]

    account = client.get("/api/v1/settlement/account?period=2026-12", headers=stream.headers["trade_operator"])
    assert account.status_code == 200, account.json
    # Buyers paid 706.50 less 185.85 refunded; maker B was paid its 210.24, makers A and C are owed
    # 119.25 + 96.00; the host 79.96; the platform keeps 7.95 + 7.25. What it holds adds up.
    names = ("collected", "marketplace_fees", "paid_to_firms", "owed_to_firms", "owed_to_hosts", "platform_fee", "held")
    assert [(item["currency"], *(item[name]["amount"] for name in names)) for item in account.json["items"]] == [
        ("CNY", "520.65", "0.00", "210.24", "215.25", "79.96", "15.20", "310.41")
    ]
    assert Decimal("520.65") - Decimal("210.24") == Decimal("310.41")


def test_commissions_and_the_account_stay_within_reach(client, factory, stream):
    factory.far_cluster(stream.shop.world)
    _compute(client, stream.headers["trade_operator"])
    for caller, path in (
        ("trade_operator_far", "/api/v1/settlement/commissions?period=2026-12"),
        ("trade_operator_far", "/api/v1/settlement/account?period=2026-12"),
    ):
        answer = client.get(path, headers=stream.headers[caller])
        assert (answer.status_code, answer.json["items"]) == (200, [])
    other_host = client.get("/api/v1/settlement/commissions?period=2026-12", headers=stream.headers["host_far"])
    assert (other_host.status_code, other_host.json["items"]) == (200, [])
    asked_for_another = client.get(
        f"/api/v1/settlement/commissions?period=2026-12&host_user_id={stream.shop.world.user_ids['host']}",
        headers=stream.headers["host_far"],
    )
    assert (asked_for_another.status_code, asked_for_another.json["items"]) == (200, [])
    firm = client.get(
        "/api/v1/settlement/account?period=2026-12", headers={**stream.headers["sme_a"], "Accept-Language": "zh-CN"}
    )
    assert (firm.status_code, firm.json["code"]) == (403, "forbidden")
    for path in ("/api/v1/settlement/account?period=2026-13", "/api/v1/settlement/commissions"):
        wrong = client.get(path, headers=stream.headers["trade_operator"])
        assert (wrong.status_code, wrong.json["code"]) == (422, "validation_error")
