"""Building product import files (CSV and XLSX) for tests and benchmarks."""

from __future__ import annotations

import csv
import io

from commerce.catalog.import_files import COLUMNS


def sku_row(product_code: str, sku_code: str, **overrides: str) -> dict[str, str]:
    """One valid import row of a cashmere sweater SKU."""
    row = {
        "product_code": product_code,
        "sku_code": sku_code,
        "title_zh": f"山羊绒衫 {product_code}",
        "title_en": f"Cashmere sweater {product_code}",
        "description_zh": "100%山羊绒",
        "description_en": "100% cashmere",
        "hs_code": "6110120000",
        "hs_suffix": "",
        "declaration_elements": "针织|女式|100%山羊绒",
        "legal_unit": "件",
        "second_legal_unit": "千克",
        "origin_region_code": "13059",
        "trademark_registration_no": "",
        "attributes": "color=camel;size=M",
        "price": "399.00",
        "currency": "CNY",
        "weight_kg": "0.350",
        "barcode": "",
        "stock": "10",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, str]], *, columns=COLUMNS, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict[str, str]], *, columns=COLUMNS, formula_cell: str | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(column, "") for column in columns])
    if formula_cell:
        sheet[formula_cell] = "=SUM(1,2)"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bytes(sheet: tuple[str, bytes], files: dict[str, bytes] | None = None) -> bytes:
    """A ZIP of a sheet (its name and bytes) and the photos beside it, as a firm packs them."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(*sheet)
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def crafted_xlsx(*, sheet_rows: bytes = b"", shared_strings: list[bytes] | None = None, dimension: str = "A1") -> bytes:
    """A workbook as a hostile sender would write it: a real openpyxl workbook whose sheet holds
    ``sheet_rows`` (raw ``<row>`` XML after the header row) and whose shared texts are
    ``shared_strings``. Whatever the parts unpack to, the file stays small."""
    import zipfile

    header = b"".join(
        b'<c r="%s1" t="inlineStr"><is><t>%s</t></is></c>' % (_column_letter(index).encode(), name.encode())
        for index, name in enumerate(COLUMNS, start=1)
    )
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="'
        + dimension.encode()
        + b'"/><sheetData><row r="1">'
        + header
        + b"</row>"
        + sheet_rows
        + b"</sheetData></worksheet>"
    )
    original = zipfile.ZipFile(io.BytesIO(xlsx_bytes([])))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = sheet
            if shared_strings is not None and info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", _SHARED_STRINGS_RELATION + b"</Relationships>")
            if shared_strings is not None and info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", _SHARED_STRINGS_TYPE + b"</Types>")
            archive.writestr(info.filename, data)
        if shared_strings is not None:
            archive.writestr(
                "xl/sharedStrings.xml",
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + b"".join(b"<si><t>" + text + b"</t></si>" for text in shared_strings)
                + b"</sst>",
            )
    return output.getvalue()


_SHARED_STRINGS_RELATION = (
    b'<Relationship Id="rIdTexts" Target="sharedStrings.xml"'
    b' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
_SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml"'
    b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
