"""Turning products into their public shape, loading everything a page needs in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from commerce.catalog.models import (
    CONTENT_LOCALES,
    Product,
    ProductTranslation,
    Sku,
)
from commerce.clusters.service import usable_trademarks
from commerce.db import among, utcnow
from commerce.inventory.models import StockLevel
from commerce.validation import decimal_text, money_json

_NO_STOCK = {"on_hand": 0, "reserved": 0, "allocated": 0, "available": 0}


def timestamp_text(moment: datetime) -> str:
    """A UTC timestamp as the API writes it everywhere: ISO 8601 with a Z offset."""
    return moment.isoformat().replace("+00:00", "Z")


def pick_language(available: Sequence[str], preferred: Sequence[str]) -> str | None:
    """The best content language for a reader: their preferences, then zh-CN, en, then any."""
    for tag in [*preferred, *CONTENT_LOCALES]:
        if tag in available:
            return tag
        base = tag.split("-")[0]
        for candidate in available:
            if candidate.split("-")[0] == base:
                return candidate
    return available[0] if available else None


def present_products(
    session: Session, products: Sequence[Product], *, languages: Sequence[str], today: date | None = None
) -> list[dict[str, Any]]:
    """The public shape of products (``ProductPublic``) as JSON-ready dicts, in three more queries however many.

    Lists of products are the hottest read of the platform, so rows are read as plain tuples
    and shaped directly, without building a model object per product, SKU and translation.
    """
    if not products:
        return []
    ids = [product.id for product in products]
    translations: dict[int, dict[str, dict[str, str]]] = defaultdict(dict)
    for product_id, locale, title, description in session.execute(
        select(
            ProductTranslation.product_id,
            ProductTranslation.locale,
            ProductTranslation.title,
            ProductTranslation.description,
        ).where(among(session, ProductTranslation.product_id, ids))
    ):
        translations[product_id][locale] = {"title": title, "description": description}
    skus: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in session.execute(
        select(
            Sku.id,
            Sku.product_id,
            Sku.sku_code,
            Sku.attributes,
            Sku.price_amount,
            Sku.currency,
            Sku.weight_kg,
            Sku.barcode,
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.allocated,
            StockLevel.available,
        )
        .outerjoin(StockLevel, StockLevel.sku_id == Sku.id)
        .where(among(session, Sku.product_id, ids))
        .order_by(Sku.id)
    ):
        skus[row.product_id].append(_present_sku(row))
    marked = {product.enterprise_id for product in products if product.trademark_id is not None}
    usable = usable_trademarks(session, enterprise_ids=marked, day=today or utcnow().date())
    result = []
    for product in products:
        texts = translations.get(product.id, {})
        language = pick_language(sorted(texts), languages)
        chosen = texts.get(language) if language else None
        result.append(
            {
                "id": product.id,
                "enterprise_id": product.enterprise_id,
                "product_code": product.product_code,
                "trademark_id": product.trademark_id,
                "trademark_usable": (product.enterprise_id, product.trademark_id) in usable,
                "status": product.status,
                "hs_code": product.hs_code,
                "hs_suffix": product.hs_suffix,
                "declaration_elements": product.declaration_elements,
                "legal_unit": product.legal_unit,
                "second_legal_unit": product.second_legal_unit,
                "origin_region_code": product.origin_region_code,
                "title": chosen["title"] if chosen else "",
                "description": chosen["description"] if chosen else "",
                "language": language or "",
                "translations": texts,
                "skus": skus.get(product.id, []),
                "rejection_reason": product.rejection_reason,
                "created_at": timestamp_text(product.created_at),
                "updated_at": timestamp_text(product.updated_at),
            }
        )
    return result


def _present_sku(row) -> dict[str, Any]:
    if row.on_hand is None:
        stock = dict(_NO_STOCK)
    else:
        stock = {
            "on_hand": row.on_hand,
            "reserved": row.reserved,
            "allocated": row.allocated,
            "available": row.available,
        }
    return {
        "id": row.id,
        "sku_code": row.sku_code,
        "attributes": row.attributes,
        "price": money_json(row.price_amount, row.currency),
        "weight_kg": decimal_text(row.weight_kg),
        "barcode": row.barcode,
        "stock": stock,
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
