"""HTTP edge of product photos: upload, list, order and describe, remove; and the photos themselves."""

from __future__ import annotations

from flask import Blueprint, Response, abort
from flask_openapi3 import FileStorage
from pydantic import BaseModel

from commerce.media import service
from commerce.media.errors import ImageMissing, ImageTooLarge
from commerce.media.models import ImageForm, ImagePublic, ImageUpdate, image_public
from commerce.media.processing import CONTENT_TYPES, process
from commerce.media.storage import KEY
from commerce.validation import Identifier
from commerce.web.auth import current_actor
from commerce.web.database import current_deployment, db_session
from commerce.web.openapi import api_blueprint
from commerce.web.pagination import ItemList
from commerce.web.responses import respond

bp = api_blueprint("media", __name__, tag="Catalogue", description="Product photos")
files_bp = Blueprint("media_files", __name__)


class ProductPath(BaseModel):
    product_id: Identifier


class ImagePath(BaseModel):
    product_id: Identifier
    image_id: Identifier


class UploadForm(ImageForm):
    file: FileStorage


def _store():
    return current_deployment().media_store


@bp.post("/products/<int:product_id>/images", responses={201: ImagePublic, 200: ImagePublic})
def add_image(path: ProductPath, form: UploadForm):
    """Add a photo (JPEG, PNG or WebP) to a product or one of its SKUs; metadata is stripped and a
    thumbnail made. The same photo sent again answers the one already there (200)."""
    settings = current_deployment().settings
    upload = form.file
    if upload is None or not upload.filename:
        raise ImageMissing(field="file")
    data = upload.stream.read(settings.media_max_bytes + 1)
    if len(data) > settings.media_max_bytes:
        raise ImageTooLarge(field="file", limit_mb=settings.media_max_bytes // 1_000_000)
    photo = process(data, max_bytes=settings.media_max_bytes, max_pixels=settings.media_max_pixels)
    added = service.add_image(
        db_session(),
        _store(),
        actor=current_actor(),
        product_id=path.product_id,
        photo=photo,
        original_name=upload.filename,
        sku_id=form.sku_id,
        position=form.position,
        alt={"zh-CN": form.alt_zh or "", "en": form.alt_en or ""},
    )
    return respond(image_public(added.image), 201 if added.created else 200)


@bp.get("/products/<int:product_id>/images", responses={200: ItemList[ImagePublic]})
def list_images(path: ProductPath):
    """A product's photos in the order they show."""
    images = service.list_images(db_session(), actor=current_actor(), product_id=path.product_id)
    return respond(ItemList[ImagePublic](items=[image_public(image) for image in images], next_cursor=None))


@bp.patch("/products/<int:product_id>/images/<int:image_id>", responses={200: ImagePublic})
def update_image(path: ImagePath, body: ImageUpdate):
    """Move a photo, give it to a SKU (or back to the product), or change its alt texts."""
    image = service.update_image(
        db_session(), actor=current_actor(), product_id=path.product_id, image_id=path.image_id, data=body
    )
    return respond(image_public(image))


@bp.delete("/products/<int:product_id>/images/<int:image_id>", responses={204: None})
def delete_image(path: ImagePath):
    """Remove a photo."""
    service.delete_image(
        db_session(), _store(), actor=current_actor(), product_id=path.product_id, image_id=path.image_id
    )
    return Response(status=204)


@files_bp.get("/media/<path:key>")
def media_file(key: str):
    """A stored photo: named by its content's hash, so it never changes and is cached for a year."""
    if not KEY.match(key):
        abort(404)
    data = _store().get(key)
    if data is None:
        abort(404)
    response = Response(data, mimetype=CONTENT_TYPES[key.rsplit(".", 1)[1]])
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
