"""Product photos: one row a photo of a product (or of one of its SKUs), in the order they show."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.db import UTCDateTime, utcnow
from commerce.errors import N_
from commerce.validation import Identifier, Input

AltText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
_LOCALE_TAGS = ("zh-CN", "en")


class ProductImage(SQLModel, table=True):
    __tablename__ = "product_image"
    __table_args__ = (
        UniqueConstraint("product_id", "sha256", name="product_image_once_per_product"),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png', 'image/webp')", name="product_image_type_known"),
        Index("product_image_order", "product_id", "position", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    sku_id: int | None = Field(default=None, foreign_key="sku.id", index=True)
    position: int = Field(default=0)
    content_type: str = Field(max_length=20)
    width: int
    height: int
    byte_size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200)
    thumbnail_key: str = Field(max_length=200)
    alt: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    original_name: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _check_alt(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is not None and any(tag not in _LOCALE_TAGS for tag in value):
        raise ValueError(N_("Give alt text as zh-CN or en."))
    return value


class ImageForm(BaseModel):
    """The multipart form of an upload: the file, and optionally its SKU, place and alt texts."""

    sku_id: Identifier | None = None
    position: int | None = PydanticField(default=None, ge=0, le=1000)
    alt_zh: AltText | None = None
    alt_en: AltText | None = None


class ImageUpdate(Input):
    """Changes to a photo; omitted fields stay as they are (``sku_id`` null makes it the product's)."""

    sku_id: Identifier | None = None
    position: int = PydanticField(default=None, ge=0, le=1000)
    alt: dict[str, AltText] = PydanticField(default=None, max_length=2)

    @field_validator("alt")
    @classmethod
    def _alt_languages(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _check_alt(value)


class ImagePublic(BaseModel):
    id: int
    sku_id: int | None
    position: int
    url: str
    thumbnail_url: str
    content_type: str
    width: int
    height: int
    alt: dict[str, str]


def media_url(key: str) -> str:
    """Where a stored photo is served: unguessable (its content's hash), the same for everyone."""
    return f"/media/{key}"


def image_public(image: ProductImage) -> ImagePublic:
    return ImagePublic(
        id=image.id,
        sku_id=image.sku_id,
        position=image.position,
        url=media_url(image.storage_key),
        thumbnail_url=media_url(image.thumbnail_key),
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        alt=image.alt,
    )
