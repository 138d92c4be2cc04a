"""Turning products into their public shape, loading everything a page needs in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from commerce.catalog.models import (
    CONTENT_LOCALES,
    Product,
    ProductPublic,
    ProductTranslation,
    Sku,
    SkuPublic,
    TranslationPublic,
)
from commerce.clusters.service import usable_trademarks
from commerce.db import utcnow
from commerce.inventory.models import StockPublic
from commerce.inventory.service import levels_of
from commerce.validation import Money, decimal_text

_NO_STOCK = StockPublic(on_hand=0, reserved=0, allocated=0, available=0)


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
) -> list[ProductPublic]:
    """The public shape of products: four queries however many there are."""
    if not products:
        return []
    ids = [product.id for product in products]
    translations: dict[int, dict[str, ProductTranslation]] = defaultdict(dict)
    for row in session.scalars(select(ProductTranslation).where(ProductTranslation.product_id.in_(ids))):
        translations[row.product_id][row.locale] = row
    skus: dict[int, list[Sku]] = defaultdict(list)
    for sku in session.scalars(select(Sku).where(Sku.product_id.in_(ids)).order_by(Sku.id)):
        skus[sku.product_id].append(sku)
    levels = levels_of(session, [sku.id for group in skus.values() for sku in group])
    usable = usable_trademarks(
        session,
        enterprise_ids={p.enterprise_id for p in products if p.trademark_id is not None},
        day=today or utcnow().date(),
    )
    result = []
    for product in products:
        texts = translations.get(product.id, {})
        language = pick_language(sorted(texts), languages)
        chosen = texts.get(language) if language else None
        result.append(
            ProductPublic(
                id=product.id,
                enterprise_id=product.enterprise_id,
                product_code=product.product_code,
                trademark_id=product.trademark_id,
                trademark_usable=(product.enterprise_id, product.trademark_id) in usable,
                status=product.status,
                hs_code=product.hs_code,
                hs_suffix=product.hs_suffix,
                declaration_elements=product.declaration_elements,
                legal_unit=product.legal_unit,
                second_legal_unit=product.second_legal_unit,
                origin_region_code=product.origin_region_code,
                title=chosen.title if chosen else "",
                description=chosen.description if chosen else "",
                language=language or "",
                translations={
                    tag: TranslationPublic(title=t.title, description=t.description) for tag, t in texts.items()
                },
                skus=[_present_sku(sku, levels.get(sku.id)) for sku in skus.get(product.id, [])],
                rejection_reason=product.rejection_reason,
                created_at=product.created_at,
                updated_at=product.updated_at,
            )
        )
    return result


def _present_sku(sku: Sku, level) -> SkuPublic:
    stock = (
        StockPublic(
            on_hand=level.on_hand, reserved=level.reserved, allocated=level.allocated, available=level.available
        )
        if level
        else _NO_STOCK
    )
    return SkuPublic(
        id=sku.id,
        sku_code=sku.sku_code,
        attributes=sku.attributes,
        price=Money.of(sku.price_amount, sku.currency),
        weight_kg=decimal_text(sku.weight_kg),
        barcode=sku.barcode,
        stock=stock,
    )
