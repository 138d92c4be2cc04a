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
