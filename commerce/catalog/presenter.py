"""Turning products into their public shape (``ProductPublic``): the specification of a product
document, and the documents of a page of a list.

``products_public`` reads a page's products, translations, SKUs with their stock, photos and
trademark use (five queries) and builds each document. On PostgreSQL the database writes the
same documents itself in one statement (``catalog.postgresql``); tests hold the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session

from commerce.catalog import postgresql
from commerce.catalog.models import Product, ProductPublic, ProductTranslation, Sku, preference_order
from commerce.clusters.trademarks import usable_trademarks
from commerce.db import utcnow
from commerce.inventory.models import StockLevel
from commerce.media.models import ProductImage, media_url
from commerce.pagination import Page, page_of
from commerce.sql import among, on_postgresql
from commerce.validation import Money, decimal_text


def timestamp_text(moment: datetime) -> str:
    """A UTC timestamp as the API writes it everywhere: ISO 8601 with a Z offset."""
    return moment.isoformat().replace("+00:00", "Z")


def pick_language(available: Sequence[str], preferred: Sequence[str]) -> str | None:
    """The best content language for a reader: their preferences, then zh-CN, en, then any.

    A language of the same family counts after the exact tag (``zh-TW`` for ``zh-CN``), the
    first of them in code point order.
    """
    for tag in preference_order(preferred):
        if tag in available:
            return tag
        base = tag.split("-")[0]
        for candidate in sorted(available):
            if candidate.split("-")[0] == base:
                return candidate
    return min(available) if available else None


def product_documents(
    session: Session, product_ids: Sequence[int], *, languages: Sequence[str], today: date | None = None
) -> list[str]:
    """The public shape of products as JSON text, in id order (ids of no product are left out)."""
    if not product_ids:
        return []
    today = today or utcnow().date()
    if on_postgresql(session):
        return postgresql.render_documents(session, product_ids, languages=languages, today=today)
    return [product.model_dump_json() for product in products_public(session, product_ids, languages, today)]


def documents_page(
    session: Session,
    page: Select,
    parameters: dict[str, Any],
    *,
    limit: int,
    languages: Sequence[str],
    today: date | None = None,
) -> Page[str]:
    """One page of product documents: ``page`` selects product ids in id order (built once, its
    values in ``parameters``); up to ``limit`` of them are shown."""
    today = today or utcnow().date()
    if on_postgresql(session):
        return postgresql.render_page(session, page, parameters, limit=limit, languages=languages, today=today)
    ids = list(session.execute(page.limit(limit + 1), parameters).scalars())
    listed = page_of(ids, limit, id_of=lambda product_id: product_id, item=lambda product_id: product_id)
    documents = product_documents(session, listed.items, languages=languages, today=today)
    return Page(items=documents, next_after=listed.next_after)


def products_public(
    session: Session, product_ids: Sequence[int], languages: Sequence[str], today: date
) -> list[ProductPublic]:
    """Products in their public shape, in id order: their texts in the reader's best language and
    all their translations, SKUs (in id order) with their stock, photos (in their order), and
    whether their maker may use their collective trademark on ``today``."""
    products = session.execute(
        select(Product.__table__).where(among(session, Product.id, list(product_ids))).order_by(Product.id)
    ).all()
    if not products:
        return []
    ids = [product.id for product in products]
    texts: dict[int, dict[str, dict[str, str]]] = defaultdict(dict)
    for row in session.execute(
        select(ProductTranslation.product_id, ProductTranslation.locale, ProductTranslation.title)
        .add_columns(ProductTranslation.description)
        .where(among(session, ProductTranslation.product_id, ids))
    ):
        texts[row.product_id][row.locale] = {"title": row.title, "description": row.description}
    skus: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(
        select(Sku.__table__, StockLevel.on_hand, StockLevel.reserved, StockLevel.allocated, StockLevel.available)
        .outerjoin(StockLevel, StockLevel.sku_id == Sku.id)
        .where(among(session, Sku.product_id, ids))
        .order_by(Sku.id)
    ):
        skus[row.product_id].append(_sku(row))
    images: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for image in session.execute(
        select(ProductImage.__table__)
        .where(among(session, ProductImage.product_id, ids))
        .order_by(ProductImage.position, ProductImage.id)
    ):
        images[image.product_id].append(_image(image))
    usable = usable_trademarks(session, enterprise_ids={product.enterprise_id for product in products}, day=today)
    return [
        _product(product, texts[product.id], skus[product.id], images[product.id], usable, languages)
        for product in products
    ]


def _product(row: Any, texts: dict, skus: list, images: list, usable: set, languages: Sequence[str]) -> ProductPublic:
    language = pick_language(list(texts), languages)
    chosen = texts[language] if language else {"title": "", "description": ""}
    return ProductPublic.model_validate(
        {
            "id": row.id,
            "enterprise_id": row.enterprise_id,
            "product_code": row.product_code,
            "trademark_id": row.trademark_id,
            "trademark_usable": (row.enterprise_id, row.trademark_id) in usable,
            "status": row.status,
            "hs_code": row.hs_code,
            "hs_suffix": row.hs_suffix,
            "declaration_elements": row.declaration_elements,
            "legal_unit": row.legal_unit,
            "second_legal_unit": row.second_legal_unit,
            "origin_region_code": row.origin_region_code,
            "title": chosen["title"],
            "description": chosen["description"],
            "language": language or "",
            "translations": texts,
            "skus": skus,
            "images": images,
            "rejection_reason": row.rejection_reason,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }
    )


def _sku(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "sku_code": row.sku_code,
        "attributes": row.attributes,
        "price": Money.of(row.price_amount, row.currency),
        # Every place of the column's scale, as stored.
        "weight_kg": decimal_text(row.weight_kg),
        "barcode": row.barcode,
        "stock": {
            "on_hand": row.on_hand or 0,
            "reserved": row.reserved or 0,
            "allocated": row.allocated or 0,
            "available": row.available or 0,
        },
    }


def _image(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "sku_id": row.sku_id,
        "position": row.position,
        "url": media_url(row.storage_key),
        "thumbnail_url": media_url(row.thumbnail_key),
        "content_type": row.content_type,
        "width": row.width,
        "height": row.height,
        "alt": row.alt,
    }


def product_titles(session: Session, product_ids: Sequence[int], languages: Sequence[str]) -> dict[int, str]:
    """Each product's title in the reader's best language (empty when it has none)."""
    texts: dict[int, dict[str, str]] = defaultdict(dict)
    if product_ids:
        for product_id, locale, title in session.execute(
            select(ProductTranslation.product_id, ProductTranslation.locale, ProductTranslation.title).where(
                among(session, ProductTranslation.product_id, list(product_ids))
            )
        ):
            texts[product_id][locale] = title
    titles = {}
    for product_id in product_ids:
        own = texts.get(product_id, {})
        language = pick_language(sorted(own), languages)
        titles[product_id] = own[language] if language else ""
    return titles
