"""Bulk import of products from CSV or XLSX: checked in full, then written in chunks.

Two passes over the file. The first checks every row (on its own, against the other rows
of the same product, and against the firm's existing SKUs) without writing anything. The
second writes the good rows: under ``reject_all`` in one transaction, and only if no row
failed, so nothing is ever half imported; under ``reject_failed_rows`` one transaction per
chunk, which is safe to repeat because rows are matched by SKU code."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import IO

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.catalog.import_checks import ImportOutcome, Progress, check_all, in_chunks
from commerce.catalog.import_files import (
    FILE_REFUSALS,
    ImportRow,
    RowError,
    check_file,
    checked_record,
    file_format,
    iter_records,
)
from commerce.catalog.import_photos import ImportArchive, ImportPhotos, opened_sheet
from commerce.catalog.import_workbooks import SheetLimits, inspect_workbook, unpacked_size
from commerce.catalog.import_writing import ChunkWriter
from commerce.catalog.models import (
    ErrorPolicy,
    ImportFilePart,
    ImportStatus,
    ProductImport,
)
from commerce.clusters.models import FIRM_KINDS, Enterprise, Trademark
from commerce.clusters.permissions import require_own_enterprise
from commerce.clusters.service import require_enterprise
from commerce.config import Settings
from commerce.db import Database, utcnow, write_transaction
from commerce.deployment import Deployment
from commerce.errors import NotFound
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.media.storage import MediaStore
from commerce.sql import refresh_statistics

FILE_PART_BYTES = 1 << 20


ANALYZE_AFTER_ROWS = 10_000


FINISHED = {ImportStatus.SUCCEEDED, ImportStatus.COMPLETED_WITH_ERRORS, ImportStatus.FAILED}


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
    require_enterprise(session, enterprise_id, field="enterprise_id", kinds=FIRM_KINDS)
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
            return _refuse_file(session, record, ImportOutcome(), error)
        photos = ImportPhotos(session, settings, record.enterprise_id, archive, media)
        return _process(
            session, record, sheet, fmt, photos, actor or _import_actor(session, record), settings, progress
        )


def _refuse_file(session: Session, record: ProductImport, outcome: ImportOutcome, error) -> ProductImport:
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
    outcome = ImportOutcome()
    try:
        bad_rows, known = check_all(session, stream, fmt, record, trademarks, photos, outcome, settings, progress)
    except FILE_REFUSALS as error:
        session.rollback()
        return _refuse_file(session, record, outcome, error)
    policy = ErrorPolicy(record.error_policy)
    if policy == ErrorPolicy.REJECT_ALL and outcome.failed_rows:
        return _finish(session, record, outcome, ImportStatus.FAILED)
    stream.seek(0)
    writer = ChunkWriter(session, actor, record, trademarks, outcome, known, photos)
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
    writer: ChunkWriter,
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
    session: Session, record: ProductImport, outcome: ImportOutcome, status: ImportStatus, ok_rows: int | None = None
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


def _good_chunks(stream: IO[bytes], fmt: str, bad_rows: set[int], settings: Settings) -> Iterator[list[ImportRow]]:
    def good_rows() -> Iterator[ImportRow]:
        for number, record in iter_records(stream, fmt, SheetLimits.of(settings)):
            if number in bad_rows:
                continue
            yield checked_record(number, record)

    return in_chunks(good_rows(), settings.import_chunk_rows)
