from sqlalchemy import func, select

from commerce.catalog.models import Product, Sku
from commerce.inventory.models import StockLevel, StockMovement
from tests.factories import product_payload


def _count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def test_product_answers_in_the_callers_language_with_fallback(client, factory):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    url = f"/api/v1/products/{product.id}"
    headers = world.headers["sme_a"]
    chinese = client.get(url, headers={**headers, "Accept-Language": "zh-CN,zh;q=0.9"}).json
    english = client.get(url, headers={**headers, "Accept-Language": "en-US"}).json
    assert (chinese["title"], chinese["language"]) == ("山羊绒圆领衫", "zh-CN")
    assert (english["title"], english["language"]) == ("Cashmere crew-neck sweater", "en")
    assert set(english["translations"]) == {"zh-CN", "en"}
    only_chinese = factory.product(world.maker_a_id, translations={"zh-CN": {"title": "羊绒围巾"}})
    fallback = client.get(f"/api/v1/products/{only_chinese.id}", headers={**headers, "Accept-Language": "en"}).json
    assert (fallback["title"], fallback["language"]) == ("羊绒围巾", "zh-CN")


def test_product_validation_gives_stable_codes_and_creates_nothing(client, factory, session):
    world = factory.world()
    headers = world.headers["sme_a"]
    cases = [
        (product_payload(hs_code="611012000"), "invalid_hs_code", "hs_code"),
        (product_payload(origin_region_code="1305"), "invalid_region_code", "origin_region_code"),
        (
            product_payload(skus=[{"sku_code": "X", "price": {"amount": 399.5, "currency": "CNY"}}]),
            "invalid_decimal",
            "skus.0.price.amount",
        ),
        (
            product_payload(skus=[{"sku_code": "X", "price": {"amount": "399.555", "currency": "CNY"}}]),
            "too_many_decimals",
            "skus.0.price",
        ),
        (
            product_payload(skus=[{"sku_code": "X", "price": {"amount": "1500.5", "currency": "JPY"}}]),
            "too_many_decimals",
            "skus.0.price",
        ),
        (
            product_payload(skus=[{"sku_code": "X", "price": {"amount": "10", "currency": "ABC"}}]),
            "invalid_currency",
            "skus.0.price.currency",
        ),
        (product_payload(translations={"fr": {"title": "Pull"}}), "validation_error", "translations"),
        (product_payload(skus=[]), "validation_error", "skus"),
    ]
    for body, code, field in cases:
        response = client.post("/api/v1/products", headers=headers, json=body)
        assert response.status_code == 422, body
        assert response.json["code"] == code, response.json
        assert response.json["errors"][0]["field"] == field
    assert _count(session, Product) == 0
    assert _count(session, Sku) == 0


def test_duplicate_sku_code_conflicts_and_leaves_nothing(client, factory, session):
    world = factory.world()
    headers = world.headers["sme_a"]
    first = client.post("/api/v1/products", headers=headers, json=product_payload())
    assert first.status_code == 201
    twice = product_payload(
        skus=[
            {"sku_code": "A", "price": {"amount": "1.00", "currency": "CNY"}},
            {"sku_code": "A", "price": {"amount": "2.00", "currency": "CNY"}},
        ]
    )
    clash = client.post("/api/v1/products", headers=headers, json=twice)
    assert (clash.status_code, clash.json["code"]) == (409, "duplicate_sku_code")
    existing = client.post("/api/v1/products", headers=headers, json=product_payload())
    assert (existing.status_code, existing.json["code"]) == (409, "duplicate_sku_code")
    assert (_count(session, Product), _count(session, Sku), _count(session, StockLevel)) == (1, 1, 1)
    other_firm = client.post("/api/v1/products", headers=world.headers["sme_b"], json=product_payload())
    assert other_firm.status_code == 201


def test_review_workflow_and_its_refusals(client, factory):
    world = factory.world()
    sme, brand = world.headers["sme_a"], world.headers["brand_admin"]
    product_id = client.post("/api/v1/products", headers=sme, json=product_payload()).json["id"]
    early = client.post(f"/api/v1/products/{product_id}/approve", headers=brand)
    assert (early.status_code, early.json["code"]) == (409, "invalid_status_transition")
    assert client.post(f"/api/v1/products/{product_id}/approve", headers=sme).status_code == 403
    assert client.post(f"/api/v1/products/{product_id}/submit", headers=sme).json["status"] == "pending_review"
    assert client.post(f"/api/v1/products/{product_id}/reject", headers=brand, json={}).status_code == 422
    rejected = client.post(f"/api/v1/products/{product_id}/reject", headers=brand, json={"reason": "标签不清"})
    assert (rejected.json["status"], rejected.json["rejection_reason"]) == ("rejected", "标签不清")
    assert client.post(f"/api/v1/products/{product_id}/submit", headers=sme).json["status"] == "pending_review"
    approved = client.post(f"/api/v1/products/{product_id}/approve", headers=brand).json
    assert (approved["status"], approved["rejection_reason"]) == ("approved", None)
    retired = client.post(f"/api/v1/products/{product_id}/retire", headers=sme).json
    assert retired["status"] == "retired"
    frozen = client.patch(f"/api/v1/products/{product_id}", headers=sme, json={"legal_unit": "条"})
    assert (frozen.status_code, frozen.json["code"]) == (409, "product_retired")


def test_approval_under_the_mark_needs_an_active_member(client, factory):
    world = factory.world()
    brand = world.headers["brand_admin"]
    not_member = factory.product(world.maker_b_id, status="pending_review", trademark_id=world.trademark_id)
    refused = client.post(f"/api/v1/products/{not_member.id}/approve", headers=brand)
    assert (refused.status_code, refused.json["code"]) == (409, "not_a_member")
    assert client.get(f"/api/v1/products/{not_member.id}", headers=brand).json["status"] == "pending_review"
    member = factory.product(world.maker_a_id, status="pending_review", trademark_id=world.trademark_id)
    client.patch(
        f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}",
        headers=brand,
        json={"status": "suspended"},
    )
    suspended = client.post(f"/api/v1/products/{member.id}/approve", headers=brand)
    assert (suspended.status_code, suspended.json["code"]) == (409, "not_a_member")
    client.patch(
        f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}",
        headers=brand,
        json={"status": "active"},
    )
    assert client.post(f"/api/v1/products/{member.id}/approve", headers=brand).json["status"] == "approved"
    unmarked = factory.product(world.maker_b_id, status="pending_review")
    assert client.post(f"/api/v1/products/{unmarked.id}/approve", headers=brand).json["status"] == "approved"


def test_editing_reviewed_facts_sends_an_approved_product_back_to_review(client, factory):
    world = factory.world()
    sme = world.headers["sme_a"]
    product = factory.product(world.maker_a_id, status="approved")
    sku_id = client.get(f"/api/v1/products/{product.id}", headers=sme).json["skus"][0]["id"]
    priced = client.patch(
        f"/api/v1/products/{product.id}",
        headers=sme,
        json={"skus": [{"id": sku_id, "price": {"amount": "429.00", "currency": "CNY"}}]},
    ).json
    assert priced["status"] == "approved"
    assert priced["skus"][0]["price"] == {"amount": "429.00", "currency": "CNY"}
    retitled = client.patch(
        f"/api/v1/products/{product.id}",
        headers=sme,
        json={"translations": {"en": {"title": "Cashmere sweater, crew neck"}}},
    ).json
    assert retitled["status"] == "pending_review"
    assert retitled["translations"]["en"]["title"] == "Cashmere sweater, crew neck"
    assert retitled["translations"]["zh-CN"]["title"] == "山羊绒圆领衫"
    history = client.get(f"/api/v1/products/{product.id}/history", headers=sme).json["items"]
    assert [event["action"] for event in history][:2] == ["updated", "updated"]
    price_change = history[1]["changes"]["skus_changed"][0]
    assert price_change["price"] == {"from": "399.00 CNY", "to": "429.00 CNY"}
    assert history[1]["actor_email"] == "sme_a@example.com"
    assert history[0]["changes"]["status"] == {"from": "approved", "to": "pending_review"}


def test_adding_a_sku_by_patch(client, factory):
    world = factory.world()
    sme = world.headers["sme_a"]
    product = factory.product(world.maker_a_id)
    added = client.patch(
        f"/api/v1/products/{product.id}",
        headers=sme,
        json={
            "skus": [
                {"sku_code": "NEW-L", "attributes": {"size": "L"}, "price": {"amount": "409.00", "currency": "CNY"}}
            ]
        },
    )
    assert added.status_code == 200
    assert [sku["sku_code"] for sku in added.json["skus"]][-1] == "NEW-L"
    incomplete = client.patch(f"/api/v1/products/{product.id}", headers=sme, json={"skus": [{"sku_code": "NEW-XL"}]})
    assert (incomplete.status_code, incomplete.json["code"]) == (422, "new_sku_incomplete")


def test_stock_adjustments_never_go_below_what_is_committed(client, factory, session):
    world = factory.world()
    sme = world.headers["sme_a"]
    product = factory.product(world.maker_a_id)
    sku_id = client.get(f"/api/v1/products/{product.id}", headers=sme).json["skus"][0]["id"]
    url = f"/api/v1/skus/{sku_id}/stock-adjustments"
    received = client.post(url, headers=sme, json={"delta": 25, "reason": "入库 goods received"})
    assert received.json == {"on_hand": 35, "reserved": 0, "allocated": 0, "available": 35}
    session.execute(
        StockLevel.__table__.update()
        .where(StockLevel.sku_id == sku_id)
        .values(reserved=5, available=StockLevel.available - 5)
    )
    session.commit()
    too_much = client.post(url, headers=sme, json={"delta": -31, "reason": "write-off"})
    assert (too_much.status_code, too_much.json["code"]) == (409, "stock_below_reserved")
    assert "5" in too_much.json["detail"]
    written_off = client.post(url, headers=sme, json={"delta": -30, "reason": "write-off"})
    assert written_off.json == {"on_hand": 5, "reserved": 5, "allocated": 0, "available": 0}
    movements = client.get(f"/api/v1/skus/{sku_id}/stock-movements", headers=sme).json["items"]
    assert [(item["kind"], item["on_hand_delta"]) for item in movements] == [
        ("adjustment", -30),
        ("adjustment", 25),
        ("initial", 10),
    ]
    assert _count(session, StockMovement) == 3
    assert client.post(url, headers=sme, json={"delta": "1.5", "reason": "x"}).status_code == 422
    assert client.post(url, headers=world.headers["sme_b"], json={"delta": 1, "reason": "x"}).status_code == 404
    assert client.post(url, headers=world.headers["host"], json={"delta": 1, "reason": "x"}).status_code == 403


def test_who_sees_which_products(client, factory):
    world = factory.world()
    draft_a = factory.product(world.maker_a_id)
    approved_a = factory.product(world.maker_a_id, status="approved")
    draft_b = factory.product(world.maker_b_id)
    other_cluster = factory.cluster()
    outsider = factory.product(factory.enterprise(other_cluster.id).id, status="approved")

    def ids(role, query=""):
        return [
            item["id"] for item in client.get(f"/api/v1/products{query}", headers=world.headers[role]).json["items"]
        ]

    assert ids("sme_a") == [draft_a.id, approved_a.id]
    assert ids("sme_b") == [draft_b.id]
    assert ids("host") == [approved_a.id, outsider.id]
    assert ids("brand_admin") == [draft_a.id, approved_a.id, draft_b.id]
    assert ids("admin") == [draft_a.id, approved_a.id, draft_b.id, outsider.id]
    assert ids("trade_operator", "?status=approved") == [approved_a.id]
    assert ids("admin", f"?enterprise_id={world.maker_b_id}") == [draft_b.id]
    assert client.get(f"/api/v1/products/{draft_a.id}", headers=world.headers["sme_b"]).status_code == 404
    assert client.get(f"/api/v1/products/{draft_a.id}", headers=world.headers["host"]).status_code == 404
    assert (
        client.patch(
            f"/api/v1/products/{draft_a.id}", headers=world.headers["sme_b"], json={"legal_unit": "条"}
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/products/{draft_a.id}/submit", headers=world.headers["sme_b"]).status_code == 404


def test_product_pages_follow_the_cursor_and_combine_filters(client, factory):
    world = factory.world()
    marked = factory.product(world.maker_a_id, status="approved", trademark_id=world.trademark_id)
    draft_a = factory.product(world.maker_a_id)
    wire_mesh = factory.product(
        world.maker_a_id, status="approved", trademark_id=world.trademark_id, hs_code="7314190000"
    )
    draft_b = factory.product(world.maker_b_id)
    approved_b = factory.product(world.maker_b_id, status="approved")
    outsider = factory.product(factory.enterprise(factory.cluster().id).id, status="approved")

    def walk(role, query=""):
        pages, cursor = [], None
        while True:
            suffix = f"&cursor={cursor}" if cursor else ""
            answer = client.get(f"/api/v1/products?limit=2{query}{suffix}", headers=world.headers[role]).json
            pages.append([item["id"] for item in answer["items"]])
            cursor = answer["next_cursor"]
            if cursor is None:
                return pages

    assert walk("admin") == [[marked.id, draft_a.id], [wire_mesh.id, draft_b.id], [approved_b.id, outsider.id]]
    assert walk("brand_admin") == [[marked.id, draft_a.id], [wire_mesh.id, draft_b.id], [approved_b.id]]
    assert walk("sme_a") == [[marked.id, draft_a.id], [wire_mesh.id]]
    assert walk("host", "&status=approved") == [[marked.id, wire_mesh.id], [approved_b.id, outsider.id]]
    assert walk("brand_admin", f"&trademark_id={world.trademark_id}") == [[marked.id, wire_mesh.id]]
    assert walk("brand_admin", f"&status=approved&enterprise_id={world.maker_b_id}") == [[approved_b.id]]
    assert walk("sme_a", "&hs_code=7314190000") == [[wire_mesh.id]]
    assert walk("sme_b", f"&trademark_id={world.trademark_id}") == [[]]
    assert walk("host", "&status=draft") == [[]]


def test_admin_creates_products_for_a_named_firm(client, factory):
    world = factory.world()
    created = client.post(
        "/api/v1/products", headers=world.headers["admin"], json=product_payload(enterprise_id=world.maker_b_id)
    )
    assert created.status_code == 201
    assert created.json["enterprise_id"] == world.maker_b_id
    platform = client.post(
        "/api/v1/products", headers=world.headers["admin"], json=product_payload(enterprise_id=world.platform_id)
    )
    assert (platform.status_code, platform.json["code"]) == (422, "wrong_enterprise_kind")
    sme_other = client.post(
        "/api/v1/products",
        headers=world.headers["sme_a"],
        json=product_payload(
            enterprise_id=world.maker_b_id, skus=[{"sku_code": "Z", "price": {"amount": "1.00", "currency": "CNY"}}]
        ),
    )
    assert sme_other.status_code == 404
    no_firm = client.post("/api/v1/products", headers=world.headers["admin"], json=product_payload())
    assert (no_firm.status_code, no_firm.json["code"]) == (422, "enterprise_required")


def test_product_answers_match_the_documented_shape_exactly(client, factory):
    from commerce.catalog.models import ProductPublic

    world = factory.world()
    factory.product(world.maker_a_id, status="approved", trademark_id=world.trademark_id)
    factory.product(
        world.maker_b_id,
        translations={"en": {"title": "Scarf"}},
        skus=[{"sku_code": "JP-1", "price": {"amount": "1500", "currency": "JPY"}, "barcode": "6901234567892"}],
    )
    items = client.get("/api/v1/products", headers=world.headers["admin"]).json["items"]
    assert len(items) == 2
    for item in items:
        assert ProductPublic.model_validate(item).model_dump(mode="json") == item
    assert items[1]["skus"][0]["price"] == {"amount": "1500", "currency": "JPY"}
    assert items[0]["created_at"].endswith("Z")
