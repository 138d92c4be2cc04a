"""Photos a product import names: from the ZIP the sheet came in, or among the firm's photos.

A sheet's ``images`` column names a product's photos, in order, separated by ``|``. A name is
looked up first in the ZIP uploaded with the sheet (by its path there, or by its file name where
only one member has it), then among the photos the firm uploaded before, by the name they were
uploaded under. Each photo is read and checked once per import, with the limits of an upload:
no member is read past the photo size limit, whatever its header claims, and a ZIP with too many
members, encrypted ones or not exactly one sheet is refused before anything is read.
"""

from __future__ import annotations

import posixpath
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select
from sqlmodel import Session

from commerce.catalog.import_files import file_format
from commerce.catalog.import_workbooks import UnreadableFile
from commerce.catalog.models import Product
from commerce.config import Settings
from commerce.media.errors import ImageRefused, ImageTooLarge
from commerce.media.models import ProductImage
from commerce.media.processing import Photo, process
from commerce.media.storage import MediaStore

MAX_MEMBERS = 50_000


class ImportArchive:
    """A ZIP holding one sheet (CSV or XLSX) and the photos it names."""

    def __init__(self, stream: IO[bytes]):
        try:
            self.zip = zipfile.ZipFile(stream)
            members = [info for info in self.zip.infolist() if not info.is_dir()]
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            raise UnreadableFile(field="file", format="ZIP", reason="not a ZIP archive") from None
        members = [info for info in members if not _hidden(info.filename)]
        if len(members) > MAX_MEMBERS:
            raise UnreadableFile(field="file", format="ZIP", reason=f"more than {MAX_MEMBERS} files")
        if any(info.flag_bits & 0x1 for info in members):
            raise UnreadableFile(field="file", format="ZIP", reason="encrypted files cannot be read")
        sheets = [info for info in members if posixpath.splitext(info.filename)[1].lower() in (".csv", ".xlsx")]
        if len(sheets) != 1:
            raise UnreadableFile(field="file", format="ZIP", reason="it must hold exactly one CSV or XLSX sheet")
        self.sheet_info = sheets[0]
        self.sheet_format = file_format(self.sheet_info.filename)
        self.by_path = {info.filename: info for info in members if info is not self.sheet_info}
        names = Counter(posixpath.basename(path) for path in self.by_path)
        self.by_name = {
            posixpath.basename(path): info
            for path, info in self.by_path.items()
            if names[posixpath.basename(path)] == 1
        }

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.by_path.get(name) or self.by_name.get(name)

    def read(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        """A member's bytes, never more than ``limit`` + 1 of them (so an oversized one shows as such)."""
        with self.zip.open(info) as member:
            return member.read(limit + 1)

    def unpacked_size(self) -> int:
        """What the archive unpacks to, as its directory declares it."""
        return sum(info.file_size for info in self.zip.infolist())

    def check_sheet_size(self, limit: int) -> None:
        """Refuse a sheet that unpacks to more than ``limit`` bytes, as the directory declares it (a
        member is never read past its declared size)."""
        if self.sheet_info.file_size > limit:
            raise UnreadableFile(
                field="file", format="ZIP", reason=f"the sheet unpacks to more than {limit // 1_000_000} MB"
            )

    @contextmanager
    def sheet(self, limit: int) -> Iterator[IO[bytes]]:
        """The sheet, unpacked into a temporary file, no larger than a sheet uploaded on its own."""
        self.check_sheet_size(limit)
        with tempfile.TemporaryFile() as unpacked:
            try:
                with self.zip.open(self.sheet_info) as member:
                    while chunk := member.read(1 << 20):
                        unpacked.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError):  # e.g. it unpacks to other bytes than its CRC
                raise UnreadableFile(field="file", format="ZIP", reason="the sheet in it is damaged") from None
            unpacked.seek(0)
            yield unpacked


def _hidden(path: str) -> bool:
    """What archivers add beside the files (macOS resource forks, desktop settings)."""
    return path.startswith("__MACOSX/") or posixpath.basename(path).startswith(".")


@contextmanager
def opened_sheet(
    stream: IO[bytes], fmt: str, settings: Settings
) -> Iterator[tuple[IO[bytes], str, ImportArchive | None]]:
    """The sheet of an upload and its format, and the archive it came in (None for a bare sheet)."""
    if fmt != "zip":
        yield stream, fmt, None
        return
    archive = ImportArchive(stream)
    with archive.sheet(settings.max_upload_bytes) as sheet:
        yield sheet, archive.sheet_format, archive


@dataclass(frozen=True)
class Refusal:
    """Why a named photo cannot be attached: a row error's code and parameters."""

    code: str
    params: dict


class ImportPhotos:
    """The photos one import names, found and checked once each.

    Checked photos are kept for the write pass up to ``KEEP_BYTES`` in all; past that only the
    verdict is kept and a photo is read again when it is written, so memory stays bounded
    whatever the archive holds."""

    KEEP_BYTES = 256 * 1024 * 1024

    def __init__(
        self,
        session: Session,
        settings: Settings,
        enterprise_id: int,
        archive: ImportArchive | None,
        store: MediaStore | None,
    ):
        self.session = session
        self.settings = settings
        self.enterprise_id = enterprise_id
        self.archive = archive
        self.store = store
        self.found: dict[str, Photo | Refusal | None] = {}
        self.kept = 0

    def check(self, name: str) -> Refusal | None:
        if name not in self.found:
            found = self._look_up(name)
            if isinstance(found, Photo):
                size = len(found.data) + len(found.thumbnail)
                if self.kept + size > self.KEEP_BYTES:
                    found = None  # taken, to be read again when written
                else:
                    self.kept += size
            self.found[name] = found
        found = self.found[name]
        return found if isinstance(found, Refusal) else None

    def photo(self, name: str) -> Photo:
        """A photo the check took."""
        found = self.found.get(name)
        if found is None:
            found = self._look_up(name)
        if not isinstance(found, Photo):
            raise AssertionError(f"photo {name} was not taken when checked")
        return found

    def _look_up(self, name: str) -> Photo | Refusal:
        info = self.archive.find(name) if self.archive is not None else None
        if info is not None:
            limit = self.settings.media_max_bytes
            try:
                data = self.archive.read(info, limit)
                if len(data) > limit:
                    raise ImageTooLarge(limit_mb=limit // 1_000_000)
                return process(data, max_bytes=limit, max_pixels=self.settings.media_max_pixels)
            except ImageRefused as refused:
                return Refusal(refused.code, {"name": name, **refused.params})
            except (zipfile.BadZipFile, OSError, EOFError):
                return Refusal("image_unreadable", {"name": name})
        uploaded = self._uploaded(name)
        if uploaded is not None:
            return uploaded
        return Refusal("image_not_found", {"name": name})

    def _uploaded(self, name: str) -> Photo | None:
        """The firm's photo last uploaded under this name, as it is stored."""
        if self.store is None:
            return None
        image = self.session.scalars(
            select(ProductImage)
            .join(Product, Product.id == ProductImage.product_id)
            .where(Product.enterprise_id == self.enterprise_id, ProductImage.original_name == name)
            .order_by(ProductImage.id.desc())
            .limit(1)
        ).first()
        if image is None:
            return None
        data, thumbnail = self.store.get(image.storage_key), self.store.get(image.thumbnail_key)
        if data is None or thumbnail is None:
            return None
        return Photo(
            data=data,
            content_type=image.content_type,
            extension=image.storage_key.rsplit(".", 1)[1],
            width=image.width,
            height=image.height,
            thumbnail=thumbnail,
            sha256=image.sha256,
        )
