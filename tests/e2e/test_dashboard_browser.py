"""The cluster's export dashboard in a real headless Chromium: figures and charts in Chinese and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete

from commerce.clusters.models import Enterprise
from commerce.reports.models import ExportStatistic, ExportStatisticPeriod
from tests.browsing import PHONE, local_only, no_text_squeezed, serious_accessibility_problems, sign_in
from tests.e2e.test_reports import refresh, september_exports

pytestmark = pytest.mark.browser


def test_the_association_sees_the_clusters_exports_as_charts_in_english(live_server, browser_page, client, factory):
    shop, *_ = september_exports(client, factory)
    refresh(client, shop)
    page = browser_page
    outside = local_only(page)

    page.goto(f"{live_server}/dashboard?lang=en")
    sign_in(page, "brand_admin@example.com")
    expect(page.locator("h1")).to_have_text("Cluster exports")
    page.fill("#range-form input[name=from]", "2026-09")
    page.fill("#range-form input[name=to]", "2026-10")
    page.click("#range-form button[type=submit]")

    expect(page.locator("#range")).to_have_text("Sep 2026 – Oct 2026")
    expect(page.locator("#fob_usd")).to_have_text("$70,113.00")
    expect(page.locator("#fob_cny")).to_have_text("CN¥497,802.30")
    expect(page.locator("#declarations")).to_have_text("2")
    expect(page.locator("#local_share")).to_have_text("98.6%")
    expect(page.locator("#rebuild")).to_be_hidden()
    months = page.locator("#chart-month .bar")
    expect(months).to_have_count(2)
    assert [months.nth(i).get_attribute("data-value") for i in range(2)] == ["70113.00", "0"]
    expect(page.locator("#chart-month .label")).to_have_text(["Sep 2026", "Oct 2026"])
    # Each month carries its value; the whole amount is on hover.
    expect(page.locator("#chart-month .amount")).to_have_text(["70.1K", "0"])
    expect(page.locator("#chart-month .column").first).to_have_attribute("title", "Sep 2026: $70,113.00")
    expect(page.locator("#chart-country .label")).to_have_text(["Germany", "United States"])
    expect(page.locator("#chart-country .amount")).to_have_text(["$70,000.00", "$113.00"])
    expect(page.locator("#chart-enterprise .label")).to_have_text(["Trader C", "Maker A"])
    expect(page.locator("#chart-hs_chapter .label")).to_have_text(["61"])
    assert serious_accessibility_problems(page) == []
    assert outside == []


def test_the_operator_rebuilds_and_reads_the_dashboard_in_chinese(live_server, browser_page, client, factory, database):
    september_exports(client, factory)
    with database.session() as session:
        session.execute(delete(ExportStatistic))
        session.execute(delete(ExportStatisticPeriod))
        session.commit()
    page = browser_page
    outside = local_only(page)

    page.goto(f"{live_server}/dashboard?lang=zh-CN")
    sign_in(page, "trade_operator@example.com")
    expect(page.locator("h1")).to_have_text("集群出口")
    page.fill("#range-form input[name=from]", "2026-09")
    page.fill("#range-form input[name=to]", "2026-09")
    page.click("#range-form button[type=submit]")
    expect(page.locator("#freshness")).to_have_text("尚未生成统计的月份 2026-09")
    expect(page.locator("#chart-country p.note")).to_have_text("该期间没有出口。")

    page.click("#rebuild")

    expect(page.locator("#fob_cny")).to_have_text("¥497,802.30")
    expect(page.locator("#local_share")).to_have_text("98.6%")
    expect(page.locator("#chart-country .label")).to_have_text(["德国", "美国"])
    expect(page.locator("#chart-month .label")).to_have_text(["2026年9月"])
    expect(page.locator("#chart-month .amount")).to_have_text(["7万"])
    expect(page.locator("#freshness")).to_contain_text("统计截至")
    with page.expect_download() as waiting:
        page.click("#download-csv")
    with open(waiting.value.path(), encoding="utf-8-sig") as report:
        header = report.readline().strip()
    assert header.startswith("month,country,hs_chapter,enterprise_id,enterprise_name,declarations")
    assert outside == []


def test_the_dashboard_fits_a_phone_its_figures_in_their_cards_its_names_readable(
    live_server, browser_page, client, factory, database
):
    shop, *_ = september_exports(client, factory)
    refresh(client, shop)
    with database.session() as session:
        firm = session.get(Enterprise, shop.world.trader_id)
        firm.name = "清河县东高庄羊绒制品有限责任公司进出口贸易分公司"
        session.add(firm)
        session.commit()
    refresh(client, shop)
    page = browser_page
    local_only(page)
    for width in (PHONE["width"], 768, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server}/dashboard?lang=zh-CN&from=2026-09&to=2026-10")
        if "/login" in page.url:
            sign_in(page, "brand_admin@example.com")
        page.fill("#range-form input[name=from]", "2026-09")
        page.fill("#range-form input[name=to]", "2026-10")
        page.click("#range-form button[type=submit]")
        expect(page.locator("#fob_cny")).to_have_text("¥497,802.30")
        page.wait_for_load_state("networkidle")
        overflowing = page.eval_on_selector_all(
            ".figure",
            "(cards) => cards.filter((card) => card.scrollWidth > card.clientWidth).map((card) => card.textContent)",
        )
        assert overflowing == [], width
        smallest = page.eval_on_selector_all(
            "figure.chart .label, figure.chart .amount, .figure span",
            "(nodes) => Math.min(...nodes.map((node) => parseFloat(getComputedStyle(node).fontSize)))",
        )
        assert smallest >= 12, width
        long_name = page.locator("#chart-enterprise li", has_text="清河县东高庄")
        expect(long_name).to_have_attribute("title", "清河县东高庄羊绒制品有限责任公司进出口贸易分公司: US$70,000.00")
        label = long_name.locator(".label")
        assert label.evaluate("(node) => node.getBoundingClientRect().right") <= long_name.evaluate(
            "(node) => node.getBoundingClientRect().right"
        )
    assert serious_accessibility_problems(page) == []


def test_the_dashboard_shows_sales_gross_and_net_per_firm_and_per_host(live_server, browser_page, client, factory):
    from tests.e2e.test_settlement import Stream

    scene = Stream(client, factory)
    world = scene.shop.world
    page = browser_page
    outside = local_only(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/dashboard?lang=zh-CN")
    sign_in(page, "brand_admin@example.com")
    page.fill("#range-form input[name=from]", "2026-12")
    page.fill("#range-form input[name=to]", "2026-12")
    page.click("#range-form button[type=submit]")
    maker_a = page.locator(f"#sales-firms tr[data-key='{world.maker_a_id}']")
    expect(maker_a.locator(".gross")).to_have_text("CNY 318.00")
    expect(maker_a.locator(".refunds")).to_have_text("CNY 159.00")
    expect(maker_a.locator(".net")).to_have_text("CNY 159.00")
    expect(maker_a.locator(".refund-rate")).to_have_text("50.0%")
    expect(page.locator("#sales-firms tbody tr")).to_have_count(4)
    total = page.locator("#sales-firms tr[data-key='total']")
    expect(total.locator(".name")).to_have_text("合计")
    expect(total.locator(".net")).to_have_text("CNY 520.65")
    expect(total.locator(".refund-rate")).to_have_text("26.3%")
    expect(page.locator("#sales-hosts tbody tr")).to_have_count(1)
    host = page.locator(f"#sales-hosts tr[data-key='{world.user_ids['host']}']")
    expect(host.locator(".name")).to_have_text("host@example.com")
    expect(host.locator(".orders")).to_have_text("3")
    expect(host.locator(".gross")).to_have_text("CNY 706.50")
    assert no_text_squeezed(page, "#sales td") == []
    assert serious_accessibility_problems(page) == []
    assert outside == []
