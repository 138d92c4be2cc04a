"""The first pass of a product import: every row checked on its own, against the other rows of its
product, against its photos and against the firm's existing SKUs, with nothing written; and the
tally an import keeps of what it found and did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import select
from sqlmodel import Session

from commerce.catalog.import_files import PRODUCT_FIELDS, ImportRow, RowError, iter_records, parse_record
from commerce.catalog.import_photos import ImportPhotos
from commerce.catalog.import_workbooks import SheetLimits
from commerce.catalog.models import (
    Product,
    ProductImport,
    Sku,
)
from commerce.config import Settings
from commerce.inventory.models import StockLevel
from commerce.media.service import MAX_IMAGES_PER_PRODUCT
from commerce.sql import among

Progress = Callable[[str, int], None]


@dataclass
class ImportOutcome:
    total_rows: int = 0
    failed_rows: int = 0
    errors: list[dict] = field(default_factory=list)
    created_products: int = 0
    updated_products: int = 0
    created_skus: int = 0
    updated_skus: int = 0

    def add_errors(self, row_errors: list[RowError], limit: int) -> None:
        for error in row_errors:
            if len(self.errors) < limit:
                self.errors.append(error.as_dict())


def in_chunks(rows: Iterator[ImportRow], size: int) -> Iterator[list[ImportRow]]:
    chunk: list[ImportRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class KnownRows:
    """What the firm already had before this import, found while checking: matched by code."""

    product_ids: dict[str, int] = field(default_factory=dict)
    sku_codes: set[str] = field(default_factory=set)


def check_all(
    session: Session,
    stream: IO[bytes],
    fmt: str,
    record: ProductImport,
    trademarks: dict[str, int],
    photos: ImportPhotos,
    outcome: ImportOutcome,
    settings: Settings,
    progress: Progress,
) -> tuple[set[int], KnownRows]:
    """First pass: every rule on every row; returns the failing row numbers and what already exists."""
    limit = settings.import_max_reported_errors
    bad_rows: set[int] = set()
    first_of_product: dict[str, tuple[int, tuple]] = {}
    first_of_sku: dict[str, int] = {}
    photos_of_product: dict[str, set[str]] = {}
    known = KnownRows()

    def rows() -> Iterator[ImportRow]:
        for number, values in iter_records(stream, fmt, SheetLimits.of(settings)):
            outcome.total_rows += 1
            row, errors = parse_record(number, values)
            if row is not None:
                errors = _cross_row_errors(row, first_of_product, first_of_sku, trademarks)
                errors += _photo_errors(row, photos, photos_of_product)
            if errors:
                bad_rows.add(number)
                outcome.add_errors(errors, limit)
                continue
            yield row

    for chunk in in_chunks(rows(), settings.import_chunk_rows):
        for error in _database_errors(session, record.enterprise_id, chunk, known):
            bad_rows.add(error.row)
            outcome.add_errors([error], limit)
        progress("check", outcome.total_rows)
    session.rollback()
    outcome.failed_rows = len(bad_rows)
    return bad_rows, known


def _cross_row_errors(
    row: ImportRow, first_of_product: dict, first_of_sku: dict, trademarks: dict[str, int]
) -> list[RowError]:
    errors = []
    registration_no = row.product_value("trademark_registration_no")
    if registration_no and registration_no not in trademarks:
        errors.append(
            RowError(row.row, "trademark_registration_no", "unknown_trademark", {"registration_no": registration_no})
        )
    first = first_of_product.setdefault(row.product_code, (row.row, row.product))
    if first[1] != row.product:
        fields = [
            name for name, mine, theirs in zip(PRODUCT_FIELDS, row.product, first[1], strict=True) if mine != theirs
        ]
        errors.append(
            RowError(
                row.row,
                fields[0],
                "conflicting_product_fields",
                {"product_code": row.product_code, "fields": ", ".join(fields)},
            )
        )
    first_row = first_of_sku.setdefault(row.sku_code, row.row)
    if first_row != row.row:
        errors.append(
            RowError(row.row, "sku_code", "duplicate_sku_in_file", {"sku_code": row.sku_code, "first_row": first_row})
        )
    return errors


def _photo_errors(row: ImportRow, photos: ImportPhotos, photos_of_product: dict[str, set[str]]) -> list[RowError]:
    """A row's photos that cannot be found or taken, and a product named more than it may hold."""
    errors = []
    for name in row.images:
        refusal = photos.check(name)
        if refusal is not None:
            errors.append(RowError(row.row, "images", refusal.code, refusal.params))
    named = photos_of_product.setdefault(row.product_code, set())
    named.update(row.images)
    if len(named) > MAX_IMAGES_PER_PRODUCT:
        errors.append(RowError(row.row, "images", "too_many_images", {"limit": MAX_IMAGES_PER_PRODUCT}))
    return errors


def _database_errors(session: Session, enterprise_id: int, chunk: list[ImportRow], known: KnownRows) -> list[RowError]:
    """Rows that clash with what the firm already has: a SKU of another product, stock below reserved.

    Also notes which of the chunk's products and SKUs exist already, so that writing needs no
    lookups for new ones.
    """
    new_codes = {row.product_code for row in chunk} - known.product_ids.keys()
    if new_codes:
        known.product_ids.update(
            session.execute(
                select(Product.product_code, Product.id).where(
                    Product.enterprise_id == enterprise_id, among(session, Product.product_code, sorted(new_codes))
                )
            ).all()
        )
    existing = {
        item.sku_code: item
        for item in session.execute(
            select(Sku.sku_code, Product.product_code, StockLevel.reserved, StockLevel.allocated)
            .join(Product, Product.id == Sku.product_id)
            .join(StockLevel, StockLevel.sku_id == Sku.id)
            .where(Sku.enterprise_id == enterprise_id, among(session, Sku.sku_code, [row.sku_code for row in chunk]))
        )
    }
    known.sku_codes.update(existing)
    errors = []
    for row in chunk:
        found = existing.get(row.sku_code)
        if found is None:
            continue
        if found.product_code != row.product_code:
            errors.append(
                RowError(
                    row.row,
                    "sku_code",
                    "sku_of_other_product",
                    {"sku_code": row.sku_code, "product_code": found.product_code},
                )
            )
        elif row.stock is not None and row.stock < found.reserved + found.allocated:
            errors.append(
                RowError(row.row, "stock", "stock_below_reserved", {"committed": found.reserved + found.allocated})
            )
    return errors
