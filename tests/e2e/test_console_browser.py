"""The host console in a real headless Chromium: sign in, pin an item, watch another item's counter move."""

import io

import pytest
from playwright.sync_api import expect

from tests.browsing import local_only, sign_in
from tests.e2e.test_streams import live_stream, stream_order
from tests.factories import open_shop, photo_bytes

pytestmark = pytest.mark.browser


def test_a_host_pins_an_item_and_sees_orders_arrive(live_server, browser_page, client, factory):
    shop = open_shop(factory)
    stream = live_stream(client, shop, scarf_allocation=10)
    scarf_item, gloves_item = (item["id"] for item in stream["lineup"])
    scarf_product = stream["lineup"][0]["product_id"]
    photo = client.post(
        f"/api/v1/products/{scarf_product}/images",
        headers=shop.world.headers["sme_a"],
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(photo_bytes(size=(500, 500))), "scarf.jpg")},
    )
    assert photo.status_code == 201, photo.json
    page = browser_page
    outside = local_only(page)
    page.goto(f"{live_server}/console/streams/{stream['id']}?lang=en")
    sign_in(page, "host@example.com")
    expect(page.locator("h1")).to_contain_text("Host console")

    scarf_row = page.locator(f"tr[data-item-id='{scarf_item}']")
    gloves_row = page.locator(f"tr[data-item-id='{gloves_item}']")
    expect(scarf_row.locator(".position")).to_have_text("1")
    expect(scarf_row.locator(".title")).to_have_text("Cashmere scarf")
    # The scarf's photo, small and loaded; the gloves have none yet.
    picture = scarf_row.locator("td.picture img")
    expect(picture).to_have_attribute("src", photo.json["thumbnail_url"])
    page.wait_for_function("(image) => image.complete && image.naturalWidth === 320", arg=picture.element_handle())
    expect(gloves_row.locator("td.picture img")).to_have_count(0)
    expect(gloves_row.locator(".orders")).to_have_text("0")
    expect(page.locator("#stream-status")).to_have_text("Live")

    scarf_row.locator("button.pin").click()
    expect(scarf_row).to_have_class("pinned")
    assert (
        client.get(f"/api/v1/streams/{stream['id']}", headers=shop.world.headers["host"]).json["pinned_item_id"]
        == scarf_item
    )

    assert stream_order(client, shop, stream["id"], "C-1", shop.gloves_skus[0], 3).status_code == 201
    expect(gloves_row.locator(".orders")).to_have_text("1", timeout=10_000)
    expect(gloves_row.locator(".units")).to_have_text("3")
    expect(gloves_row.locator(".stock-total")).to_have_text("17")
    expect(gloves_row.locator(f".sku-stock li[data-sku-id='{shop.gloves_skus[0]}']")).to_have_text("GL-M M: 17")
    expect(scarf_row.locator(".live-price")).to_have_text("CNY 159.00")
    expect(scarf_row.locator(".orders")).to_have_text("0")
    expect(page.locator("#total-gmv")).to_have_text("CNY 268.50")

    gloves_row.locator("button.up").click()
    expect(page.locator("#lineup tbody tr").first).to_have_attribute("data-item-id", str(gloves_item))
    expect(gloves_row.locator(".position")).to_have_text("1")
    assert outside == []


def test_the_console_speaks_chinese_and_shows_problems_in_it(live_server, browser_page, client, factory):
    shop = open_shop(factory)
    stream = live_stream(client, shop)
    page = browser_page
    local_only(page)
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    page.goto(f"{live_server}/console/streams/{stream['id']}")
    sign_in(page, "host@example.com")
    expect(page.locator("h1")).to_contain_text("直播中控台")
    expect(page.locator("#stream-status")).to_have_text("直播中")
    expect(page.locator("#lineup thead")).to_contain_text("剩余库存")
    page.fill("#flash-sale input[name=price]", "99.00")
    page.fill("#flash-sale input[name=quantity]", "5")
    page.fill("#flash-sale input[name=per_buyer_limit]", "9")
    expect(page.locator("#flash-sale select[name=sku_id] option")).not_to_have_count(0)
    page.click("#flash-sale button[type=submit]")
    expect(page.locator("#message")).to_have_text("每人限购数量不能超过秒杀总量。")
