"""The brand association's pages in a real headless Chromium: the review queue and the mark's members."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browsing import PHONE, local_only, no_text_squeezed, serious_accessibility_problems, sign_in
from tests.e2e.test_streams import put_lineup, schedule
from tests.factories import open_shop, photo_bytes, upload_photo

pytestmark = pytest.mark.browser


def test_the_association_approves_one_product_and_sends_another_back_with_a_reason(
    live_server, browser_page, client, factory, media
):
    world = factory.world()
    sweater = factory.product(world.maker_a_id, status="pending_review", trademark_id=world.trademark_id)
    gloves = factory.product(world.maker_b_id, status="pending_review")
    assert upload_photo(client, world.headers["sme_a"], sweater.id, photo_bytes()).status_code == 201
    page = browser_page
    outside = local_only(page)
    page.goto(f"{live_server}/association/reviews?lang=en")
    sign_in(page, "brand_admin@example.com")
    first = page.locator(f"article[data-product-id='{sweater.id}']")
    expect(first.locator("dl.facts")).to_contain_text("Maker A")
    expect(first.locator("dl.facts")).to_contain_text("6110120000")
    expect(first.locator(".photos img")).to_have_count(1)
    expect(first.locator("[lang=zh-CN] .title")).to_have_text("山羊绒圆领衫")
    expect(first.locator("[lang=en] .title")).to_have_text("Cashmere crew-neck sweater")
    assert serious_accessibility_problems(page) == []

    first.locator("button.approve").click()
    expect(page.locator("#message")).to_have_text("Approved: Cashmere crew-neck sweater")
    expect(first).to_have_count(0)
    second = page.locator(f"article[data-product-id='{gloves.id}']")
    second.locator("button.reject").click()  # no reason: the browser asks for one, nothing is sent
    assert client.get(f"/api/v1/products/{gloves.id}", headers=world.headers["sme_b"]).json["status"] == (
        "pending_review"
    )
    second.locator("textarea[name=reason]").fill("The photos are missing")
    second.locator("button.reject").click()
    expect(page.locator("#nothing")).to_be_visible()
    assert client.get(f"/api/v1/products/{sweater.id}", headers=world.headers["sme_a"]).json["status"] == "approved"
    rejected = client.get(f"/api/v1/products/{gloves.id}", headers=world.headers["sme_b"]).json
    assert (rejected["status"], rejected["rejection_reason"]) == ("rejected", "The photos are missing")
    assert outside == []


def test_the_association_suspends_a_member_knowing_what_it_takes_off_then_reinstates_and_admits_in_chinese(
    live_server, browser_page, client, factory
):
    shop = open_shop(factory)
    world = shop.world
    upcoming = schedule(client, world.headers["host"])
    put_lineup(client, world.headers["host"], upcoming["id"], [{"product_id": shop.scarf_id}])
    page = browser_page
    local_only(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/association/members?lang=zh-CN")
    sign_in(page, "brand_admin@example.com")
    row = page.locator(f"tr[data-membership-id='{world.membership_a_id}']")
    expect(row.locator(".firm")).to_have_text("Maker A")
    expect(row.locator(".status .badge")).to_have_text("有效")
    assert no_text_squeezed(page, "#members td") == []
    assert serious_accessibility_problems(page) == []

    said: list[str] = []

    def answer(dialog):
        said.append(dialog.message)
        if dialog.type == "prompt":
            dialog.accept("抽检不合格")
        else:
            dialog.accept()

    page.on("dialog", answer)
    row.locator("button.suspend").click()
    expect(row.locator(".status .badge")).to_have_text("已暂停")
    expect(row.locator(".status .note")).to_have_text("抽检不合格")
    assert said[0] == (
        "这将立即取消 1 个产品的集体商标使用：0 个电商平台商品将下架或去掉商标重新发布，"
        "1 个未开播直播的排品将被移除。确定继续吗？"
    )
    stream = client.get(f"/api/v1/streams/{upcoming['id']}", headers=world.headers["host"]).json
    assert stream["lineup"] == []

    row.locator("button.reinstate").click()
    expect(row.locator(".status .badge")).to_have_text("有效")

    page.select_option("#admit select[name=enterprise_id]", str(world.maker_b_id))
    page.fill("#admit input[name=licence_no]", "QH-2026-002")
    page.fill("#admit input[name=valid_to]", "2027-12-31")
    page.click("#admit button[type=submit]")
    expect(page.locator(f"#members tr[data-enterprise-id='{world.maker_b_id}'] .firm")).to_have_text("Maker B")
    memberships = client.get(
        f"/api/v1/trademarks/{world.trademark_id}/memberships", headers=world.headers["brand_admin"]
    ).json["items"]
    assert sorted((item["enterprise_id"], item["licence_no"]) for item in memberships)[-1] == (
        world.maker_b_id,
        "QH-2026-002",
    )
