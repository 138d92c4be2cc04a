"""A report as a CSV or XLSX file: one row per group, the group keys first, amounts as plain numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import Workbook

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


def _cell(value):
    if isinstance(value, Decimal):
        return plain_number(value)
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


def report_xlsx(report: Report) -> bytes:
    columns = _columns(report)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("exports")
    sheet.append(columns)
    for row in report.rows:
        sheet.append([row.get(name) for name in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
