"""A report as a CSV or XLSX file: one row per group, the group keys first, amounts as plain numbers.

Text from data (a firm's name, an agent's) is written so that no spreadsheet program takes it for
a formula: in CSV, text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a leading apostrophe (OWASP's rule for CSV injection); in XLSX every text cell is a string cell,
never a formula, whatever it starts with.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from commerce.reports.models import Dimension
from commerce.reports.service import COLUMNS, MEASURES, Report


def _columns(report: Report) -> list[str]:
    keys = [COLUMNS[dimension][1] for dimension in report.group_by]
    if Dimension.ENTERPRISE in report.group_by:
        keys.insert(keys.index("enterprise_id") + 1, "enterprise_name")
    return [*keys, *MEASURES, "local_share"]


def plain_number(value: Decimal) -> str:
    """A decimal as text: a whole number without decimals, any other as exact as stored."""
    return format(value.normalize() if value == value.to_integral() else value, "f")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_text(text: str) -> str:
    """Text a spreadsheet program shows as it is instead of evaluating it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value):
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, str):
        return inert_text(value)
    return "" if value is None else value


def report_csv(report: Report) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs open the Chinese names correctly."""
    columns = _columns(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in report.rows:
        writer.writerow([_cell(row.get(name)) for name in columns])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_cell(sheet, value):
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # openpyxl would take text starting with "=" for a formula
    return cell


def report_xlsx(report: Report) -> bytes:
    columns = _columns(report)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("exports")
    sheet.append(columns)
    for row in report.rows:
        sheet.append([_xlsx_cell(sheet, row.get(name)) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
