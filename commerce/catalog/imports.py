"""Bulk import of products from CSV or XLSX: checked in full, then written in chunks.

Two passes over the file. The first checks every row (on its own, against the other rows
of the same product, and against the firm's existing SKUs) without writing anything. The
second writes the good rows: under ``reject_all`` in one transaction, and only if no row
failed, so nothing is ever half imported; under ``reject_failed_rows`` one transaction per
chunk, which is safe to repeat because rows are matched by SKU code.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role
from commerce.audit.models import AuditEvent
from commerce.catalog.import_files import (
    FILE_REFUSALS,
    PRODUCT_FIELDS,
    ImportRow,
    RowError,
    SheetLimits,
    check_file,
    checked_record,
    file_format,
    inspect_workbook,
    iter_records,
    parse_record,
    unpacked_size,
)
from commerce.catalog.import_photos import ImportArchive, ImportPhotos, opened_sheet
from commerce.catalog.models import (
    ErrorPolicy,
    ImportFilePart,
    ImportStatus,
    Product,
    ProductImport,
    ProductStatus,
    ProductTranslation,
    Sku,
)
from commerce.catalog.service import PRODUCT_MAKER_KINDS, REVIEWED_FIELDS
from commerce.clusters.errors import UnknownReference, WrongEnterpriseKind
from commerce.clusters.models import Enterprise, Trademark
from commerce.clusters.permissions import require_own_enterprise, require_role
from commerce.config import Settings
from commerce.db import Database, utcnow, write_transaction
from commerce.deployment import Deployment
from commerce.errors import NotFound
from commerce.inventory import service as inventory
from commerce.inventory.models import MovementKind, StockLevel
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.media.models import ProductImage
from commerce.media.service import MAX_IMAGES_PER_PRODUCT, store_photo
from commerce.media.storage import MediaStore
from commerce.sql import among, bulk_insert, refresh_statistics, upsert
from commerce.validation import money_text

Progress = Callable[[str, int], None]
FILE_PART_BYTES = 1 << 20
ANALYZE_AFTER_ROWS = 10_000
FINISHED = {ImportStatus.SUCCEEDED, ImportStatus.COMPLETED_WITH_ERRORS, ImportStatus.FAILED}
TRANSLATION_COLUMNS = {"zh-CN": ("title_zh", "description_zh"), "en": ("title_en", "description_en")}
PRODUCT_COLUMNS = {
    "hs_code": "hs_code",
    "hs_suffix": "hs_suffix",
    "declaration_elements": "declaration_elements",
    "legal_unit": "legal_unit",
    "second_legal_unit": "second_legal_unit",
    "origin_region_code": "origin_region_code",
}


def start_import(
    session: Session,
    *,
    actor: Actor,
    enterprise_id: int,
    filename: str,
    stream: IO[bytes],
    error_policy: ErrorPolicy,
    settings: Settings,
    in_background: bool | None = None,
    keep_file: bool = True,
) -> tuple[ProductImport, bool]:
    """Accept an upload: record it (and queue it, if ``in_background``; by default when it unpacks
    past the inline limit), having checked what costs nothing to check (a ZIP's directory); a file
    read at once is also checked to be readable, within the limits and rightly headed. The rest of
    a queued file is checked by the worker: the web never reads a large file. Returns the import
    and whether it was queued.

    The file is kept in the database (``keep_file``) so that a worker on any machine can process it.
    """
    require_role(actor, Role.SME)
    require_own_enterprise(actor, enterprise_id)
    fmt = file_format(filename)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise UnknownReference(field="enterprise_id", entity="Enterprise", id=enterprise_id)
    if enterprise.kind not in PRODUCT_MAKER_KINDS:
        raise WrongEnterpriseKind(field="enterprise_id", kinds=", ".join(sorted(PRODUCT_MAKER_KINDS)))
    limits = SheetLimits.of(settings)
    unpacked = _unpacked_size(stream, fmt, settings, limits)
    if in_background is None:
        in_background = unpacked > settings.import_inline_max_bytes
    if not in_background:
        with opened_sheet(stream, fmt, settings) as (sheet, sheet_format, _archive):
            check_file(sheet, sheet_format, limits)
    size = stream.seek(0, 2)
    stream.seek(0)
    with write_transaction(session):
        record = ProductImport(
            enterprise_id=enterprise_id,
            created_by=actor.user_id,
            filename=filename[:255],
            file_format=fmt,
            file_size=size,
            error_policy=error_policy.value,
        )
        session.add(record)
        session.flush()
        if keep_file:
            _store_file(session, record.id, stream)
        if in_background:
            jobs.enqueue(
                session, kind="catalog.import", key=f"product_import:{record.id}", payload={"import_id": record.id}
            )
    return record, in_background


def _unpacked_size(stream: IO[bytes], fmt: str, settings: Settings, limits: SheetLimits) -> int:
    """What an upload unpacks to, by its ZIP directory (a CSV its own size), the directory's rules
    checked: a workbook within the unpacked limit; an archive a ZIP of not too many members, none
    encrypted, with one sheet of an upload's size."""
    if fmt != "zip":
        return unpacked_size(stream, fmt, limits)
    archive = ImportArchive(stream)
    archive.check_sheet_size(settings.max_upload_bytes)
    stream.seek(0)
    return archive.unpacked_size()


def _store_file(session: Session, import_id: int, stream: IO[bytes]) -> None:
    """Keep an uploaded file in the database, piece by piece."""
    stream.seek(0)
    part_no = 0
    while data := stream.read(FILE_PART_BYTES):
        session.execute(insert(ImportFilePart).values(import_id=import_id, part_no=part_no, data=data))
        part_no += 1


@contextmanager
def _stored_file(session: Session, import_id: int) -> Iterator[IO[bytes]]:
    """The uploaded file, copied piece by piece from the database into a local temporary file."""
    with tempfile.TemporaryFile() as spooled:
        part_no = 0
        while (
            data := session.scalar(
                select(ImportFilePart.data).where(
                    ImportFilePart.import_id == import_id, ImportFilePart.part_no == part_no
                )
            )
        ) is not None:
            spooled.write(data)
            part_no += 1
        session.rollback()
        spooled.seek(0)
        yield spooled


def get_import(session: Session, *, actor: Actor, import_id: int) -> ProductImport:
    record = session.scalars(select(ProductImport).where(ProductImport.id == import_id)).first()
    if record is None:
        raise NotFound()
    require_role(actor, Role.SME)
    require_own_enterprise(actor, record.enterprise_id)
    return record


def run_import_job(deployment: Deployment, job: Job) -> None:
    """Job handler: process a queued import (a finished one is left alone), telling how far it has read."""
    import_id = int(job.payload["import_id"])
    run_import(
        deployment.database,
        deployment.settings,
        import_id=import_id,
        media=deployment.media_store,
        progress=progress_recorder(deployment.database, import_id),
    )


def progress_recorder(
    database: Database, import_id: int, *, every_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic
) -> Progress:
    """A progress callback that keeps the rows checked so far on the import, at most once every ``every_seconds``.

    Only the first pass (reading and checking, which holds no write lock) is recorded; a page follows it."""
    last = [-every_seconds]

    def record(phase: str, rows: int) -> None:
        if phase != "check" or clock() - last[0] < every_seconds:
            return
        last[0] = clock()
        with database.session() as session, write_transaction(session):
            session.execute(update(ProductImport).where(ProductImport.id == import_id).values(checked_rows=rows))

    return record


@dataclass
class _Outcome:
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


def run_import(
    database: Database,
    settings: Settings,
    *,
    import_id: int,
    media: MediaStore,
    source: IO[bytes] | None = None,
    progress: Progress | None = None,
    actor: Actor | None = None,
) -> ProductImport:
    """Check and write one import; ``source`` reads the file from elsewhere than the database, and
    the photos it names go to ``media``."""
    progress = progress or (lambda _phase, _rows: None)
    with database.session() as session, ExitStack() as files:
        record = session.get(ProductImport, import_id)
        if record is None:
            raise NotFound()
        if record.status in FINISHED:
            return record
        with write_transaction(session):
            record.status = ImportStatus.RUNNING.value
            record.started_at = utcnow()
            session.add(record)
        stream = source or files.enter_context(_stored_file(session, record.id))
        try:
            sheet, fmt, archive = files.enter_context(opened_sheet(stream, record.file_format, settings))
            inspect_workbook(sheet, fmt, SheetLimits.of(settings))
        except FILE_REFUSALS as error:
            return _refuse_file(session, record, _Outcome(), error)
        photos = ImportPhotos(session, settings, record.enterprise_id, archive, media)
        return _process(
            session, record, sheet, fmt, photos, actor or _import_actor(session, record), settings, progress
        )


def _refuse_file(session: Session, record: ProductImport, outcome: _Outcome, error) -> ProductImport:
    """End an import whose file as a whole is refused (unreadable, past a limit, wrongly headed)."""
    outcome.errors[:0] = [RowError(0, "file", error.code, error.params).as_dict()]
    return _finish(session, record, outcome, ImportStatus.FAILED)


def _process(
    session: Session,
    record: ProductImport,
    stream: IO[bytes],
    fmt: str,
    photos: ImportPhotos,
    actor: Actor,
    settings: Settings,
    progress: Progress,
) -> ProductImport:
    enterprise = session.get(Enterprise, record.enterprise_id)
    trademarks = dict(
        session.execute(
            select(Trademark.registration_no, Trademark.id).where(Trademark.cluster_id == enterprise.cluster_id)
        ).all()
    )
    outcome = _Outcome()
    try:
        bad_rows, known = _check_all(session, stream, fmt, record, trademarks, photos, outcome, settings, progress)
    except FILE_REFUSALS as error:
        session.rollback()
        return _refuse_file(session, record, outcome, error)
    policy = ErrorPolicy(record.error_policy)
    if policy == ErrorPolicy.REJECT_ALL and outcome.failed_rows:
        return _finish(session, record, outcome, ImportStatus.FAILED)
    stream.seek(0)
    writer = _ChunkWriter(session, actor, record, trademarks, outcome, known, photos)
    chunks = _good_chunks(stream, fmt, bad_rows, settings)
    try:
        _write(session, record, writer, chunks, policy, progress)
    except IntegrityError:
        # Another import of the same firm wrote the same codes after this one checked them.
        session.rollback()
        committed = session.scalar(select(ProductImport.ok_rows).where(ProductImport.id == record.id))
        outcome.errors.insert(0, RowError(0, "file", "concurrent_change").as_dict())
        return _finish(session, record, outcome, ImportStatus.FAILED, ok_rows=committed)
    status = ImportStatus.COMPLETED_WITH_ERRORS if outcome.failed_rows else ImportStatus.SUCCEEDED
    return _finish(session, record, outcome, status)


def _write(
    session: Session,
    record: ProductImport,
    writer: _ChunkWriter,
    chunks: Iterator[list[ImportRow]],
    policy: ErrorPolicy,
    progress: Progress,
) -> None:
    """Second pass: all good rows in one transaction (reject_all), or one transaction per chunk."""
    done = 0
    if policy == ErrorPolicy.REJECT_ALL:
        with write_transaction(session):
            for chunk in chunks:
                writer.write(chunk)
                done += len(chunk)
                progress("write", done)
        return
    for chunk in chunks:
        with write_transaction(session):
            writer.write(chunk)
            session.execute(
                update(ProductImport)
                .where(ProductImport.id == record.id)
                .values(ok_rows=ProductImport.ok_rows + len(chunk))
            )
        done += len(chunk)
        progress("write", done)


def _import_actor(session: Session, record: ProductImport) -> Actor:
    from commerce.accounts.models import User

    user = session.get(User, record.created_by) if record.created_by else None
    if user is None:
        return Actor.system()
    return Actor(user_id=user.id, role=Role(user.role), enterprise_id=user.enterprise_id, email=user.email)


def _finish(
    session: Session, record: ProductImport, outcome: _Outcome, status: ImportStatus, ok_rows: int | None = None
) -> ProductImport:
    with write_transaction(session):
        record = session.get(ProductImport, record.id, populate_existing=True)
        record.status = status.value
        record.total_rows = outcome.total_rows
        record.checked_rows = outcome.total_rows
        record.failed_rows = outcome.failed_rows
        if ok_rows is not None:
            record.ok_rows = ok_rows
        else:
            record.ok_rows = 0 if status == ImportStatus.FAILED else outcome.total_rows - outcome.failed_rows
        record.errors = outcome.errors
        record.created_products = outcome.created_products
        record.updated_products = outcome.updated_products
        record.created_skus = outcome.created_skus
        record.updated_skus = outcome.updated_skus
        record.finished_at = utcnow()
        session.execute(delete(ImportFilePart).where(ImportFilePart.import_id == record.id))
        session.add(record)
    if record.created_skus >= ANALYZE_AFTER_ROWS:
        # A bulk load leaves the planner's statistics behind until autovacuum catches up (reads of the
        # catalogue were measured 6x slower until then), and its rows unmarked as visible to all, so
        # the first reads of each page mark them and the list's index walks visit the table.
        refresh_statistics(session, ["product", "product_translation", "sku", "stock_level"])
    return record


def _chunks(rows: Iterator[ImportRow], size: int) -> Iterator[list[ImportRow]]:
    chunk: list[ImportRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _good_chunks(stream: IO[bytes], fmt: str, bad_rows: set[int], settings: Settings) -> Iterator[list[ImportRow]]:
    def good_rows() -> Iterator[ImportRow]:
        for number, record in iter_records(stream, fmt, SheetLimits.of(settings)):
            if number in bad_rows:
                continue
            yield checked_record(number, record)

    return _chunks(good_rows(), settings.import_chunk_rows)


@dataclass
class _Known:
    """What the firm already had before this import, found while checking: matched by code."""

    product_ids: dict[str, int] = field(default_factory=dict)
    sku_codes: set[str] = field(default_factory=set)


def _check_all(
    session: Session,
    stream: IO[bytes],
    fmt: str,
    record: ProductImport,
    trademarks: dict[str, int],
    photos: ImportPhotos,
    outcome: _Outcome,
    settings: Settings,
    progress: Progress,
) -> tuple[set[int], _Known]:
    """First pass: every rule on every row; returns the failing row numbers and what already exists."""
    limit = settings.import_max_reported_errors
    bad_rows: set[int] = set()
    first_of_product: dict[str, tuple[int, tuple]] = {}
    first_of_sku: dict[str, int] = {}
    photos_of_product: dict[str, set[str]] = {}
    known = _Known()

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

    for chunk in _chunks(rows(), settings.import_chunk_rows):
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


def _database_errors(session: Session, enterprise_id: int, chunk: list[ImportRow], known: _Known) -> list[RowError]:
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


class _ChunkWriter:
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
        outcome: _Outcome,
        known: _Known,
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
