"""A firm's pages in a real headless Chromium: from the front page to a submitted product with two photos,
its products, import, stock, orders, rebates and letter, in both languages and at phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from commerce.catalog.models import Product
from commerce.media.models import ProductImage
from tests.browsing import PHONE, local_only, no_text_squeezed, serious_accessibility_problems, sign_in
from tests.factories import PASSWORD, REAL_USCCS, open_shop, photo_bytes, product_payload

pytestmark = pytest.mark.browser


class Walk:
    """A person's way through the pages: the clicks and fields they need, beyond the product's own facts."""

    def __init__(self, page):
        self.page = page
        self.steps: list[str] = []

    def click(self, selector: str) -> None:
        self.steps.append(f"click {selector}")
        self.page.click(selector)

    def fill(self, selector: str, value: str, *, own_fact: bool = False) -> None:
        if not own_fact:
            self.steps.append(f"fill {selector}")
        self.page.fill(selector, value)

    def files(self, selector: str, files: list[dict]) -> None:
        self.steps.append(f"choose {selector}")
        self.page.set_input_files(selector, files)


def test_a_new_firm_user_goes_from_the_front_page_to_a_submitted_product_with_two_photos(
    live_server, browser_page, client, factory, database
):
    world = factory.world()
    page = browser_page
    outside = local_only(page)
    page.goto(f"{live_server}/?lang=en")
    walk = Walk(page)
    walk.click("text=Sign in")
    walk.fill("#sign-in input[name=email]", "sme_a@example.com")
    walk.fill("#sign-in input[name=password]", PASSWORD)
    walk.click("#sign-in button[type=submit]")
    walk.click("ul.cards >> text=Products")
    walk.click("text=Add a product")
    expect(page.locator("h1")).to_have_text("New product")
    for name, value in (
        ("hs_code", "6110120000"),
        ("declaration_elements", "针织|女式|100%山羊绒|套头衫|无品牌"),
        ("legal_unit", "件"),
        ("second_legal_unit", "千克"),
        ("origin_region_code", "13059"),
        ("title_zh", "山羊绒圆领衫"),
        ("title_en", "Cashmere crew-neck sweater"),
    ):
        walk.fill(f"#product [name={name}]", value, own_fact=True)
    row = "#skus tbody tr:first-child"
    walk.fill(f"{row} [name=sku_code]", "SW-RED-M", own_fact=True)
    walk.fill(f"{row} [name=attributes]", "color=red; size=M", own_fact=True)
    walk.fill(f"{row} [name=price]", "399.00", own_fact=True)
    walk.fill(f"{row} [name=on_hand]", "12", own_fact=True)
    walk.files(
        "#product input[name=photos]",
        [
            {"name": "front.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()},
            {"name": "back.png", "mimeType": "image/png", "buffer": photo_bytes("PNG", color=(10, 90, 200))},
        ],
    )
    walk.click("#save-submit")
    expect(page.locator("#message")).to_have_text("Submitted for review.")
    expect(page.locator("#status")).to_have_text("Waiting for review")
    expect(page.locator("#photos img")).to_have_count(2)
    assert len(walk.steps) < 10, walk.steps
    assert len(walk.steps) == 8

    with database.session() as session:
        product = session.exec(select(Product)).one()
        assert (product.enterprise_id, product.status, product.hs_code) == (
            world.maker_a_id,
            "pending_review",
            "6110120000",
        )
        assert len(session.exec(select(ProductImage).where(ProductImage.product_id == product.id)).all()) == 2
    assert page.url.endswith(f"/firm/products/{product.id}")
    expect(page.locator("#stock-levels tbody tr")).to_have_count(1)
    expect(page.locator("#stock-levels .on-hand")).to_have_text("12")
    assert serious_accessibility_problems(page) == []

    # The back photo becomes the main picture, described in both languages.
    back = page.locator("#photos li").nth(1)
    back_id = int(back.get_attribute("data-image-id"))
    back.locator("button.make-main").click()
    expect(page.locator("#photos li").first).to_have_attribute("data-image-id", str(back_id))
    main = page.locator("#photos li").first
    expect(main.locator(".main-photo")).to_have_text("Main picture")
    main.locator("input[name=alt_zh]").fill("背面")
    main.locator("input[name=alt_en]").fill("The back")
    main.locator("form.photo-alt button").click()
    expect(page.locator("#photos li").first.locator("img")).to_have_attribute("alt", "The back")
    images = client.get(f"/api/v1/products/{product.id}/images", headers=world.headers["sme_a"]).json["items"]
    assert [(image["id"] == back_id, image["alt"]) for image in images] == [
        (True, {"zh-CN": "背面", "en": "The back"}),
        (False, {}),
    ]
    assert outside == []


def test_a_rejected_product_says_why_and_a_wrong_field_is_said_in_chinese_at_phone_width(
    live_server, browser_page, client, factory
):
    world = factory.world()
    made = factory.product(world.maker_a_id, status="rejected", rejection_reason="照片不清晰")
    page = browser_page
    local_only(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/firm/products?lang=zh-CN")
    sign_in(page, "sme_a@example.com")
    expect(page.locator("h1")).to_have_text("产品")
    listed = page.locator(f"tr[data-product-id='{made.id}']")
    expect(listed.locator(".badge")).to_have_text("审核未通过")
    expect(listed.locator(".rejection")).to_have_text("驳回原因: 照片不清晰")
    assert no_text_squeezed(page, "#products td .title, #products .sku-list li") == []
    assert serious_accessibility_problems(page) == []

    listed.locator("a.title").click()
    expect(page.locator("#rejection")).to_have_text("驳回原因: 照片不清晰")
    before = client.get(f"/api/v1/products/{made.id}", headers=world.headers["sme_a"]).json
    page.fill("#product [name=hs_code]", "6110200000")
    page.click("#add-sku")
    new_row = page.locator("#skus tbody tr").last
    new_row.locator("[name=sku_code]").fill(before["skus"][0]["sku_code"])
    new_row.locator("[name=price]").fill("299.00")
    page.click("#save")
    expect(page.locator("#message")).to_have_text("SKU 编码重复，或本企业已有相同编码的 SKU。")
    after = client.get(f"/api/v1/products/{made.id}", headers=world.headers["sme_a"]).json
    assert (after["hs_code"], len(after["skus"]), after["updated_at"]) == ("6110120000", 1, before["updated_at"])
    assert serious_accessibility_problems(page) == []


def test_a_firm_adjusts_stock_imports_a_file_and_reads_its_row_errors_in_english(
    live_server, browser_page, client, factory
):
    world = factory.world()
    made = client.post(
        "/api/v1/products", json=product_payload(enterprise_id=world.maker_a_id), headers=world.headers["sme_a"]
    ).json
    sku = made["skus"][0]
    page = browser_page
    local_only(page)
    page.goto(f"{live_server}/firm/products/{made['id']}?lang=en")
    sign_in(page, "sme_a@example.com")
    stock_row = page.locator(f"#stock-levels tr[data-sku-id='{sku['id']}']")
    expect(stock_row.locator(".on-hand")).to_have_text("10")
    stock_row.locator("input[name=delta]").fill("-3")
    stock_row.locator("input[name=reason]").fill("damaged in the workshop")
    stock_row.locator("button").click()
    expect(stock_row.locator(".on-hand")).to_have_text("7")
    expect(page.locator("#movements tbody tr").first).to_contain_text("damaged in the workshop")

    page.click("nav >> text=Bulk import")
    expect(page.locator("h1")).to_have_text("Bulk import")
    header = client.get("/api/v1/products/imports/template?format=csv", headers=world.headers["sme_a"]).data
    first_line = header.decode("utf-8-sig").splitlines()[0]
    page.set_input_files(
        "#upload input[name=file]",
        {"name": "products.csv", "mimeType": "text/csv", "buffer": (first_line + "\n" + "x," * 3 + "\n").encode()},
    )
    page.check("#upload input[value=reject_failed_rows]")
    page.click("#upload button[type=submit]")
    # The policy chosen on the form is the one used: the wrong row is left out, not the whole file.
    expect(page.locator("#import-status")).to_have_text("Done, wrong rows left out")
    expect(page.locator("#row-errors tbody tr").first).to_be_visible()
    assert page.locator("#row-errors tbody tr").count() >= 1
    assert serious_accessibility_problems(page) == []


def test_a_firms_orders_rebates_and_letter_pages_in_both_languages(live_server, browser_page, factory):
    factory.world()
    page = browser_page
    local_only(page)
    page.goto(f"{live_server}/firm/letter?lang=en")
    sign_in(page, "sme_a@example.com")
    expect(page.locator("#memberships tbody tr")).to_have_count(1)
    english = page.locator("#memberships a.letter-en")
    with page.expect_download() as download:
        english.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert serious_accessibility_problems(page) == []
    for path, heading in (("/firm/orders", "销售订单"), ("/firm/exports", "出口与退税")):
        page.goto(f"{live_server}{path}?lang=zh-CN")
        expect(page.locator("h1")).to_have_text(heading)
        expect(page.locator("#nothing, #no-claims").first).to_be_visible()
        assert serious_accessibility_problems(page) == []


def test_a_firm_sees_the_declarations_holding_its_goods_and_no_others(live_server, browser_page, client, factory):
    from tests.e2e.test_customs import configure, two_parcels

    shop = open_shop(factory)
    configure(client, shop)
    two_parcels(client, shop, "P")
    formed = client.post(
        "/api/v1/customs/batches", headers=shop.world.headers["trade_operator"], json={"customs_mode": "9610"}
    )
    assert formed.status_code == 201, formed.json
    own = [item for item in formed.json["declarations"] if item["owner_code"] == REAL_USCCS[0]]
    page = browser_page
    local_only(page)
    page.goto(f"{live_server}/firm/exports?lang=en")
    sign_in(page, "sme_a@example.com")
    rows = page.locator("#declarations tbody tr")
    expect(rows).to_have_count(len(own))
    assert sorted(int(rows.nth(index).get_attribute("data-declaration-id")) for index in range(len(own))) == sorted(
        item["id"] for item in own
    )
    expect(rows.first.locator("td").nth(2)).to_have_text("Draft")
    assert serious_accessibility_problems(page) == []


def test_a_firm_answers_a_refund_and_a_return_and_asks_for_one_on_its_after_sales_page(
    live_server, browser_page, client, factory, database
):
    from tests.e2e.test_after_sales import _paid_order, _request
    from tests.factories import stock_of

    shop = open_shop(factory)
    operator = shop.world.headers["trade_operator"]
    scarf, sweater = shop.scarf_skus[0], shop.sweater_skus[0]
    unshipped = _paid_order(client, shop, "AS-P1", [{"sku_id": scarf, "quantity": 3}])
    shipped = _paid_order(client, shop, "AS-P2", [{"sku_id": sweater, "quantity": 2}], ship=True)
    refund = _request(client, operator, unshipped, unshipped["lines"][0], "refund_only", quantity=1).json
    back = _request(client, operator, shipped, shipped["lines"][0], "return_and_refund", quantity=2).json
    page = browser_page
    local_only(page)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server}/firm/after-sales?lang=zh-CN")
    sign_in(page, "sme_a@example.com")
    expect(page.locator("h1")).to_have_text("售后")
    expect(page.locator("#after-sales tbody tr")).to_have_count(2)

    def row(after_sale):
        return page.locator(f"#after-sales tr[data-after-sale-id='{after_sale['id']}']")

    expect(row(refund).locator("td").nth(1)).to_contain_text("direct · AS-P1")
    row(refund).locator("button.approve").click()
    expect(row(refund).locator(".badge")).to_have_text("已通过")
    assert stock_of(database, scarf) == (100, 2, 0, 98)
    row(refund).locator("button.refund").click()
    expect(row(refund).locator(".badge")).to_have_text("已退款")

    row(back).locator("button.approve").click()
    row(back).locator("button.receive").click()
    expect(row(back).locator(".badge")).to_have_text("退货已到")
    inspection = row(back).locator("form.inspect")
    inspection.locator("input[name=restocked]").fill("1")
    inspection.locator("button[type=submit]").click()
    expect(page.locator("#message")).to_contain_text("2")
    inspection.locator("input[name=written_off]").fill("1")
    inspection.locator("button[type=submit]").click()
    expect(row(back).locator(".badge")).to_have_text("已验货")
    assert stock_of(database, sweater) == (29, 0, 0, 29)
    assert no_text_squeezed(page, "#after-sales td") == []
    assert serious_accessibility_problems(page) == []

    # In English, on a laptop: a partial refund asked from the form, then refused with a reason.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server}/firm/after-sales?lang=en")
    expect(page.locator("#after-sales tbody tr")).to_have_count(2)
    page.click("#new summary")
    line = page.locator(f"#ask select[name=line] option[value='{shipped['id']}:{shipped['lines'][0]['id']}']")
    expect(line).to_contain_text("direct · AS-P2 — ")
    expect(line).to_contain_text(" · SW-M × 2")
    page.select_option("#ask select[name=line]", f"{shipped['id']}:{shipped['lines'][0]['id']}")
    page.select_option("#ask select[name=kind]", "partial_refund")
    page.fill("#ask input[name=amount]", "20.00")
    page.fill("#ask input[name=reason]", "a loose thread")
    page.click("#ask button[type=submit]")
    # The return already gives back all that line was paid.
    expect(page.locator("#message")).to_have_text("The refunds of this line would come to more than was paid for it.")
    expect(page.locator("#after-sales tbody tr")).to_have_count(2)
    page.select_option("#ask select[name=line]", f"{unshipped['id']}:{unshipped['lines'][0]['id']}")
    page.click("#ask button[type=submit]")
    expect(page.locator("#message")).to_have_text("The request is recorded.")
    asked = page.locator("#after-sales tbody tr").last
    expect(asked.locator(".badge")).to_have_text("Requested")
    asked.locator("form.refuse input[name=reason]").fill("the thread was cut in the video")
    asked.locator("form.refuse button").click()
    expect(page.locator("#after-sales tbody tr").last.locator(".badge")).to_have_text("Refused")
    assert serious_accessibility_problems(page) == []
