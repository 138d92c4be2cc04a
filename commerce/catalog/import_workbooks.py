"""Hostile files held off before a product import reads them: a workbook's unpacked size, its
parts, formulas, shared texts and runs of text counted from the zip's own entries while streaming,
and the limits a sheet is held to.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from commerce.errors import N_, ValidationFailed


class UnreadableFile(ValidationFailed):
    code = "unreadable_file"
    message = N_("The file cannot be read as {format}: {reason}")


class FormulaNotAllowed(ValidationFailed):
    code = "formula_not_allowed"
    message = N_("The file contains formulas; save it with values only.")


class FileTooLargeUnpacked(ValidationFailed):
    code = "file_too_large_unpacked"
    message = N_("The file unpacks to more than {limit_mb} MB; split it into several files.")


class TooManyRows(ValidationFailed):
    code = "too_many_rows"
    message = N_("The sheet has more than {limit} rows; split it into several files.")


class TooManyColumns(ValidationFailed):
    code = "too_many_columns"
    message = N_("The sheet has a row with more than {limit} columns.")


class TooManyCells(ValidationFailed):
    code = "too_many_cells"
    message = N_("The sheet has more than {limit} filled cells; split it into several files.")


class TooManySharedStrings(ValidationFailed):
    code = "too_many_shared_strings"
    message = N_("The workbook holds more than {limit} distinct texts; split it into several files.")


@dataclass(frozen=True, slots=True)
class SheetLimits:
    """How large an uploaded sheet may be (see ``import_files``)."""

    unpacked_bytes: int = 100_000_000  # all of a workbook's parts, unpacked
    part_bytes: int = 5_000_000  # one part other than the worksheets and their texts (styles, themes...)
    rows: int = 100_000
    columns: int = 64
    cells: int = 2_000_000
    shared_strings: int = 500_000

    @classmethod
    def of(cls, settings: Any) -> SheetLimits:
        return cls(
            unpacked_bytes=settings.import_max_unpacked_bytes,
            rows=settings.import_max_rows,
            columns=settings.import_max_columns,
            cells=settings.import_max_cells,
            shared_strings=settings.import_max_shared_strings,
        )


DEFAULT_LIMITS = SheetLimits()


def unpacked_size(stream: IO[bytes], fmt: str, limits: SheetLimits = DEFAULT_LIMITS) -> int:
    """What a file holds unpacked, by the sizes a ZIP's directory declares (a member is never read
    past its declared size), without unpacking anything; a CSV's own size. A workbook that
    unpacks past the limit is refused."""
    try:
        if fmt == "csv":
            return stream.seek(0, 2)
        try:
            with zipfile.ZipFile(stream) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
            raise UnreadableFile(field="file", format=fmt.upper(), reason=f"not a {fmt.upper()} file") from None
        return _within_unpacked_limit(parts, limits) if fmt == "xlsx" else sum(part.file_size for part in parts)
    finally:
        stream.seek(0)


def _within_unpacked_limit(parts: list[zipfile.ZipInfo], limits: SheetLimits) -> int:
    """What a workbook's parts unpack to, refused past the limit."""
    total = sum(part.file_size for part in parts)
    if total > limits.unpacked_bytes:
        raise FileTooLargeUnpacked(field="file", limit_mb=limits.unpacked_bytes // 1_000_000)
    return total


def _tags(name: bytes) -> re.Pattern[bytes]:
    """The opening tags of an element of a workbook's XML, with or without a namespace prefix."""
    return re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + name + rb"[\s/>]")


_FORMULA = _tags(b"f")


_SHARED_STRING = _tags(b"si")


# The longest text or tag a part may hold between two of its < and > marks: four times Excel's
# 32,767 characters of a cell (UTF-8), and room for its markup.
LONGEST_RUN = 4 * 32_767 + 1024


_LONG_RUN = re.compile(rb"[^<>]{%d}" % (LONGEST_RUN + 1))


def _count_tags(member: IO[bytes], pattern: re.Pattern[bytes], stop_after: int) -> int:
    """How many elements ``pattern`` opens in a part, read in pieces (up to ``stop_after`` + 1);
    a part with a text or tag longer than ``LONGEST_RUN`` is refused on the way."""
    count, tail, run = 0, b"", 0
    while chunk := member.read(1 << 20):
        window = tail + chunk
        # A tag wholly inside the tail was counted with the previous piece.
        count += sum(1 for match in pattern.finditer(window) if match.end() > len(tail))
        if count > stop_after:
            break
        first = min((at for at in (chunk.find(b"<"), chunk.find(b">")) if at >= 0), default=len(chunk))
        if run + first > LONGEST_RUN or _LONG_RUN.search(chunk):
            raise UnreadableFile(field="file", format="XLSX", reason="a cell holds more text than a workbook can")
        last = max(chunk.rfind(b"<"), chunk.rfind(b">"))
        run = run + len(chunk) if last < 0 else len(chunk) - last - 1
        tail = window[-64:]
    return count


def inspect_workbook(stream: IO[bytes], fmt: str, limits: SheetLimits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook that is not one, that unpacks past the limits, holds formulas (their values
    are not in the file) or more texts than the limit, before openpyxl reads any of it."""
    if fmt != "xlsx":
        return
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
            _within_unpacked_limit(parts, limits)
            for part in parts:
                is_sheet = part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")
                is_texts = part.filename.lower() == "xl/sharedstrings.xml"
                if not (is_sheet or is_texts) and part.file_size > limits.part_bytes:
                    reason = f"its part {part.filename[:100]} unpacks to more than {limits.part_bytes // 1_000_000} MB"
                    raise UnreadableFile(field="file", format="XLSX", reason=reason)
                if is_sheet:
                    with archive.open(part) as member:
                        if _count_tags(member, _FORMULA, 0):
                            raise FormulaNotAllowed(field="file")
                if is_texts:
                    with archive.open(part) as member:
                        if _count_tags(member, _SHARED_STRING, limits.shared_strings) > limits.shared_strings:
                            raise TooManySharedStrings(field="file", limit=limits.shared_strings)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise UnreadableFile(field="file", format="XLSX", reason="not an XLSX workbook") from None
    finally:
        stream.seek(0)
