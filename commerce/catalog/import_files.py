"""Reading product import files (CSV or XLSX) as a stream of rows, and checking each row.

Files are never loaded whole into Python objects: CSV is decoded incrementally and XLSX
is read with openpyxl's read-only mode, so memory stays flat however long the file is. A
workbook is a ZIP of XML parts, and a small one can unpack to a huge sheet or hold millions of
texts: its parts' unpacked sizes are checked from the ZIP's directory, its texts counted while
streaming before openpyxl reads them, and rows, columns and filled cells counted while the
sheet is read (``SheetLimits``), each limit refusing the file with a code of its own.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from commerce.errors import N_, ValidationFailed
from commerce.validation import (
    RuleViolation,
    check_currency,
    check_hs_code,
    check_hs_suffix,
    check_price,
    check_region_code,
    check_weight,
    has_control_characters,
)

# The columns a product's rows must agree on, and those of each SKU.
PRODUCT_FIELDS = (
    "title_zh",
    "title_en",
    "description_zh",
    "description_en",
    "hs_code",
    "hs_suffix",
    "declaration_elements",
    "legal_unit",
    "second_legal_unit",
    "origin_region_code",
    "trademark_registration_no",
)
COLUMNS = (
    "product_code",
    "sku_code",
    *PRODUCT_FIELDS,
    "attributes",
    "price",
    "currency",
    "weight_kg",
    "barcode",
    "stock",
    "images",
)
REQUIRED_COLUMNS = ("product_code", "sku_code", "hs_code", "legal_unit", "origin_region_code", "price", "currency")
TEMPLATE_EXAMPLE = (
    "QH-SW-001",
    "QH-SW-001-RED-M",
    "山羊绒圆领套头衫",
    "Cashmere crew-neck sweater",
    "100%山羊绒，12针",
    "100% cashmere, 12 gauge",
    "6110120000",
    "",
    "针织|女式|100%山羊绒|套头衫|无品牌",
    "件",
    "千克",
    "13059",
    "",
    "color=red;size=M",
    "399.00",
    "CNY",
    "0.350",
    "6901234567892",
    "120",
    "",
)

IMPORT_MESSAGES = {
    "required": N_("This field is required."),
    "title_required": N_("Give a title in Chinese (title_zh) or English (title_en)."),
    "too_long": N_("Too long: at most {max_length} characters."),
    "code_has_spaces": N_("Codes may not contain spaces."),
    "invalid_attributes": N_("Write attributes as name=value pairs separated by semicolons, e.g. color=red;size=M."),
    "invalid_barcode": N_("A barcode has 8 to 32 digits."),
    "invalid_stock": N_("Stock is a whole number of units, zero or more."),
    "formula_not_allowed": N_("Cells may not contain formulas; paste the values instead."),
    "control_character": N_("Control characters (such as NUL) cannot be stored; remove them from the text."),
    "conflicting_product_fields": N_("Rows of product {product_code} disagree on {fields}; they must match."),
    "duplicate_sku_in_file": N_("SKU code {sku_code} appears again (first on row {first_row})."),
    "unknown_trademark": N_("No collective trademark with registration no. {registration_no} in this cluster."),
    "sku_of_other_product": N_("SKU code {sku_code} already belongs to product {product_code}."),
    "stock_below_reserved": N_("Stock cannot be set below what is reserved and allocated ({committed})."),
    "concurrent_change": N_("Another import changed this firm's products meanwhile; import the file again."),
    "image_not_found": N_("No photo named {name} is in the ZIP or among the firm's uploaded photos."),
    "image_too_large": N_("Photo {name} is larger than {limit_mb} MB."),
    "image_too_many_pixels": N_("Photo {name} has more than {limit} million pixels."),
    "image_type_not_allowed": N_("Photo {name} is not a JPEG, PNG or WebP image."),
    "image_unreadable": N_("Photo {name} is damaged or incomplete."),
    "image_too_small": N_("Photo {name} must be at least {minimum} pixels wide and high."),
    "image_animated": N_("Photo {name} is animated; give a still photo."),
    "too_many_images": N_("A product has at most {limit} photos; this row names more."),
}

_LENGTHS = {
    "product_code": 64,
    "sku_code": 64,
    "title_zh": 200,
    "title_en": 200,
    "description_zh": 20_000,
    "description_en": 20_000,
    "declaration_elements": 2000,
    "legal_unit": 20,
    "second_legal_unit": 20,
    "trademark_registration_no": 40,
    "images": 4000,
}
_NO_SPACES = re.compile(r"^\S+$")
_FORMULA_PREFIXES = ("=",)


class UnreadableFile(ValidationFailed):
    code = "unreadable_file"
    message = N_("The file cannot be read as {format}: {reason}")


class InvalidHeader(ValidationFailed):
    code = "invalid_header"
    message = N_("The header row is wrong. Missing columns: {missing}. Unknown columns: {unknown}.")


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


# What refuses a whole file (rather than some of its rows).
FILE_REFUSALS = (
    UnreadableFile,
    InvalidHeader,
    FormulaNotAllowed,
    FileTooLargeUnpacked,
    TooManyRows,
    TooManyColumns,
    TooManyCells,
    TooManySharedStrings,
)
# An import refused as a whole keeps the refusal as its row 0 error, told with the refusal's message.
IMPORT_MESSAGES.update({refusal.code: refusal.message for refusal in FILE_REFUSALS})


@dataclass(frozen=True, slots=True)
class SheetLimits:
    """How large an uploaded sheet may be (see the module's docstring)."""

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


class UnsupportedFormat(ValidationFailed):
    code = "unsupported_format"
    message = N_("Upload a .csv or .xlsx file, or a .zip holding one with its photos.")


@dataclass(slots=True)
class RowError:
    row: int
    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "code": self.code, "params": self.params}


@dataclass(slots=True)
class ImportRow:
    """One checked SKU row: the product it belongs to and the SKU itself."""

    row: int
    product_code: str
    product: tuple  # the values of PRODUCT_FIELDS, compared across rows of one product
    sku_code: str
    attributes: dict[str, str]
    price: Decimal
    currency: str
    weight_kg: Decimal
    barcode: str | None
    stock: int | None
    images: tuple[str, ...] = ()  # the product's photos this row names, in order

    def product_value(self, name: str) -> Any:
        return self.product[PRODUCT_FIELDS.index(name)]


def photo_names(text: str) -> tuple[str, ...]:
    """The photo names of an ``images`` cell (separated by ``|``), in order, each once."""
    names = (name.strip() for name in text.split("|"))
    return tuple(dict.fromkeys(name for name in names if name))


def file_format(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(".xlsx"):
        return "xlsx"
    if lowered.endswith(".zip"):
        return "zip"
    raise UnsupportedFormat(field="file")


def _csv_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM), or GB18030 as Chinese spreadsheet programs save it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    finally:
        stream.seek(0)
    decoder = codecs.getincrementaldecoder("gb18030")()
    try:
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return "gb18030"
    except UnicodeDecodeError:
        raise UnreadableFile(field="file", format="CSV", reason="not UTF-8 or GB18030 text") from None
    finally:
        stream.seek(0)


def _csv_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    text = io.TextIOWrapper(stream, encoding=_csv_encoding(stream), newline="")
    try:
        yield from csv.reader(text)
    except csv.Error as error:
        raise UnreadableFile(field="file", format="CSV", reason=str(error)) from None
    finally:
        text.detach()


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


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stream, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise UnreadableFile(field="file", format="XLSX", reason=type(error).__name__) from None
    try:
        sheet = workbook.worksheets[0]
        # Rows as long as their cells, not as wide as the sheet's claimed dimension.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as error:  # a part damaged past its directory entry (bad CRC, bad XML)
                raise UnreadableFile(field="file", format="XLSX", reason=type(error).__name__) from None
            yield ["" if value is None else _cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def check_file(stream: IO[bytes], fmt: str, limits: SheetLimits = DEFAULT_LIMITS) -> list[str]:
    """Check what can be checked at once (readable, within the limits, no formulas, right header);
    returns the header."""
    inspect_workbook(stream, fmt, limits)
    rows = iter_raw_rows(stream, fmt, limits)
    try:
        header = next(rows, None)
    finally:
        rows.close()
        stream.seek(0)
    if header is None:
        raise UnreadableFile(field="file", format=fmt.upper(), reason="the file is empty")
    return check_header(header)


def iter_raw_rows(stream: IO[bytes], fmt: str, limits: SheetLimits = DEFAULT_LIMITS) -> Iterator[list[str]]:
    """The rows of a sheet as texts, the header first, refused once past a limit."""
    rows = _xlsx_rows(stream) if fmt == "xlsx" else _csv_rows(stream)
    cells = 0
    try:
        for number, values in enumerate(rows):
            if number > limits.rows:  # the header is row 0
                raise TooManyRows(field="file", limit=limits.rows)
            width = len(values)
            while width and values[width - 1] == "":
                width -= 1
            if width > limits.columns:
                raise TooManyColumns(field="file", limit=limits.columns)
            cells += sum(1 for value in values[:width] if value != "")
            if cells > limits.cells:
                raise TooManyCells(field="file", limit=limits.cells)
            yield values
    finally:
        rows.close()


def check_header(header: list[str]) -> list[str]:
    names = [str(name).strip().lower() for name in header]
    while names and names[-1] == "":
        names.pop()
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    unknown = [name for name in names if name not in COLUMNS]
    duplicated = {name for name in names if names.count(name) > 1}
    if missing or unknown or duplicated or not ({"title_zh", "title_en"} & set(names)):
        if not ({"title_zh", "title_en"} & set(names)):
            missing.append("title_zh|title_en")
        unknown += sorted(duplicated)
        raise InvalidHeader(field="file", missing=", ".join(missing) or "-", unknown=", ".join(unknown) or "-")
    return names


def iter_records(
    stream: IO[bytes], fmt: str, limits: SheetLimits = DEFAULT_LIMITS
) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for every non-empty data row; row 1 is the header."""
    rows = iter_raw_rows(stream, fmt, limits)
    header = check_header(next(rows, []))
    width = len(header)
    for number, values in enumerate(rows, start=2):
        cells = [value.strip() for value in values[:width]]
        if not any(cells):
            continue
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield number, dict(zip(header, cells, strict=True))


def _parse_attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(";"))):
        name, separator, value = pair.partition("=")
        if not separator or not name.strip() or not value.strip() or len(name) > 100 or len(value) > 100:
            raise ValueError(pair)
        attributes[name.strip()] = value.strip()
    if len(attributes) > 20:
        raise ValueError("too many attributes")
    return attributes


def parse_record(number: int, record: dict[str, str]) -> tuple[ImportRow | None, list[RowError]]:
    """Check one row on its own; cross-row and database checks come later."""
    errors: list[RowError] = []
    get = record.get
    for name in REQUIRED_COLUMNS:
        if not get(name):
            errors.append(RowError(number, name, "required"))
    for name, limit in _LENGTHS.items():
        if len(get(name, "")) > limit:
            errors.append(RowError(number, name, "too_long", {"max_length": limit}))
    if "\x00=" in "\x00" + "\x00".join(record.values()):
        errors.extend(
            RowError(number, name, "formula_not_allowed")
            for name, text in record.items()
            if text.startswith(_FORMULA_PREFIXES)
        )
    if has_control_characters("".join(record.values())):
        errors.extend(
            RowError(number, name, "control_character") for name, text in record.items() if has_control_characters(text)
        )
    if not get("title_zh") and not get("title_en"):
        errors.append(RowError(number, "title_zh", "title_required"))
    for name in ("product_code", "sku_code"):
        if get(name) and not _NO_SPACES.match(get(name)):
            errors.append(RowError(number, name, "code_has_spaces"))

    def rule(name: str, check, *args):
        text = get(name)
        if not text:
            return None
        try:
            return check(text, *args)
        except RuleViolation as violation:
            errors.append(RowError(number, name, violation.code, violation.params))
            return None

    hs_code = rule("hs_code", check_hs_code)
    hs_suffix = rule("hs_suffix", check_hs_suffix)
    region = rule("origin_region_code", check_region_code)
    currency = rule("currency", check_currency)
    price = rule("price", check_price, currency) if currency else None
    weight = rule("weight_kg", check_weight) if get("weight_kg") else Decimal("0")
    barcode = get("barcode") or None
    if barcode and not (barcode.isdigit() and 8 <= len(barcode) <= 32):
        errors.append(RowError(number, "barcode", "invalid_barcode"))
    stock = None
    stock_text = get("stock")
    if stock_text:
        if stock_text.isdigit() and int(stock_text) <= 10_000_000:
            stock = int(stock_text)
        else:
            errors.append(RowError(number, "stock", "invalid_stock"))
    try:
        attributes = _parse_attributes(get("attributes", ""))
    except ValueError:
        attributes = {}
        errors.append(RowError(number, "attributes", "invalid_attributes"))
    if errors:
        return None, errors
    checked = {"hs_code": hs_code, "hs_suffix": hs_suffix, "origin_region_code": region}
    product = tuple(checked[name] if name in checked else (get(name) or None) for name in PRODUCT_FIELDS)
    return ImportRow(
        row=number,
        product_code=record["product_code"],
        product=product,
        sku_code=record["sku_code"],
        attributes=attributes,
        price=price,
        currency=currency,
        weight_kg=weight,
        barcode=barcode,
        stock=stock,
        images=photo_names(get("images", "")),
    ), []


def checked_record(number: int, record: dict[str, str]) -> ImportRow:
    """The row of a record that ``parse_record`` already accepted, built without checking it again."""
    get = record.get
    weight = get("weight_kg")
    stock = get("stock")
    return ImportRow(
        row=number,
        product_code=record["product_code"],
        product=tuple(get(name) or None for name in PRODUCT_FIELDS),
        sku_code=record["sku_code"],
        attributes=_parse_attributes(get("attributes", "")),
        price=Decimal(record["price"]),
        currency=record["currency"].upper(),
        weight_kg=Decimal(weight) if weight else Decimal("0"),
        barcode=get("barcode") or None,
        stock=int(stock) if stock else None,
        images=photo_names(get("images", "")),
    )


def template_csv() -> bytes:
    """The import template: the header and one example row, UTF-8 with a BOM for spreadsheet programs."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(TEMPLATE_EXAMPLE)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# What each column of the template holds, in both languages: the workbook's second sheet.
COLUMN_HELP = {
    "product_code": ("产品编码：同一产品的各规格填相同编码", "Product code: the same on every SKU row of one product"),
    "sku_code": ("规格编码：本企业内唯一", "SKU code: unique within the firm"),
    "title_zh": ("中文标题（中英文标题至少填一个）", "Chinese title (a Chinese or an English title is needed)"),
    "title_en": ("英文标题", "English title"),
    "description_zh": ("中文描述", "Chinese description"),
    "description_en": ("英文描述", "English description"),
    "hs_code": ("10 位海关商品编码，决定退税率", "10-digit customs commodity code; it decides the rebate rate"),
    "hs_suffix": ("3 位检验检疫附加码，仅在海关要求时填写", "3-digit inspection suffix, only where customs asks"),
    "declaration_elements": ("申报要素，用 | 分隔", "Declaration elements, separated by |"),
    "legal_unit": ("法定计量单位，如 件、千克", "Legal unit, e.g. 件 (pieces), 千克 (kg)"),
    "second_legal_unit": ("第二法定计量单位（如有）", "Second legal unit, where the HS code has one"),
    "origin_region_code": ("5 位境内货源地代码", "5-digit customs domestic source region"),
    "trademark_registration_no": (
        "集体商标注册号（使用集体商标时填写）",
        "Registration no. of the collective mark, to sell under it",
    ),
    "attributes": ("规格属性，如 color=red; size=M", "SKU attributes, e.g. color=red; size=M"),
    "price": ("价格，最多两位小数", "Price, at most two decimals"),
    "currency": ("币种，如 CNY", "Currency, e.g. CNY"),
    "weight_kg": ("毛重（千克）", "Gross weight in kg"),
    "barcode": ("条码（8 至 32 位数字）", "Barcode (8 to 32 digits)"),
    "stock": ("期初库存（件）", "Opening stock in units"),
    "images": ("照片文件名，用 | 分隔，随 ZIP 上传", "Photo file names separated by |, uploaded in the ZIP"),
}


def template_xlsx() -> bytes:
    """The import template as a workbook: the products sheet (read on import), then its instructions in
    Chinese and English."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("products")
    sheet.append(list(COLUMNS))
    sheet.append(list(TEMPLATE_EXAMPLE))
    instructions = workbook.create_sheet("说明 Instructions")
    instructions.append(["列 Column", "必填 Required", "说明", "Instructions"])
    for column in COLUMNS:
        chinese, english = COLUMN_HELP[column]
        instructions.append([column, "是 Yes" if column in REQUIRED_COLUMNS else "", chinese, english])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
