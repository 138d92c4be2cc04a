"""A firm's statement as a file to keep or send: XLSX or PDF, in Chinese or English.

Both hold the firm, the month, the status, the figures and every line with its order's channel
and number. In XLSX amounts and rates are numbers, and text from data (an order number from a
marketplace) is a string cell, never a formula; in PDF Chinese text is drawn with a CID font
every PDF reader has.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from commerce.customs.calendar import china_today
from commerce.errors import N_
from commerce.settlement.reading import FileLine, StatementDocument
from commerce.web import formatting
from commerce.web.i18n import translate
from commerce.web.letters import CJK_FONT, CJK_RUN, pdf_font, pdf_markup

FIGURE_NAMES = {
    "gross": N_("Sales"),
    "refunds": N_("Refunds"),
    "marketplace_fees": N_("Marketplace fees"),
    "host_commission": N_("Host commission"),
    "platform_fee": N_("Platform fee"),
    "net_payable": N_("Net payable"),
}
KIND_NAMES = {"sale": N_("Sale"), "refund": N_("Refund"), "marketplace_fee": N_("Marketplace fee")}
STATUS_NAMES = {"draft": N_("Draft"), "approved": N_("Approved"), "paid": N_("Paid")}


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a statement's lines: its heading, what it holds (text, a label to translate,
    number, rate or money), its width in the PDF and its value for a line."""

    heading: str
    holds: str
    width_mm: int
    value: Callable[[FileLine], Any]

    def shown(self, line: FileLine, locale: str) -> Any:
        """The line's value, a label in the file's language."""
        value = self.value(line)
        return translate(value, locale) if self.holds == "label" else value


LINE_COLUMNS = (
    Column(N_("Date"), "text", 18, lambda line: china_today(line.at).isoformat()),
    Column(N_("Kind"), "label", 16, lambda line: KIND_NAMES[line.kind]),
    Column(N_("Channel"), "text", 16, lambda line: line.channel),
    Column(N_("Order"), "text", 40, lambda line: line.external_id),
    Column(N_("Order line"), "number", 16, lambda line: line.order_line_id),
    Column(N_("After-sale"), "number", 16, lambda line: line.after_sale_id or None),
    Column(N_("Stream"), "number", 14, lambda line: line.stream_id),
    Column(N_("Amount"), "money", 24, lambda line: line.amount),
    Column(N_("Host rate"), "rate", 14, lambda line: line.host_rate),
    Column(N_("Host commission"), "money", 24, lambda line: line.host_commission),
    Column(N_("Platform rate"), "rate", 14, lambda line: line.platform_rate),
    Column(N_("Platform fee"), "money", 24, lambda line: line.platform_fee),
    Column(N_("Net"), "money", 24, lambda line: line.net),
)
# The columns from the first amount on are aligned right in the PDF.
FIRST_AMOUNT = next(index for index, column in enumerate(LINE_COLUMNS) if column.holds in ("money", "rate"))
MONEY_FORMAT = "#,##0.00"
# A line's text up to this many characters fits its PDF column unwrapped.
SHORT_TEXT = 20
RATE_FORMAT = "0.00%"


def _heading(document: StatementDocument, locale: str) -> list[tuple[str, str]]:
    """The statement's facts, as pairs of a label and a value."""
    statement, firm = document.statement, document.firm

    def t(message: str, **params) -> str:
        return translate(message, locale, **params)

    facts = [
        (t(N_("Firm")), firm.name),
        (t(N_("Unified social credit code")), firm.uscc),
        (t(N_("Period")), statement.period),
        (t(N_("Currency")), statement.currency),
        (t(N_("Status")), t(STATUS_NAMES[statement.status])),
        (t(N_("Computed on")), china_today(statement.computed_at).isoformat()),
    ]
    if statement.approved_at is not None:
        facts.append((t(N_("Approved on")), china_today(statement.approved_at).isoformat()))
    if statement.paid_on is not None:
        facts.append((t(N_("Paid on")), statement.paid_on.isoformat()))
        facts.append((t(N_("Payment reference")), statement.payment_reference or ""))
    return facts


def title(document: StatementDocument, locale: str) -> str:
    return translate(N_("Statement of {period}"), locale, period=document.statement.period)


def file_name(document: StatementDocument, extension: str) -> str:
    statement = document.statement
    return f"statement-{statement.period}-{statement.enterprise_id}-{statement.currency}.{extension}"


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # openpyxl would take text starting with "=" for a formula
    return cell


def _number_cell(sheet, value: Decimal | None, number_format: str) -> WriteOnlyCell | None:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value)
    cell.number_format = number_format
    return cell


def statement_xlsx(document: StatementDocument, locale: str) -> bytes:
    """One sheet: the facts, the figures, then a table of every line."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(translate(N_("Statement"), locale))
    sheet.append([_text_cell(sheet, title(document, locale))])
    for label, value in _heading(document, locale):
        sheet.append([_text_cell(sheet, label), _text_cell(sheet, value)])
    sheet.append([])
    for name, label in FIGURE_NAMES.items():
        value = getattr(document.statement, name)
        sheet.append([_text_cell(sheet, translate(label, locale)), _number_cell(sheet, value, MONEY_FORMAT)])
    sheet.append([])
    sheet.append([_text_cell(sheet, translate(column.heading, locale)) for column in LINE_COLUMNS])
    formats = {"rate": RATE_FORMAT, "money": MONEY_FORMAT}
    for line in document.lines:
        row = []
        for column in LINE_COLUMNS:
            value = column.shown(line, locale)
            if column.holds in formats:
                row.append(_number_cell(sheet, value, formats[column.holds]))
            elif column.holds in ("text", "label"):
                row.append(_text_cell(sheet, value))
            else:
                row.append(value)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rate_text(rate: Decimal | None, locale: str) -> str:
    return "" if rate is None else formatting.percent(rate, locale)


def statement_pdf(document: StatementDocument, locale: str) -> bytes:
    """A4 landscape: the facts and figures, then the lines, their heading on every page."""
    font = pdf_font(locale)
    currency = document.statement.currency
    small = ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9, wordWrap="CJK")
    title_style = ParagraphStyle("title", fontName=font, fontSize=15, leading=20, spaceAfter=5 * mm)

    def plain(text: str) -> str | Paragraph:
        """A line's text as it is, drawn at once; laid out as a paragraph only where it is long
        enough to wrap or Chinese needs the CJK font in another language's PDF."""
        if len(text) > SHORT_TEXT or (font != CJK_FONT and CJK_RUN.search(text)):
            return paragraph(text)
        return text

    def paragraph(text: str) -> Paragraph:
        return Paragraph(pdf_markup(text, font), small)

    def money(value: Decimal) -> str:
        return formatting.money(value, currency, locale)

    facts = [[paragraph(label), paragraph(value)] for label, value in _heading(document, locale)]
    figures = [
        [paragraph(translate(FIGURE_NAMES[name], locale)), paragraph(money(getattr(document.statement, name)))]
        for name in FIGURE_NAMES
    ]
    lines = [[paragraph(translate(column.heading, locale)) for column in LINE_COLUMNS]]
    shown = {"rate": lambda value: _rate_text(value, locale), "money": money}
    for line in document.lines:
        cells = []
        for column in LINE_COLUMNS:
            value = column.shown(line, locale)
            if column.holds in shown:
                cells.append(shown[column.holds](value))
            else:
                cells.append(plain("" if value is None else str(value)))
        lines.append(cells)
    grid = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, 7.5),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    numbers = TableStyle([*grid.getCommands(), ("ALIGN", (FIRST_AMOUNT, 1), (-1, -1), "RIGHT")])
    numbers.add("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)
    buffer = io.BytesIO()
    document_title = title(document, locale)
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        title=document_title,
        author=document.firm.name,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
    )
    story = [
        Paragraph(pdf_markup(document_title, font), title_style),
        Table(facts, colWidths=[45 * mm, 110 * mm], style=grid, hAlign="LEFT"),
        Spacer(1, 4 * mm),
        Table(figures, colWidths=[45 * mm, 50 * mm], style=grid, hAlign="LEFT"),
        Spacer(1, 6 * mm),
        LongTable(lines, colWidths=[column.width_mm * mm for column in LINE_COLUMNS], repeatRows=1, style=numbers),
    ]
    pdf.build(story)
    return buffer.getvalue()
