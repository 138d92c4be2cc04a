"""The second pass of a product import: a chunk of good rows written as products, translations,
SKUs, stock and photos, looking up only what the first pass found to exist already.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.audit.models import AuditEvent
from commerce.catalog.import_checks import ImportOutcome, KnownRows
from commerce.catalog.import_files import ImportRow
from commerce.catalog.import_photos import ImportPhotos
from commerce.catalog.models import (
    Product,
    ProductImport,
    ProductStatus,
    ProductTranslation,
    Sku,
)
from commerce.catalog.service import REVIEWED_FIELDS
from commerce.db import utcnow
from commerce.inventory import service as inventory
from commerce.inventory.models import MovementKind, StockLevel
from commerce.media.models import ProductImage
from commerce.media.service import store_photo
from commerce.sql import among, bulk_insert, upsert
from commerce.validation import money_text

TRANSLATION_COLUMNS = {"zh-CN": ("title_zh", "description_zh"), "en": ("title_en", "description_en")}


PRODUCT_COLUMNS = {
    "hs_code": "hs_code",
    "hs_suffix": "hs_suffix",
    "declaration_elements": "declaration_elements",
    "legal_unit": "legal_unit",
    "second_legal_unit": "second_legal_unit",
    "origin_region_code": "origin_region_code",
}


class ChunkWriter:
    """Second pass: upserts products, translations, SKUs and stock for one chunk of good rows.

    Products and SKUs are looked up only when the check found they existed before the import;
    everything else is inserted in bulk, so the cost of a chunk does not grow with the catalogue.
    """

    def __init__(
        self,
        session: Session,
        actor: Actor,
        record: ProductImport,
        trademarks: dict[str, int],
        outcome: ImportOutcome,
        known: KnownRows,
        photos: ImportPhotos,
    ):
        self.session = session
        self.photos = photos
        self.actor = actor
        self.enterprise_id = record.enterprise_id
        self.reference = f"product_import:{record.id}"
        self.trademarks = trademarks
        self.outcome = outcome
        self.known = known
        self.product_ids: dict[str, int] = {}
        self.updated_codes: set[str] = set()

    def _product_values(self, row: ImportRow) -> dict[str, Any]:
        values = {column: row.product_value(name) for name, column in PRODUCT_COLUMNS.items()}
        values["declaration_elements"] = values["declaration_elements"] or ""
        registration_no = row.product_value("trademark_registration_no")
        values["trademark_id"] = self.trademarks.get(registration_no) if registration_no else None
        return values

    def write(self, chunk: list[ImportRow]) -> None:
        session, now = self.session, utcnow()
        first_rows: dict[str, ImportRow] = {}
        for row in chunk:
            first_rows.setdefault(row.product_code, row)
        to_update = [code for code in first_rows if code in self.known.product_ids and code not in self.updated_codes]
        touched: set[str] = set()
        if to_update:
            ids = [self.known.product_ids[code] for code in to_update]
            for product in session.scalars(select(Product).where(Product.id.in_(ids))):
                self.product_ids[product.product_code] = product.id
                self.updated_codes.add(product.product_code)
                if self._update_product(product, first_rows[product.product_code], now):
                    touched.add(product.product_code)
        new_codes = [code for code in first_rows if code not in self.product_ids]
        if new_codes:
            created = list(
                zip(
                    bulk_insert(
                        session,
                        Product.__table__,
                        [
                            {
                                "enterprise_id": self.enterprise_id,
                                "product_code": code,
                                "status": ProductStatus.DRAFT.value,
                                "created_at": now,
                                "updated_at": now,
                                **self._product_values(first_rows[code]),
                            }
                            for code in new_codes
                        ],
                        returning_ids=True,
                    ),
                    new_codes,
                    strict=True,
                )
            )
            self.product_ids.update({code: product_id for product_id, code in created})
            self._audit(
                [(product_id, "created", {"status": ProductStatus.DRAFT.value}) for product_id, _code in created]
            )
            self.outcome.created_products += len(created)
        self._write_translations({code: first_rows[code] for code in new_codes}, self.product_ids, new=True)
        self._write_translations({code: first_rows[code] for code in touched}, self.product_ids, new=False)
        self._write_skus(chunk, self.product_ids, now)
        self._attach_photos(chunk, now)

    def _attach_photos(self, chunk: list[ImportRow], now) -> None:
        """The photos rows name, added after those each product has (a photo it has is left as it is)."""
        named: dict[int, dict[str, None]] = {}
        for row in chunk:
            if row.images:
                named.setdefault(self.product_ids[row.product_code], {}).update(dict.fromkeys(row.images))
        if not named:
            return
        held: dict[int, set[str]] = {}
        last: dict[int, int] = {}
        for product_id, sha256, position in self.session.execute(
            select(ProductImage.product_id, ProductImage.sha256, ProductImage.position).where(
                among(self.session, ProductImage.product_id, sorted(named))
            )
        ):
            held.setdefault(product_id, set()).add(sha256)
            last[product_id] = max(last.get(product_id, -1), position)
        rows, entries = [], []
        for product_id, names in named.items():
            for name in names:
                photo = self.photos.photo(name)
                if photo.sha256 in held.setdefault(product_id, set()):
                    continue
                held[product_id].add(photo.sha256)
                last[product_id] = last.get(product_id, -1) + 1
                values = store_photo(self.photos.store, product_id, photo)
                rows.append(
                    {
                        **values,
                        "sku_id": None,
                        "position": last[product_id],
                        "alt": {},
                        "original_name": name[:255],
                        "created_at": now,
                    }
                )
                entries.append((product_id, "image_added", {"name": name[:255]}))
        if rows:
            self.session.execute(insert(ProductImage.__table__), rows)
        self._audit(entries)

    def _update_product(self, product: Product, row: ImportRow, now) -> bool:
        values = self._product_values(row)
        before = {name: getattr(product, name) for name in values}
        diff = {name: {"from": before[name], "to": value} for name, value in values.items() if before[name] != value}
        if not diff:
            return False
        for name, value in values.items():
            setattr(product, name, value)
        if product.status == ProductStatus.APPROVED and REVIEWED_FIELDS & set(diff):
            product.status = ProductStatus.PENDING_REVIEW.value
            diff["status"] = {"from": ProductStatus.APPROVED.value, "to": ProductStatus.PENDING_REVIEW.value}
        product.updated_at = now
        self.session.add(product)
        self._audit([(product.id, "updated", diff)])
        self.outcome.updated_products += 1
        return True

    def _write_translations(self, rows: dict[str, ImportRow], product_ids: dict[str, int], *, new: bool) -> None:
        """Translations of new products are inserted; those of changed products are upserted."""
        values = []
        for code, row in rows.items():
            for locale, (title_column, description_column) in TRANSLATION_COLUMNS.items():
                title = row.product_value(title_column)
                if title:
                    values.append(
                        {
                            "product_id": product_ids[code],
                            "locale": locale,
                            "title": title,
                            "description": row.product_value(description_column) or "",
                        }
                    )
        if new:
            bulk_insert(self.session, ProductTranslation.__table__, values)
            return
        upsert(
            self.session,
            ProductTranslation.__table__,
            values,
            conflict_columns=["product_id", "locale"],
            update_columns=["title", "description"],
        )

    def _write_skus(self, chunk: list[ImportRow], product_ids: dict[str, int], now) -> None:
        session = self.session
        existing_codes = [row.sku_code for row in chunk if row.sku_code in self.known.sku_codes]
        existing: dict[str, tuple[Sku, int]] = {}
        if existing_codes:
            existing = {
                sku.sku_code: (sku, on_hand)
                for sku, on_hand in session.execute(
                    select(Sku, StockLevel.on_hand)
                    .join(StockLevel, StockLevel.sku_id == Sku.id)
                    .where(Sku.enterprise_id == self.enterprise_id, among(session, Sku.sku_code, existing_codes))
                )
            }
        new_rows = [row for row in chunk if row.sku_code not in existing]
        if new_rows:
            created = bulk_insert(
                session,
                Sku.__table__,
                [
                    {
                        "product_id": product_ids[row.product_code],
                        "enterprise_id": self.enterprise_id,
                        "sku_code": row.sku_code,
                        "attributes": row.attributes,
                        "price_amount": row.price,
                        "currency": row.currency,
                        "weight_kg": row.weight_kg,
                        "barcode": row.barcode,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for row in new_rows
                ],
                returning_ids=True,
            )
            inventory.open_levels(
                session,
                [(sku_id, row.stock or 0) for sku_id, row in zip(created, new_rows, strict=True)],
                kind=MovementKind.IMPORT,
                actor=self.actor,
                reference=self.reference,
            )
            self.outcome.created_skus += len(created)
        for row in chunk:
            found = existing.get(row.sku_code)
            if found is not None:
                self._update_sku(*found, row, now)

    def _update_sku(self, sku: Sku, on_hand: int, row: ImportRow, now) -> None:
        before = {
            "price": money_text(sku.price_amount, sku.currency),
            "attributes": sku.attributes,
            "weight_kg": str(sku.weight_kg),
            "barcode": sku.barcode,
        }
        after = {
            "price": money_text(row.price, row.currency),
            "attributes": row.attributes,
            "weight_kg": str(row.weight_kg),
            "barcode": row.barcode,
        }
        diff = {name: {"from": before[name], "to": value} for name, value in after.items() if before[name] != value}
        if diff:
            sku.price_amount, sku.currency = row.price, row.currency
            sku.attributes, sku.weight_kg, sku.barcode = row.attributes, row.weight_kg, row.barcode
            sku.updated_at = now
            self.session.add(sku)
            self._audit([(sku.product_id, "sku_updated", {"sku_id": sku.id, **diff})])
        changed_stock = row.stock is not None and row.stock != on_hand
        if changed_stock:
            inventory.change_on_hand(
                self.session,
                sku_id=sku.id,
                delta=row.stock - on_hand,
                kind=MovementKind.IMPORT,
                reason="import",
                actor=self.actor,
                reference=self.reference,
            )
        if diff or changed_stock:
            self.outcome.updated_skus += 1

    def _audit(self, entries: list[tuple[int, str, dict]]) -> None:
        if not entries:
            return
        now = utcnow()
        bulk_insert(
            self.session,
            AuditEvent.__table__,
            [
                {
                    "at": now,
                    "actor_user_id": self.actor.user_id,
                    "actor_email": self.actor.email,
                    "entity": "product",
                    "entity_id": product_id,
                    "action": action,
                    "changes": {**changes, "import": self.reference},
                }
                for product_id, action, changes in entries
            ],
        )
