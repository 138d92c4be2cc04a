"""The trade service's rebate pages in a real headless Chromium: invoices, proceeds, claims, refunds, the ledger."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browsing import PHONE, local_only, no_text_squeezed, serious_accessibility_problems, sign_in
from tests.e2e.test_rebates import cleared_export, setup_trader

pytestmark = pytest.mark.browser


def test_an_operator_records_an_invoice_and_proceeds_then_computes_files_and_is_refunded_a_claim(
    live_server, browser_page, client, factory
):
    shop, sku = setup_trader(client, factory)
    order_id, _declaration = cleared_export(client, shop, "T-9", sku, 100, "700.00")
    page = browser_page
    outside = local_only(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/trade/invoices?lang=en")
    sign_in(page, "trade_operator@example.com")
    expect(page.locator("#nothing")).to_be_visible()
    form = page.locator("#record")
    form.locator("select[name=enterprise_id]").select_option(label="Trader C")
    form.locator("input[name=number]").fill("26132000000000000001")
    form.locator("input[name=issued_on]").fill("2026-09-01")
    form.locator("input[name=amount_excl_vat]").fill("500000.00")
    form.locator("input[name=vat_amount]").fill("65000.00")
    line = page.locator("#invoice-lines tbody tr").first
    line.locator("[name=hs_code]").fill("6110120000")
    line.locator("[name=quantity]").fill("100")
    line.locator("[name=amount]").fill("500000.00")
    form.locator("button[type=submit]").click()
    expect(page.locator("#message")).to_have_text("Invoice 26132000000000000001 recorded.")
    expect(page.locator("#invoices tbody tr .firm")).to_have_text("Trader C")
    assert serious_accessibility_problems(page) == []

    page.click("nav >> text=Proceeds")
    row = page.locator(f"#orders tr[data-order-id='{order_id}']")
    expect(row).to_contain_text("Trader C")
    row.locator("input[name=amount]").fill("70000.00")
    row.locator("input[name=received_on]").fill("2026-09-20")
    row.locator("input[name=reference]").fill("BANK-1")
    row.locator("button[type=submit]").click()
    expect(row.locator(".received")).to_have_text("2026-09-20 · USD 70,000.00 · BANK-1")
    assert serious_accessibility_problems(page) == []

    page.click("nav >> text=Rebate claims")
    page.fill("#compute input[name=period]", "2026-09")
    page.click("#compute button[type=submit]")
    expect(page.locator("#message")).to_have_text("1 claim(s) computed.")
    claim = page.locator(f"#claims tr[data-enterprise-id='{shop.world.trader_id}']")
    expect(claim.locator(".amount")).to_have_text("CNY 65,000.00")
    expect(claim.locator(".missing")).to_have_text("Nothing missing")
    claim.locator("button.file").click()
    expect(claim.locator(".status")).to_have_text("Filed")
    claim.locator("summary").click()
    claim.locator("input[name=amount]").fill("65000.00")
    claim.locator("input[name=received_on]").fill("2026-11-02")
    claim.locator("input[name=reference]").fill("TAX-1")
    claim.locator("form.refund button").click()
    expect(claim.locator(".status")).to_have_text("Refunded")
    expect(claim.locator(".refunded-amount")).to_have_text("CNY 65,000.00")

    page.select_option("#ledger-firm select", label="Trader C")
    expect(page.locator("#receivable")).to_have_text("CNY 0.00")
    expect(page.locator("#claimed")).to_have_text("CNY 65,000.00")
    assert serious_accessibility_problems(page) == []
    assert outside == []


def test_a_claim_says_what_is_missing_in_chinese(live_server, browser_page, client, factory):
    shop, sku = setup_trader(client, factory)
    order_id, _ = cleared_export(client, shop, "M-1", sku, 10, "100.00")
    page = browser_page
    local_only(page)
    page.goto(f"{live_server}/trade/claims?lang=zh-CN")
    sign_in(page, "trade_operator@example.com")
    page.fill("#compute input[name=period]", "2026-09")
    page.click("#compute button[type=submit]")
    expect(page.locator("#message")).to_have_text("已计算 1 份退税申报。")
    missing = page.locator(f"#claims tr[data-enterprise-id='{shop.world.trader_id}'] .missing li")
    expect(missing.first).to_contain_text(str(order_id))
    assert (
        client.get("/api/v1/rebates/claims?period=2026-09", headers=shop.world.headers["trade_operator"]).json["items"][
            0
        ]["status"]
        == "draft"
    )
    assert serious_accessibility_problems(page) == []


def test_finance_staff_settle_a_month_and_the_firm_reads_and_downloads_its_statement(
    live_server, browser_page, client, factory, database
):
    from datetime import UTC, datetime

    from openpyxl import load_workbook
    from sqlalchemy import update

    from commerce.aftersales.models import AfterSale
    from commerce.db import write_transaction
    from commerce.orders.models import SalesOrder
    from tests.e2e.test_settlement import Stream

    scene = Stream(client, factory)
    world = scene.shop.world
    # The stream's month is over: it was in November.
    november = datetime(2026, 11, 15, 4, tzinfo=UTC)
    with database.session() as session, write_transaction(session):
        session.execute(update(SalesOrder).values(placed_at=november, paid_at=november, shipped_at=november))
        session.execute(update(AfterSale).values(requested_at=november, refunded_at=november))
    page = browser_page
    outside = local_only(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/trade/statements?lang=en")
    sign_in(page, "trade_operator@example.com")
    expect(page.locator("#nothing")).to_be_visible()
    page.fill("#compute input[name=period]", "2026-11")
    page.click("#compute button[type=submit]")
    expect(page.locator("#message")).to_have_text("3 statement(s) computed.")
    maker_b = page.locator(f"#statements tr[data-enterprise-id='{world.maker_b_id}']")
    expect(maker_b.locator(".firm")).to_have_text("Maker B")
    expect(maker_b.locator(".net-payable")).to_have_text("CNY 210.24")
    expect(maker_b.locator(".status")).to_have_text("Draft")
    maker_b.locator("button.open").click()
    expect(page.locator("#statement-title")).to_have_text("Lines of the statement · Maker B · 2026-11 · CNY")
    expect(page.locator("#lines tbody tr")).to_have_count(2)
    expect(page.locator("#lines tbody tr").first).to_contain_text("Sale")
    expect(page.locator("#lines tbody tr").first.locator(".order")).to_have_text("douyin · S-2")
    expect(page.locator("#lines tbody tr").first.locator(".net")).to_have_text("CNY 233.59")
    expect(page.locator("#lines tbody tr").last.locator(".host-commission")).to_have_text("CNY 2.69")
    assert serious_accessibility_problems(page) == []

    maker_b.locator("button.approve").click()
    expect(maker_b.locator(".status")).to_have_text("Approved")
    maker_b.locator("summary").click()
    maker_b.locator("input[name=paid_on]").fill("2026-12-05")
    maker_b.locator("input[name=reference]").fill("BANK-77")
    maker_b.locator("form.pay button").click()
    expect(maker_b.locator(".status")).to_have_text("Paid")
    # Computing the month again leaves the paid statement as it is.
    page.click("#compute button[type=submit]")
    expect(page.locator("#message")).to_have_text("2 statement(s) computed.")
    expect(maker_b.locator(".status")).to_have_text("Paid")
    # The platform's account of the month: 520.65 paid by buyers, 210.24 of it paid to maker B, the
    # other firms owed 215.25, the host 79.96, the platform's fee 15.20.
    account = page.locator("#account-figures tr[data-currency='CNY']")
    expect(account.locator(".collected")).to_have_text("CNY 520.65")
    expect(account.locator(".paid-to-firms")).to_have_text("CNY 210.24")
    expect(account.locator(".owed-to-firms")).to_have_text("CNY 215.25")
    expect(account.locator(".owed-to-hosts")).to_have_text("CNY 79.96")
    expect(account.locator(".platform-fee")).to_have_text("CNY 15.20")
    expect(account.locator(".held")).to_have_text("CNY 310.41")
    assert outside == []

    # The firm, on a phone, in Chinese, in a browser of its own: its own statement only, read and downloaded.
    page = page.context.browser.new_page(viewport=PHONE, accept_downloads=True)
    outside = local_only(page)
    page.goto(f"{live_server}/firm/statements?lang=zh-CN")
    sign_in(page, "sme_b@example.com")
    expect(page.locator("h1")).to_have_text("结算单")
    rows = page.locator("#statements tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.locator(".status")).to_have_text("已付款")
    expect(rows.locator(".net-payable")).to_have_text("CNY 210.24")
    expect(rows.locator("button.approve")).to_have_count(0)
    expect(page.locator("#compute")).to_have_count(0)
    rows.locator("button.open").click()
    expect(page.locator("#lines tbody tr")).to_have_count(2)
    expect(page.locator("#lines tbody tr").last).to_contain_text("退款")
    with page.expect_download() as downloading:
        rows.locator("button.xlsx").click()
    download = downloading.value
    assert download.suggested_filename == f"statement-2026-11-{world.maker_b_id}-CNY.xlsx"
    with open(download.path(), "rb") as file:
        values = [tuple(cell.value for cell in row) for row in load_workbook(file).worksheets[0].iter_rows()]
    assert values[0][0] == "2026-11 结算单"
    assert ("应付净额", 210.24) in [row[:2] for row in values]
    assert no_text_squeezed(page, "#statements td") == []
    assert serious_accessibility_problems(page) == []
    assert outside == []

    # The host, on a phone, in English: the stream's commission, maker B's part settled.
    page = page.context.browser.new_page(viewport=PHONE)
    outside = local_only(page)
    page.goto(f"{live_server}/host/commissions?lang=en")
    sign_in(page, "host@example.com")
    page.fill("#filter input[name=period]", "2026-11")
    page.click("#filter button[type=submit]")
    row = page.locator(f"#commissions tr[data-stream-id='{scene.stream_id}']")
    expect(row.locator(".commission")).to_have_text("CNY 79.96")
    expect(row.locator(".settled")).to_have_text("CNY 24.16")
    expect(row.locator(".sales")).to_have_text("CNY 520.65")
    assert no_text_squeezed(page, "#commissions td") == []
    assert serious_accessibility_problems(page) == []
    assert outside == []
