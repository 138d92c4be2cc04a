"""What a marketplace is told about a product: the storefront's language, currency and the mark."""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import bindparam, select
from sqlmodel import Session

from commerce.catalog.models import ProductTranslation, Sku
from commerce.catalog.presenter import pick_language
from commerce.clusters.models import Membership, Trademark
from commerce.clusters.trademarks import usable_membership
from commerce.inventory.models import StockLevel
from commerce.listings.models import ChannelAccount, MarkLapsePolicy
from commerce.media.models import ProductImage, media_url
from commerce.sql import among_parameter, prebuilt
from integrations.base import TerminalError
from integrations.marketplace import ImageFile, ListingContent, SkuContent
from integrations.marketplaces import marketplace


def product_identity(product_id: int) -> str:
    """Our product's handle on every marketplace (Shopify handle, Douyin outer_product_id)."""
    return f"cc-product-{product_id}"


def seller_sku(sku_id: int) -> str:
    """Our SKU's seller SKU on every marketplace; orders name it, so it leads back to the SKU."""
    return f"cc-sku-{sku_id}"


def sku_id_of(seller_sku_text: str) -> int | None:
    prefix = "cc-sku-"
    if seller_sku_text.startswith(prefix) and seller_sku_text[len(prefix) :].isdigit():
        return int(seller_sku_text[len(prefix) :])
    return None


def storefront_currency(account: ChannelAccount) -> str:
    return account.settings.get("currency") or marketplace(account.platform).default_currency


def convert(amount: Decimal, source: str, account: ChannelAccount) -> Decimal:
    """A price in the storefront's currency, at the account's configured rate, to the cent."""
    target = storefront_currency(account)
    if source == target:
        return amount
    rate = (account.settings.get("exchange_rates") or {}).get(source)
    if rate is None:
        raise TerminalError(f"no exchange rate from {source} to {target} is configured for this account")
    return (amount * Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


_level = StockLevel.__table__
_sku = Sku.__table__
_translation = ProductTranslation.__table__


def _build_available(dialect: str):
    return select(_level.c.sku_id, _level.c.available).where(among_parameter(dialect, _level.c.sku_id, "sku_ids"))


_TRANSLATIONS = select(_translation.c.locale, _translation.c.title, _translation.c.description).where(
    _translation.c.product_id == bindparam("product_id")
)
_SKUS_WITH_STOCK = (
    select(_sku, _level.c.available)
    .select_from(_sku.outerjoin(_level, _level.c.sku_id == _sku.c.id))
    .where(_sku.c.product_id == bindparam("product_id"))
    .order_by(_sku.c.id)
)
_MARK = (
    select(Trademark.name)
    .join(Membership, Membership.trademark_id == Trademark.id)
    .where(
        Trademark.id == bindparam("trademark_id"),
        Membership.enterprise_id == bindparam("enterprise_id"),
        usable_membership(bindparam("day")),
    )
)


def available_stock(session: Session, sku_ids: list[int]) -> dict[int, int]:
    """Available units per SKU: on hand minus reserved minus stream allocations."""
    if not sku_ids:
        return {}
    rows = session.connection().execute(prebuilt(session, _build_available), {"sku_ids": list(sku_ids)})
    return {sku_id: max(available, 0) for sku_id, available in rows}


def shows_mark(session: Session, product, *, today: date) -> str | None:
    """The name of the collective trademark the product may carry today, if any."""
    if product.trademark_id is None:
        return None
    return (
        session.connection()
        .execute(_MARK, {"trademark_id": product.trademark_id, "enterprise_id": product.enterprise_id, "day": today})
        .scalar()
    )


def category_for(account: ChannelAccount, hs_code: str | None) -> str | None:
    """The account's category for a product: by the longest HS heading its mapping names, or its default."""
    categories = account.settings.get("categories") or {}
    code = hs_code or ""
    for length in range(min(len(code), 10), 1, -1):
        if code[:length] in categories:
            return categories[code[:length]]
    return account.settings.get("category")


def mark_lapse_policy(account: ChannelAccount) -> MarkLapsePolicy:
    return MarkLapsePolicy(account.settings.get("on_mark_lapse") or MarkLapsePolicy.WITHDRAW)


def listing_content(
    session: Session, product, account, *, today: date, public_url: str | None = None, media=None
) -> tuple[ListingContent, bool]:
    """The product mapped to the account's storefront, and whether it carries the collective mark.

    Its photos go as their addresses on the service (``public_url``), in order, for marketplaces
    that fetch a listing's images themselves; without a public address a listing has none."""
    connection = session.connection()
    translations = {row.locale: row for row in connection.execute(_TRANSLATIONS, {"product_id": product.id})}
    locale = account.settings.get("locale") or "en"
    chosen = pick_language(list(translations), [locale, locale.split("-")[0].split("_")[0], "en", "zh-CN"])
    text = translations[chosen or next(iter(translations))]
    skus = connection.execute(_SKUS_WITH_STOCK, {"product_id": product.id}).all()
    mark = shows_mark(session, product, today=today)
    photos = session.execute(
        select(ProductImage.storage_key, ProductImage.content_type)
        .where(ProductImage.product_id == product.id)
        .order_by(ProductImage.position, ProductImage.id)
    ).all()
    base = public_url.rstrip("/") if public_url else None
    addresses = [f"{base}{media_url(key)}" if base else None for key, _type in photos]
    images = tuple(addresses) if base else ()
    image_files = (
        tuple(
            ImageFile(key.rsplit("/", 1)[1], functools.partial(media.get, key), content_type=content_type, url=address)
            for (key, content_type), address in zip(photos, addresses, strict=True)
        )
        if media
        else ()
    )
    content = ListingContent(
        identity=product_identity(product.id),
        title=text.title,
        description=text.description,
        currency=storefront_currency(account),
        brand=mark,
        category=category_for(account, product.hs_code),
        attributes={"hs_code": product.hs_code, "origin": product.origin_region_code},
        images=images,
        image_files=image_files,
        skus=tuple(
            SkuContent(
                seller_sku=seller_sku(sku.id),
                price=convert(sku.price_amount, sku.currency, account).quantize(Decimal("0.01")),
                quantity=max(sku.available or 0, 0),
                attributes=dict(sku.attributes),
                barcode=sku.barcode,
                weight_kg=sku.weight_kg,
            )
            for sku in skus
        ),
    )
    return content, mark is not None


def digest(content: ListingContent) -> str:
    """A fingerprint of what was published, quantities aside (they move with every sale)."""
    parts = [content.identity, content.title, content.description, content.currency, content.brand or ""]
    parts += [f"{sku.seller_sku}={sku.price}:{sorted(sku.attributes.items())}" for sku in content.skus]
    parts += list(content.images) + [image.name for image in content.image_files]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
