"""Products, their translations and SKUs, and the shapes the API speaks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, CheckConstraint, Column, Index, LargeBinary, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.db import ExactDecimal, UTCDateTime, utcnow
from commerce.errors import N_
from commerce.inventory.models import StockPublic
from commerce.media.models import ImagePublic
from commerce.validation import HsCode, HsSuffix, Identifier, Input, Money, Price, RegionCode, Weight


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    RETIRED = "retired"


CONTENT_LOCALES = ("zh-CN", "en")
# How many of a reader's content languages count (an Accept-Language header may list any number).
CONTENT_PREFERENCES = 10


def preference_order(languages: Sequence[str]) -> list[str]:
    """The tags a reader's content language is chosen by, best first: the reader's (as many as
    count, and the interface's language after them), then the catalogue's own."""
    return [*languages[: CONTENT_PREFERENCES + 1], *CONTENT_LOCALES]


_LOCALE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")


class Product(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("enterprise_id", "product_code", name="product_code_unique_per_firm"),
        CheckConstraint(
            "status IN ('draft', 'pending_review', 'approved', 'rejected', 'retired')", name="product_status_known"
        ),
        Index("product_enterprise_listing", "enterprise_id", "id"),
        Index("product_status_listing", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    product_code: str = Field(max_length=64)
    trademark_id: int | None = Field(default=None, foreign_key="trademark.id", index=True)
    status: str = Field(default=ProductStatus.DRAFT, max_length=20)
    hs_code: str = Field(max_length=10)
    hs_suffix: str | None = Field(default=None, max_length=3)
    declaration_elements: str = Field(default="", sa_column=Column(Text, nullable=False))
    legal_unit: str = Field(max_length=20)
    second_legal_unit: str | None = Field(default=None, max_length=20)
    origin_region_code: str = Field(max_length=5)
    rejection_reason: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ProductTranslation(SQLModel, table=True):
    __tablename__ = "product_translation"

    product_id: int = Field(foreign_key="product.id", primary_key=True)
    locale: str = Field(primary_key=True, max_length=12)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))


class Sku(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("enterprise_id", "sku_code", name="sku_code_unique_per_firm"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    sku_code: str = Field(sa_column=Column(String(64), nullable=False))
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    price_amount: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    currency: str = Field(max_length=3)
    weight_kg: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(3), nullable=False)
    barcode: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=20_000)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
SkuCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^\S+$")]
Barcode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=32, pattern=r"^\d+$")]
AttributeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class TranslationInput(Input):
    title: Title
    description: Description = ""


def _check_translations(value: dict[str, TranslationInput] | None) -> dict[str, TranslationInput] | None:
    if value is None:
        return None
    for tag in value:
        if not _LOCALE_TAG.match(tag):
            raise ValueError(N_("Use language tags such as zh-CN or en as translation keys."))
    return value


class SkuInput(Input):
    sku_code: SkuCode
    attributes: dict[AttributeText, AttributeText] = PydanticField(default_factory=dict, max_length=20)
    price: Price
    weight_kg: Weight = Decimal("0")
    barcode: Barcode | None = None
    on_hand: int = PydanticField(default=0, ge=0, le=10_000_000)


class SkuUpdate(Input):
    """A change to a SKU (with ``id``) or a new SKU (without); omitted fields stay as they are."""

    id: Identifier = PydanticField(default=None)
    sku_code: SkuCode = PydanticField(default=None)
    attributes: dict[AttributeText, AttributeText] = PydanticField(default=None, max_length=20)
    price: Price = PydanticField(default=None)
    weight_kg: Weight = PydanticField(default=None)
    barcode: Barcode | None = None


class ProductCreate(Input):
    enterprise_id: Identifier | None = None
    product_code: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S+$")] | None = None
    trademark_id: Identifier | None = None
    hs_code: HsCode
    hs_suffix: HsSuffix | None = None
    declaration_elements: str = PydanticField(default="", max_length=2000)
    legal_unit: Unit
    second_legal_unit: Unit | None = None
    origin_region_code: RegionCode
    translations: dict[str, TranslationInput] = PydanticField(min_length=1, max_length=20)
    skus: list[SkuInput] = PydanticField(min_length=1, max_length=200)

    @field_validator("translations")
    @classmethod
    def _needs_a_main_language(cls, value: dict[str, TranslationInput]) -> dict[str, TranslationInput]:
        _check_translations(value)
        if not any(tag in value for tag in CONTENT_LOCALES):
            raise ValueError(N_("Give at least a zh-CN or an en title."))
        return value


class ProductUpdate(Input):
    """Changes to a product; omitted fields stay as they are, and only nullable fields take null."""

    trademark_id: Identifier | None = None
    hs_code: HsCode = PydanticField(default=None)
    hs_suffix: HsSuffix | None = None
    declaration_elements: str = PydanticField(default=None, max_length=2000)
    legal_unit: Unit = PydanticField(default=None)
    second_legal_unit: Unit | None = None
    origin_region_code: RegionCode = PydanticField(default=None)
    translations: dict[str, TranslationInput] = PydanticField(default=None, max_length=20)
    skus: list[SkuUpdate] = PydanticField(default=None, max_length=200)

    @field_validator("translations")
    @classmethod
    def _language_tags(cls, value: dict[str, TranslationInput] | None) -> dict[str, TranslationInput] | None:
        return _check_translations(value)


class RejectInput(Input):
    reason: str = PydanticField(min_length=1, max_length=1000)


class TranslationPublic(BaseModel):
    title: str
    description: str


class SkuPublic(BaseModel):
    id: int
    sku_code: str
    attributes: dict[str, str]
    price: Money
    weight_kg: str
    barcode: str | None
    stock: StockPublic


class ProductPublic(BaseModel):
    id: int
    enterprise_id: int
    product_code: str
    trademark_id: int | None
    trademark_usable: bool
    status: ProductStatus
    hs_code: str
    hs_suffix: str | None
    declaration_elements: str
    legal_unit: str
    second_legal_unit: str | None
    origin_region_code: str
    title: str
    description: str
    language: str
    translations: dict[str, TranslationPublic]
    skus: list[SkuPublic]
    images: list[ImagePublic]
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime


class ImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    FAILED = "failed"


class ErrorPolicy(StrEnum):
    REJECT_ALL = "reject_all"
    REJECT_FAILED_ROWS = "reject_failed_rows"


class ProductImport(SQLModel, table=True):
    """One uploaded product file and what became of it."""

    __tablename__ = "product_import"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'completed_with_errors', 'failed')",
            name="product_import_status_known",
        ),
        CheckConstraint("error_policy IN ('reject_all', 'reject_failed_rows')", name="product_import_policy_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    filename: str = Field(max_length=255)
    file_format: str = Field(max_length=8)
    file_size: int = Field(default=0)
    error_policy: str = Field(max_length=24)
    status: str = Field(default=ImportStatus.QUEUED, max_length=24)
    total_rows: int = Field(default=0)
    # Rows read and checked so far, while a worker runs the import (all of them once it has ended).
    checked_rows: int = Field(default=0)
    ok_rows: int = Field(default=0)
    failed_rows: int = Field(default=0)
    created_products: int = Field(default=0)
    updated_products: int = Field(default=0)
    created_skus: int = Field(default=0)
    updated_skus: int = Field(default=0)
    errors: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportFilePart(SQLModel, table=True):
    """One piece (about 1 MiB) of an uploaded import file, kept until a worker has processed it.

    Files live in the database so that a worker on any machine can process them, and in
    pieces so that neither the upload nor the worker ever holds a whole file in memory.
    """

    __tablename__ = "product_import_part"

    import_id: int = Field(foreign_key="product_import.id", primary_key=True)
    part_no: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ImportErrorPublic(BaseModel):
    row: int
    field: str
    code: str
    message: str


class ProductImportPublic(BaseModel):
    id: int
    enterprise_id: int
    filename: str
    error_policy: ErrorPolicy
    status: ImportStatus
    total_rows: int
    checked_rows: int = PydanticField(
        description="Rows read and checked so far while the import runs; all of them once it has ended"
    )
    ok_rows: int
    failed_rows: int
    created_products: int
    updated_products: int
    created_skus: int
    updated_skus: int
    errors: list[ImportErrorPublic]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
