"""A host's pages in a real headless Chromium: schedule a stream, build its lineup, run the show, read the report."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browsing import PHONE, local_only, no_text_squeezed, serious_accessibility_problems, sign_in
from tests.e2e.test_streams import stream_order
from tests.factories import open_shop

pytestmark = pytest.mark.browser


def test_a_host_schedules_a_stream_and_builds_its_lineup_with_keys_and_by_dragging(
    live_server, browser_page, client, factory
):
    shop = open_shop(factory)
    host = shop.world.headers["host"]
    page = browser_page
    outside = local_only(page)
    page.goto(f"{live_server}/?lang=en")
    page.click("text=Sign in")
    sign_in(page, "host@example.com")
    expect(page.locator("h1")).to_have_text("Streams")  # a host lands on their streams
    expect(page.locator("#none-scheduled")).to_be_visible()
    page.fill("#schedule input[name=title]", "Qinghe cashmere night")
    page.fill("#schedule input[name=category]", "cashmere")
    page.fill("#schedule input[name=scheduled_start]", "2026-12-20T20:00")
    page.click("#schedule button[type=submit]")
    expect(page.locator("#stream-title")).to_have_text("Qinghe cashmere night")
    stream_id = int(page.url.split("/")[-2])
    assert serious_accessibility_problems(page) == []

    for title in ("Cashmere scarf", "Cashmere gloves"):
        page.fill("#search", title)
        page.locator("#results li", has_text=title).locator("button.add").click()
    page.fill("#search", "")
    expect(page.locator("#lineup li")).to_have_count(2)
    scarf = page.locator(f"#lineup li[data-product-id='{shop.scarf_id}']")
    gloves = page.locator(f"#lineup li[data-product-id='{shop.gloves_id}']")
    scarf.locator("input[name=live_price]").fill("159.00")
    scarf.locator(f"input[data-sku-id='{shop.scarf_skus[0]}']").fill("10")
    # Gloves first with the keyboard, then the scarf back on top by dragging it.
    gloves.focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#lineup li").first).to_have_attribute("data-product-id", str(shop.gloves_id))
    scarf.drag_to(gloves, target_position={"x": 20, "y": 5})
    expect(page.locator("#lineup li").first).to_have_attribute("data-product-id", str(shop.scarf_id))
    page.click("#save")
    expect(page.locator("#message")).to_have_text("The lineup is saved.")
    lineup = client.get(f"/api/v1/streams/{stream_id}", headers=host).json["lineup"]
    assert [(item["product_id"], item["live_price"], item["sku_allocations"]) for item in lineup] == [
        (shop.scarf_id, {"amount": "159.00", "currency": "CNY"}, {str(shop.scarf_skus[0]): 10}),
        (shop.gloves_id, None, {}),
    ]
    assert outside == []


def test_a_host_runs_the_show_on_a_phone_in_chinese_and_reads_the_report(live_server, browser_page, client, factory):
    from tests.e2e.test_streams import live_stream

    shop = open_shop(factory)
    stream = live_stream(client, shop, scarf_allocation=10)
    scarf_item = stream["lineup"][0]["id"]
    page = browser_page
    local_only(page)
    page.set_viewport_size(PHONE)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server}/console/streams/{stream['id']}?lang=zh-CN")
    sign_in(page, "host@example.com")
    scarf_row = page.locator(f"tr[data-item-id='{scarf_item}']")
    expect(scarf_row.locator(".live-price")).to_have_text("CNY 159.00")
    expect(scarf_row.locator(f".sku-stock li[data-sku-id='{shop.scarf_skus[0]}']")).to_have_text("SC-S S: 100")
    expect(scarf_row.locator(f".sku-stock li[data-sku-id='{shop.scarf_skus[1]}']")).to_have_text("SC-L L: 40")
    assert no_text_squeezed(page, "#lineup td") == []
    assert serious_accessibility_problems(page) == []

    page.select_option("#flash-sale select[name=item_id]", str(scarf_item))
    expect(page.locator("#flash-sale select[name=sku_id] option")).not_to_have_count(0)
    page.fill("#flash-sale input[name=price]", "9999.00")
    page.fill("#flash-sale input[name=quantity]", "5")
    page.click("#flash-sale button[type=submit]")
    expect(page.locator("#message")).to_have_text("秒杀价最高为 159.00 CNY（该商品的直播价为 159.00 CNY）。")
    page.fill("#flash-sale input[name=price]", "99.00")
    page.click("#flash-sale button[type=submit]")
    expect(page.locator("#flash-sales li")).to_contain_text("秒杀价 CNY 99.00 · 已售 0 / 共 5")

    assert stream_order(client, shop, stream["id"], "C-1", shop.gloves_skus[0], 3).status_code == 201
    assert stream_order(client, shop, stream["id"], "C-2", shop.gloves_skus[0], 50).status_code == 409
    page.click("#end")
    expect(page.locator("#stream-status")).to_have_text("已下播")
    expect(page.locator("#closed")).to_be_visible()
    expect(scarf_row.locator("button.pin")).to_be_disabled()
    expect(page.locator("#flash-sale button[type=submit]")).to_be_disabled()

    # After the show, a buyer gets a tenth back: the report shows it net of the refund.
    host = shop.world.headers["host"]
    order = client.get("/api/v1/orders", headers=host, query_string={"stream_id": stream["id"]}).json["items"][0]
    client.post(f"/api/v1/orders/{order['id']}/status", headers=host, json={"status": "paid"})
    line_id = order["lines"][0]["id"]
    cut = client.post(
        "/api/v1/after-sales",
        headers=host,
        json={
            "order_id": order["id"],
            "order_line_id": line_id,
            "kind": "partial_refund",
            "amount": "26.85",
            "reason": "起球",
        },
    ).json
    for step in ("approve", "refund"):
        assert (
            client.post(f"/api/v1/after-sales/{cut['id']}/{step}", headers=shop.world.headers["sme_b"]).status_code
            == 200
        )

    page.goto(f"{live_server}/host/streams/{stream['id']}/report")
    expect(page.locator("#total-orders")).to_have_text("1")
    expect(page.locator("#total-gmv")).to_have_text("CNY 268.50")
    expect(page.locator("#total-refunds")).to_have_text("CNY 26.85")
    expect(page.locator("#total-net")).to_have_text("CNY 241.65")
    expect(page.locator("#total-refund-rate")).to_have_text("10.0%")
    gloves_firm = page.locator(f"#firms tr[data-enterprise-id='{shop.world.maker_b_id}']")
    expect(gloves_firm.locator(".net")).to_have_text("CNY 241.65")
    expect(gloves_firm.locator(".units")).to_have_text("3")
    expect(gloves_firm.locator(".refused")).to_have_text("1")
    expect(page.locator("#total-refused")).to_have_text("1")
    # The flash sale was still counting down when the stream ended: it never ran, so it is not reported.
    expect(page.locator("#flash-sales li")).to_have_count(0)
    assert serious_accessibility_problems(page) == []
