"""The trade operator's customs pages in a real headless Chromium: batches, declarations, messages, receipts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from lxml import etree
from playwright.sync_api import expect

from commerce.customs.calendar import DUE_SOON_DAYS, china_today
from tests.browsing import PHONE, local_only, serious_accessibility_problems, sign_in
from tests.e2e.test_customs import _cleared_last_month, configure, shipped_export_order, two_parcels
from tests.factories import REAL_USCCS, open_shop
from tests.marketplaces import drain

pytestmark = pytest.mark.browser


def test_an_operator_forms_a_batch_reads_its_lists_downloads_a_message_and_sees_customs_clear_it(
    live_server, browser_page, client, factory, gateway, deployment
):
    shop = open_shop(factory)
    configure(client, shop)
    first, second = two_parcels(client, shop, "P")
    page = browser_page
    outside = local_only(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/console/customs?lang=en")
    sign_in(page, "trade_operator@example.com")
    expect(page.locator("h1")).to_contain_text("Customs declarations")

    page.select_option("#form-batch select[name=customs_mode]", "9610")
    page.click("#form-batch button[type=submit]")

    expect(page).to_have_url(re.compile(r"/console/customs/batches/\d+$"))
    expect(page.locator("#batch-status")).to_have_text("Draft")
    batch_id = int(page.url.rsplit("/", 1)[1])
    rows = page.locator("#declarations tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("td.owner")).to_have_text(
        [f"Maker A ({REAL_USCCS[0]})", f"Maker B ({REAL_USCCS[1]})", f"Maker A ({REAL_USCCS[0]})"]
    )
    expect(page.locator("#batch .kind")).to_have_text("Inventory lists")
    expect(page.locator("#batch .orders")).to_have_text("2")

    rows.nth(0).locator("button.open").click()
    panel = page.locator("#declaration")
    expect(panel.locator(".header .consignor")).to_contain_text("(1305960001)")
    expect(panel.locator(".header .owner")).to_have_text(f"Maker A ({REAL_USCCS[0]})")
    expect(panel.locator(".header .source-region")).to_have_text("13059")
    # Codes are named in the page's language: the transport mode, the offices, the country.
    expect(panel.locator(".header .transport-mode")).to_have_text("5 Air")
    expect(panel.locator(".header .declaring-customs")).to_have_text("0401 Shijiazhuang Customs")
    expect(panel.locator(".header .exit-port")).to_have_text("0401 Shijiazhuang Customs")
    line = panel.locator(".lines tbody tr")
    expect(line).to_have_count(1)
    expect(line.locator(".hs")).to_have_text("6110120000")
    expect(line.locator(".total")).to_have_text("USD 113.00")
    expect(line.locator(".firms")).to_have_text(f"Maker A ({REAL_USCCS[0]}) · 2 · #{first}")
    expect(panel.locator(".no-receipts")).to_be_visible()

    with page.expect_download() as waiting:
        panel.locator("button.download", has_text="CEB603").click()
    download = waiting.value
    assert download.suggested_filename.endswith("-CEB603.xml")
    with open(download.path(), "rb") as message:
        root = etree.fromstring(message.read())
    assert root.tag == "{http://www.chinaport.gov.cn/ceb}CEB603Message"
    assert root.findtext(".//{http://www.chinaport.gov.cn/ceb}ownerCode") == REAL_USCCS[0]

    page.click("#submit")
    expect(page.locator("#batch-status")).to_have_text("Submitted")
    expect(page.locator("#submit")).to_be_hidden()
    expect(page.locator("#discard")).to_be_hidden()

    drain(deployment)

    # The page follows a submitted batch: customs' results appear without a reload.
    expect(page.locator("#batch-status")).to_have_text("Cleared", timeout=15_000)
    expect(rows.locator("td.status")).to_have_text(["Cleared"] * 3)
    expect(panel.locator(".receipts tbody tr td.status")).to_have_text(["Accepted", "Cleared"])
    expect(panel.locator(".receipts tbody tr td.source")).to_have_text(["gateway", "gateway"])
    entry_id = client.get(f"/api/v1/customs/batches/{batch_id}", headers=shop.world.headers["trade_operator"]).json[
        "declarations"
    ][0]["entry_id"]
    expect(panel.locator(".header .entry")).to_have_text(entry_id)

    page.goto(f"{live_server}/console/customs?lang=en")
    listed = page.locator(f"#batches tbody tr[data-batch-id='{batch_id}']")
    expect(listed.locator(".status")).to_have_text("Cleared")
    expect(listed.locator(".declarations")).to_have_text("3")
    assert client.get(f"/api/v1/orders/{second}", headers=shop.world.headers["trade_operator"]).json["status"] == (
        "cleared"
    )
    assert outside == []


def test_the_monthly_summary_page_shows_its_due_date_in_chinese_and_records_a_receipt(
    live_server, browser_page, client, factory, database
):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "M-1", [{"sku_id": shop.sweater_skus[0], "quantity": 2}])
    shipped_export_order(client, shop, "M-2", [{"sku_id": shop.sweater_skus[0], "quantity": 3}])
    lists, period = _cleared_last_month(client, operator)
    summary = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610", "period": period})
    assert summary.status_code == 201, summary.json
    due = summary.json["due_date"]
    days_left = (datetime.fromisoformat(due).date() - china_today(datetime.now(UTC))).days
    if days_left < 0:
        warning = f"汇总申报已于 {due} 到期。"
    elif days_left <= DUE_SOON_DAYS:
        warning = f"汇总申报将于 {due} 到期。"
    else:
        warning = ""
    page = browser_page
    local_only(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    page.goto(f"{live_server}/console/customs")
    sign_in(page, "trade_operator@example.com")
    row = page.locator(f"#batches tbody tr[data-batch-id='{summary.json['id']}']")
    expect(row.locator(".kind")).to_have_text("月度汇总")
    expect(row.locator(".due")).to_have_text(due)
    expect(row.locator(".warnings")).to_have_text(warning)
    page.select_option("#filter select[name=status]", "cleared")
    page.click("#filter button[type=submit]")
    expect(page.locator("#batches tbody tr")).to_have_count(1)
    expect(page.locator("#batches tbody tr .batch")).to_have_text(f"#{lists['id']}")

    page.goto(f"{live_server}/console/customs/batches/{summary.json['id']}")
    expect(page.locator("#batch .due")).to_have_text(due)
    expect(page.locator("#batch .period")).to_have_text(period)
    expect(page.locator("#warnings")).to_have_text(warning)
    (item,) = summary.json["declarations"]
    page.locator(f"#declarations tr[data-declaration-id='{item['id']}'] button.open").click()
    panel = page.locator("#declaration")
    expect(panel.locator(".lines tbody tr .firms")).to_contain_text("Maker A")
    expect(panel.locator(".lines tbody tr .quantity")).to_have_text("5 件")
    expect(panel.locator(".header .transport-mode")).to_have_text("5 航空运输")
    expect(panel.locator(".inventory-lists span")).to_have_text(
        ", ".join(f"#{entry['id']}" for entry in lists["declarations"])
    )
    expect(panel.locator("button.download")).to_have_text(["下载 CEB701"])
    expect(panel.locator("#record-receipt")).to_be_hidden()

    page.click("#submit")
    expect(page.locator("#batch-status")).to_have_text("已申报")
    expect(page.locator("#warnings")).to_have_text("")
    page.select_option("#record-receipt select[name=status]", "accepted")
    page.fill("#record-receipt input[name=entry_id]", "040120261000000001")
    page.click("#record-receipt button[type=submit]")
    expect(panel.locator(".header .entry")).to_have_text("040120261000000001")
    expect(panel.locator(".receipts tbody tr td.status")).to_have_text(["已受理"])
    expect(panel.locator(".receipts tbody tr td.source")).to_have_text(["api"])
    expect(page.locator("#batch-status")).to_have_text("已受理")

    page.select_option("#record-receipt select[name=status]", "accepted")
    page.fill("#record-receipt input[name=entry_id]", "040120261000000002")
    page.click("#record-receipt button[type=submit]")
    expect(page.locator("#message")).to_have_text(f"报关单 {item['cop_no']} 当前为 已受理，不适用 已受理 回执。")
    expect(panel.locator(".receipts tbody tr")).to_have_count(1)
    expect(panel.locator(".header .entry")).to_have_text("040120261000000001")


def test_an_operator_records_goods_that_came_back_on_a_released_declaration(live_server, browser_page, client, factory):
    from tests.e2e.test_rebates import cleared_export, setup_trader

    shop, sku = setup_trader(client, factory)
    _order, declaration_id = cleared_export(client, shop, "RT-1", sku, 100, "700.00")
    operator = shop.world.headers["trade_operator"]
    batch_id = client.get(f"/api/v1/customs/declarations/{declaration_id}", headers=operator).json["batch_id"]
    page = browser_page
    outside = local_only(page)
    page.goto(f"{live_server}/console/customs/batches/{batch_id}?lang=zh-CN")
    sign_in(page, "trade_operator@example.com")
    page.locator(f"#declarations tr[data-declaration-id='{declaration_id}'] button.open").click()
    returns = page.locator("#declaration .returns")
    expect(returns.locator(".no-returns")).to_have_text("没有退回的货物。")
    form = page.locator("#record-return")
    form.locator("select[name=line_no]").select_option("1")
    form.locator("input[name=quantity]").fill("20")
    form.locator("input[name=returned_on]").fill("2026-11-20")
    form.locator("input[name=reference]").fill("040120261000000001")
    form.locator("input[name=reason]").fill("买家退货")
    # Goods not in their original state cannot come back this way: the box must be ticked.
    form.locator("input[name=original_state]").check()
    form.locator("button[type=submit]").click()
    row = returns.locator(".returned tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".quantity")).to_have_text("20")
    expect(row.locator(".reference")).to_have_text("040120261000000001")
    # More than was exported is refused, in the page's language, and nothing is added.
    form.locator("select[name=line_no]").select_option("1")
    form.locator("input[name=quantity]").fill("81")
    form.locator("input[name=returned_on]").fill("2026-11-21")
    form.locator("input[name=reference]").fill("040120261000000002")
    form.locator("input[name=reason]").fill("买家退货")
    form.locator("input[name=original_state]").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("#message")).to_have_text("第 1 项出口数量为 100；加上本次退货，退回数量将超过出口数量。")
    expect(row).to_have_count(1)
    assert serious_accessibility_problems(page) == []
    assert outside == []


def test_an_operator_on_a_phone_asks_customs_to_cancel_a_parcels_list(
    live_server, browser_page, client, factory, gateway, deployment
):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    order_id = shipped_export_order(client, shop, "X-1", [{"sku_id": shop.scarf_skus[0], "quantity": 1}])
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    drain(deployment)
    list_id = batch["declarations"][0]["id"]
    page = browser_page
    page.set_viewport_size(PHONE)
    outside = local_only(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/console/customs/batches/{batch['id']}?lang=zh-CN")
    sign_in(page, "trade_operator@example.com")
    page.locator(f"#declarations tr[data-declaration-id='{list_id}'] button.open").click()
    part = page.locator("#declaration .cancellation")
    expect(part.locator(".no-cancellations")).to_have_text("尚未申请撤销。")
    form = page.locator("#ask-cancellation")
    form.locator("input[name=reason]").fill("买家取消订单，包裹未出境")
    form.locator("button[type=submit]").click()
    row = part.locator(".cancellations tbody tr")
    expect(row.locator(".status")).to_have_text("已申请撤销")
    expect(form).to_be_hidden()

    drain(deployment)

    # The page keeps asking while customs has not answered: the answer appears without a reload.
    expect(row.locator(".status")).to_have_text("已撤销", timeout=15_000)
    expect(row.locator(".note")).to_have_text("CEB606 399 撤销成功")
    expect(page.locator("#declaration h2 .status")).to_have_text("已撤销")
    expect(page.locator("#batch-status")).to_have_text("已撤销")
    assert client.get(f"/api/v1/orders/{order_id}", headers=operator).json["status"] == "shipped"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert serious_accessibility_problems(page) == []
    assert outside == []
