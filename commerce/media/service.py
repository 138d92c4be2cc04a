"""Product photos: added, ordered, described and removed by the firm that makes the product.

A photo is checked and stored before its row is written; the same photo uploaded again for the
product (a retried upload) is the photo already there. Changes are audited, and a product whose
photos change is a changed product (its marketplace listings follow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from commerce import events
from commerce.actors import Actor
from commerce.audit import service as audit
from commerce.catalog.models import Sku
from commerce.catalog.service import editable_product, get_product
from commerce.db import utcnow, write_transaction
from commerce.errors import NotFound
from commerce.media.errors import NotThisProductsSku, TooManyImages
from commerce.media.models import ImageUpdate, ProductImage, media_url
from commerce.media.processing import Photo
from commerce.media.storage import MediaStore

MAX_IMAGES_PER_PRODUCT = 20


@dataclass(frozen=True, slots=True)
class Added:
    image: ProductImage
    created: bool


def _check_sku(session: Session, product_id: int, sku_id: int | None) -> None:
    if sku_id is None:
        return
    sku = session.get(Sku, sku_id)
    if sku is None or sku.product_id != product_id:
        raise NotThisProductsSku(field="sku_id")


def store_photo(store: MediaStore, product_id: int, photo: Photo) -> dict:
    """Keep a photo and its thumbnail for a product; returns the columns of its row that say so."""
    key = f"images/{product_id}/{photo.sha256}.{photo.extension}"
    thumbnail_key = f"images/{product_id}/{photo.sha256}.thumb.webp"
    store.put(key, photo.data)
    store.put(thumbnail_key, photo.thumbnail)
    return {
        "product_id": product_id,
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "byte_size": len(photo.data),
        "sha256": photo.sha256,
        "storage_key": key,
        "thumbnail_key": thumbnail_key,
    }


def add_image(
    session: Session,
    store: MediaStore,
    *,
    actor: Actor,
    product_id: int,
    photo: Photo,
    original_name: str,
    sku_id: int | None = None,
    position: int | None = None,
    alt: dict[str, str] | None = None,
) -> Added:
    """Add a checked photo to a product (or one of its SKUs)."""
    with write_transaction(session):
        product = editable_product(session, actor, product_id)
        existing = session.scalars(
            select(ProductImage).where(ProductImage.product_id == product.id, ProductImage.sha256 == photo.sha256)
        ).first()
        if existing is not None:
            return Added(existing, created=False)
        _check_sku(session, product.id, sku_id)
        count, last = session.execute(
            select(func.count(), func.max(ProductImage.position)).where(ProductImage.product_id == product.id)
        ).one()
        if count >= MAX_IMAGES_PER_PRODUCT:
            raise TooManyImages(limit=MAX_IMAGES_PER_PRODUCT)
        image = ProductImage(
            **store_photo(store, product.id, photo),
            sku_id=sku_id,
            position=position if position is not None else (0 if last is None else last + 1),
            alt={tag: text for tag, text in (alt or {}).items() if text},
            original_name=original_name[:255],
        )
        session.add(image)
        session.flush()
        _changed(session, actor, product, "image_added", {"image_id": image.id, "sku_id": sku_id})
    return Added(image, created=True)


def list_images(session: Session, *, actor: Actor, product_id: int) -> list[ProductImage]:
    product = get_product(session, actor=actor, product_id=product_id)
    return list(
        session.scalars(
            select(ProductImage)
            .where(ProductImage.product_id == product.id)
            .order_by(ProductImage.position, ProductImage.id)
        )
    )


def first_thumbnails(session: Session, product_ids: Sequence[int]) -> dict[int, str]:
    """Each product's first photo's thumbnail address (products without a photo are left out)."""
    if not product_ids:
        return {}
    rows = session.execute(
        select(ProductImage.product_id, ProductImage.thumbnail_key)
        .where(ProductImage.product_id.in_(list(product_ids)))
        .order_by(ProductImage.product_id, ProductImage.position.desc(), ProductImage.id.desc())
    )
    # Last written wins: the lowest position (and first id) of each product.
    return {product_id: media_url(key) for product_id, key in rows}


def _own_image(session: Session, product_id: int, image_id: int) -> ProductImage:
    image = session.get(ProductImage, image_id)
    if image is None or image.product_id != product_id:
        raise NotFound()
    return image


def update_image(session: Session, *, actor: Actor, product_id: int, image_id: int, data: ImageUpdate) -> ProductImage:
    changes = data.model_dump(exclude_unset=True)
    with write_transaction(session):
        product = editable_product(session, actor, product_id)
        image = _own_image(session, product.id, image_id)
        if "sku_id" in changes:
            _check_sku(session, product.id, data.sku_id)
            image.sku_id = data.sku_id
        if data.position is not None:
            image.position = data.position
        if data.alt is not None:
            image.alt = {tag: text for tag, text in data.alt.items() if text}
        if changes:
            session.add(image)
            _changed(session, actor, product, "image_updated", {"image_id": image.id, **changes})
    return image


def delete_image(session: Session, store: MediaStore, *, actor: Actor, product_id: int, image_id: int) -> None:
    with write_transaction(session):
        product = editable_product(session, actor, product_id)
        image = _own_image(session, product.id, image_id)
        keys = (image.storage_key, image.thumbnail_key)
        session.delete(image)
        _changed(session, actor, product, "image_removed", {"image_id": image_id})
    for key in keys:
        store.delete(key)


def _changed(session: Session, actor: Actor, product, action: str, changes: dict) -> None:
    product.updated_at = utcnow()
    session.add(product)
    audit.record(session, actor=actor, entity="product", entity_id=product.id, action=action, changes=changes)
    events.publish(session, events.ProductChanged(product.id, product.status), actor=actor)
