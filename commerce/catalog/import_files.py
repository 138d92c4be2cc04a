"""Reading product import files (CSV or XLSX) as a stream of rows, and checking each row.

Files are never loaded whole into Python objects: CSV is decoded incrementally and XLSX
is read with openpyxl's read-only mode, so memory stays flat however long the file is. A
workbook is a ZIP of XML parts, and a small one can unpack to a huge sheet or hold millions of
texts: its parts' unpacked sizes are checked from the ZIP's directory, its texts counted while
streaming before openpyxl reads them, and rows, columns and filled cells counted while the
sheet is read (``SheetLimits``), each limit refusing the file with a code of its own."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from commerce.catalog.import_workbooks import (
    DEFAULT_LIMITS,
    FileTooLargeUnpacked,
    FormulaNotAllowed,
    SheetLimits,
    TooManyCells,
    TooManyColumns,
    TooManyRows,
    TooManySharedStrings,
    UnreadableFile,
    inspect_workbook,
)
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


class InvalidHeader(ValidationFailed):
    code = "invalid_header"
    message = N_("The header row is wrong. Missing columns: {missing}. Unknown columns: {unknown}.")


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
