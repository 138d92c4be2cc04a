"""Text that customs' messages cannot carry (control characters, NUL) is refused where it comes in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce.catalog.models import Product
from commerce.clusters.models import Enterprise
from commerce.orders.models import SalesOrder
from tests.e2e.test_orders import order_body
from tests.factories import make_uscc, open_shop, product_payload

BAD = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\ufffe"]


def _count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("character", BAD, ids=[f"U+{ord(character):04X}" for character in BAD])
def test_a_control_character_anywhere_in_a_request_is_refused_and_nothing_is_stored(
    client, factory, database, character
):
    shop = open_shop(factory)
    products, orders, firms = _count(database, Product), _count(database, SalesOrder), _count(database, Enterprise)
    titled = product_payload()
    titled["translations"]["en"]["title"] = f"Cashmere{character} sweater"
    attributed = product_payload()
    attributed["skus"][0]["attributes"] = {"colour": f"re{character}d"}
    buyer = order_body("T-1", [{"sku_id": shop.scarf_skus[0], "quantity": 1}])
    buyer["buyer"]["name"] = f"Ali{character}ce"
    answers = [
        client.post("/api/v1/products", headers=shop.world.headers["sme_a"], json=titled),
        client.post("/api/v1/products", headers=shop.world.headers["sme_a"], json=attributed),
        client.post("/api/v1/orders", headers=shop.world.headers["trade_operator"], json=buyer),
        client.post(
            "/api/v1/enterprises",
            headers=shop.world.headers["admin"],
            json={
                "name": f"Fi{character}rm",
                "uscc": make_uscc(990),
                "cluster_id": shop.world.cluster_id,
                "kind": "manufacturer",
                "region_code": "13059",
            },
        ),
    ]
    assert [(answer.status_code, answer.json.get("code")) for answer in answers] == [(422, "control_character")] * 4
    assert (_count(database, Product), _count(database, SalesOrder), _count(database, Enterprise)) == (
        products,
        orders,
        firms,
    )


def test_the_refusal_speaks_the_callers_language_and_names_the_field(client, factory):
    world = factory.world()
    payload = product_payload()
    payload["translations"]["zh-CN"]["title"] = "山羊绒\x01圆领衫"
    answer = client.post(
        "/api/v1/products", headers={**world.headers["sme_a"], "Accept-Language": "zh-CN"}, json=payload
    )
    assert answer.status_code == 422
    assert answer.json["code"] == "control_character"
    assert answer.json["errors"][0]["code"] == "control_character"
    assert answer.json["errors"][0]["message"] == "文本中含有无法保存的控制字符（如 NUL），请删除后重试。"
    assert "translations" in answer.json["errors"][0]["field"]


def test_tabs_and_line_breaks_in_a_description_are_kept(client, factory):
    world = factory.world()
    payload = product_payload()
    payload["translations"]["en"]["description"] = "100% cashmere\n\tHand wash cold\r\n"
    created = client.post("/api/v1/products", headers=world.headers["sme_a"], json=payload)
    assert created.status_code == 201, created.json
    shown = client.get(
        f"/api/v1/products/{created.json['id']}", headers={**world.headers["sme_a"], "Accept-Language": "en"}
    )
    assert shown.json["description"] == "100% cashmere\n\tHand wash cold"


def test_an_import_row_with_a_control_character_is_a_row_error_and_nothing_is_stored(client, factory, database):
    from tests.e2e.test_imports import _upload
    from tests.import_files import csv_bytes, sku_row

    world = factory.world()
    rows = [sku_row("QH-1", "QH-1-M"), sku_row("QH-2", "QH-2-M", title_en="Cashmere\x01 sweater")]
    answer = _upload(client, world.headers["sme_a"], csv_bytes(rows), world.maker_a_id)
    assert answer.status_code == 202, answer.json
    assert (answer.json["status"], answer.json["ok_rows"]) == ("failed", 0)
    assert [(error["row"], error["field"], error["code"]) for error in answer.json["errors"]] == [
        (3, "title_en", "control_character")
    ]
    assert _count(database, Product) == 0


def test_a_marketplace_order_with_control_characters_is_taken_without_them(factory, database):
    from datetime import UTC, datetime
    from decimal import Decimal

    from commerce.listings import orders_in
    from commerce.listings.content import seller_sku
    from commerce.listings.models import ChannelAccount
    from integrations.marketplace import RemoteOrder, RemoteOrderLine, RemoteOrderStatus

    shop = open_shop(factory)
    with database.session() as session:
        account = ChannelAccount(platform="douyin", name="Shop", credentials_sealed="x", rate_limit_per_second=5)
        session.add(account)
        session.commit()
        remote = RemoteOrder(
            external_id="DY\x00-77",
            status=RemoteOrderStatus.PAID,
            currency="CNY",
            buyer_name="Wang\x01 Fang\x1f",
            buyer_country="CN",
            lines=(
                RemoteOrderLine(seller_sku=seller_sku(shop.scarf_skus[0]), quantity=1, unit_price=Decimal("199.00")),
            ),
            updated_at=datetime.now(UTC),
        )
        order_id = orders_in.ingest(session, account=account, remote=remote)
        # The same order told again (a webhook and a poll) is found, not taken twice.
        assert orders_in.ingest(session, account=account, remote=remote) == order_id
    with database.session() as session:
        order = session.get(SalesOrder, order_id)
        assert (order.external_id, order.buyer_name) == ("DY-77", "Wang Fang")
        assert session.scalar(select(func.count()).select_from(SalesOrder)) == 1
