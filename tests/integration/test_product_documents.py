"""Product documents: every field as the API's Python helpers write it, and on PostgreSQL the
documents the database renders equal to those built in Python (``presenter.products_public``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, delete, select, update

from commerce.catalog.models import Product as ProductRow
from commerce.catalog.models import ProductTranslation, Sku
from commerce.catalog.presenter import (
    documents_page,
    pick_language,
    product_documents,
    products_public,
    timestamp_text,
)
from commerce.db import utcnow
from commerce.validation import decimal_text, money_json


def _document(database, product_id: int, languages=("en",)) -> dict:
    """The product's document as the API gives it; on PostgreSQL also the same as the plain path's."""
    with database.session() as session:
        [document] = product_documents(session, [product_id], languages=list(languages))
        [plain] = products_public(session, [product_id], list(languages), utcnow().date())
    assert json.loads(document) == json.loads(plain.model_dump_json())
    return json.loads(document)


def _set(database, statement) -> None:
    with database.session() as session:
        session.execute(statement)
        session.commit()


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        ("399.00", "CNY"),
        ("0.5", "USD"),
        ("1500", "JPY"),
        ("7.125", "KWD"),
        ("100", "KWD"),
        ("12.345", "CNY"),
        ("12.3456", "CNY"),
        ("2.5", "JPY"),
        ("1234567890.1200", "USD"),
        ("0.0001", "CNY"),
    ],
)
def test_a_price_is_written_as_money_json_writes_it(factory, database, amount, currency):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    _set(database, update(Sku).where(Sku.product_id == product.id).values(price_amount=amount, currency=currency))

    [sku] = _document(database, product.id)["skus"]

    assert sku["price"] == money_json(Decimal(amount).quantize(Decimal("0.0001")), currency)


@pytest.mark.parametrize("weight", ["0.350", "12", "0", "0.001", "99999.5"])
def test_a_weight_is_written_with_every_place_of_its_scale(factory, database, weight):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    _set(database, update(Sku).where(Sku.product_id == product.id).values(weight_kg=weight))

    [sku] = _document(database, product.id)["skus"]

    assert sku["weight_kg"] == decimal_text(Decimal(weight).quantize(Decimal("0.001")))


def test_timestamps_show_microseconds_only_when_there_are_some(factory, database):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    whole = datetime(2026, 3, 1, 8, 30, 5, tzinfo=UTC)
    fractional = datetime(2026, 3, 1, 8, 30, 5, 120, tzinfo=UTC)
    _set(
        database, update(ProductRow).where(ProductRow.id == product.id).values(created_at=whole, updated_at=fractional)
    )

    document = _document(database, product.id)

    assert (document["created_at"], document["updated_at"]) == (timestamp_text(whole), timestamp_text(fractional))
    assert (document["created_at"], document["updated_at"]) == ("2026-03-01T08:30:05Z", "2026-03-01T08:30:05.000120Z")


TRANSLATED = {
    "en": {"title": "Cashmere crew-neck sweater", "description": "100% cashmere"},
    "zh-CN": {"title": "山羊绒圆领衫", "description": "100%山羊绒"},
    "fr-CA": {"title": "Chandail en cachemire", "description": "100 % cachemire"},
    "fr-FR": {"title": "Pull en cachemire", "description": "100 % cachemire"},
}


MANY = ["ja", "ko", "de", "it", "es", "pt", "ru", "ar", "he", "nl"]


@pytest.mark.parametrize(
    ("languages", "expected"),
    [
        ([], "zh-CN"),
        (["en"], "en"),
        (["fr"], "fr-CA"),
        (["fr-BE"], "fr-CA"),
        (["fr-FR"], "fr-FR"),
        (["de", "fr-FR"], "fr-FR"),
        (["zh-TW"], "zh-CN"),
        (["de"], "zh-CN"),
        (["en-GB", "zh-CN"], "en"),
        ([*MANY, "fr-FR"], "fr-FR"),
        ([*MANY, "sv", "fr-FR"], "zh-CN"),
    ],
)
def test_the_language_is_the_readers_best(factory, database, languages, expected):
    """Exact tags first, then a tag of the same language (the first in code point order), the
    reader's first eleven counting; then zh-CN and en."""
    world = factory.world()
    product = factory.product(world.maker_a_id, translations=TRANSLATED)

    document = _document(database, product.id, languages)

    assert pick_language(list(TRANSLATED), languages) == expected
    assert document["language"] == expected
    assert (document["title"], document["description"]) == (
        TRANSLATED[expected]["title"],
        TRANSLATED[expected]["description"],
    )
    assert document["translations"] == TRANSLATED


def test_a_product_in_none_of_the_readers_languages_shows_its_first_translation(factory, database):
    world = factory.world()
    texts = {
        "en": {"title": "Cashmere sweater", "description": ""},
        "ja": {"title": "カシミヤセーター", "description": ""},
        "de": {"title": "Kaschmirpullover", "description": ""},
    }
    product = factory.product(world.maker_a_id, translations=texts)
    _set(
        database,
        delete(ProductTranslation).where(
            ProductTranslation.product_id == product.id, ProductTranslation.locale == "en"
        ),
    )

    document = _document(database, product.id, ["fr"])

    assert (document["language"], document["title"]) == ("de", "Kaschmirpullover")


def test_a_product_without_translations_has_empty_texts(factory, database):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    _set(database, delete(ProductTranslation).where(ProductTranslation.product_id == product.id))

    document = _document(database, product.id)

    assert (document["language"], document["title"], document["description"], document["translations"]) == (
        "",
        "",
        "",
        {},
    )


def test_skus_come_in_id_order_with_their_stock(factory, database):
    world = factory.world()
    skus = [
        {"sku_code": code, "attributes": {"size": size}, "price": {"amount": "10", "currency": "CNY"}, "on_hand": stock}
        for code, size, stock in (("Z-L", "L", 3), ("A-S", "S", 0), ("M-M", "M", 7))
    ]
    product = factory.product(world.maker_a_id, skus=skus)

    shown = _document(database, product.id)["skus"]

    assert [sku["sku_code"] for sku in shown] == ["Z-L", "A-S", "M-M"]
    assert [sku["id"] for sku in shown] == sorted(sku["id"] for sku in shown)
    assert [sku["stock"] for sku in shown] == [
        {"on_hand": 3, "reserved": 0, "allocated": 0, "available": 3},
        {"on_hand": 0, "reserved": 0, "allocated": 0, "available": 0},
        {"on_hand": 7, "reserved": 0, "allocated": 0, "available": 7},
    ]
    assert [sku["attributes"] for sku in shown] == [{"size": "L"}, {"size": "S"}, {"size": "M"}]


def test_documents_come_in_id_order_each_with_its_own_skus(factory, database):
    world = factory.world()

    def sku(code: str) -> dict:
        return {"sku_code": code, "attributes": {}, "price": {"amount": "10", "currency": "CNY"}, "on_hand": 1}

    first = factory.product(world.maker_a_id, skus=[sku("A-1"), sku("A-2")])
    second = factory.product(world.maker_b_id, skus=[sku("B-1"), sku("B-2"), sku("B-3")])

    with database.session() as session:
        documents = product_documents(session, [second.id, 999_999, first.id], languages=["en"], today=utcnow().date())

    shown = [json.loads(document) for document in documents]
    assert [(document["id"], [sku["sku_code"] for sku in document["skus"]]) for document in shown] == [
        (first.id, ["A-1", "A-2"]),
        (second.id, ["B-1", "B-2", "B-3"]),
    ]


def test_a_page_of_a_list_is_the_documents_of_its_first_ids(factory, database):
    world = factory.world()
    products = [factory.product(world.maker_a_id) for _ in range(3)]
    page = select(ProductRow.id).where(ProductRow.enterprise_id == bindparam("firm")).order_by(ProductRow.id)

    with database.session() as session:
        shown = documents_page(session, page, {"firm": world.maker_a_id}, limit=2, languages=["en"])
        expected = [
            json.loads(product.model_dump_json())
            for product in products_public(session, [products[0].id, products[1].id], ["en"], utcnow().date())
        ]

    assert [json.loads(document) for document in shown.items] == expected
    assert shown.next_after == products[1].id
