"""A firm's statement as a file to keep or send: XLSX or PDF, in Chinese or English.

Both hold the firm, the month, the status, the figures and every line with its order's channel
and number. In XLSX amounts and rates are numbers, and text from data (an order number from a
marketplace) is a string cell, never a formula; in PDF Chinese text is drawn with a CID font
every PDF reader has.
"""

from __future__ import annotations

import io
from decimal import Decimal

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
COLUMNS = (
    N_("Date"),
    N_("Kind"),
    N_("Channel"),
    N_("Order"),
    N_("Order line"),
    N_("After-sale"),
    N_("Stream"),
    N_("Amount"),
    N_("Host rate"),
    N_("Host commission"),
    N_("Platform rate"),
    N_("Platform fee"),
    N_("Net"),
)
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


def _line_values(line: FileLine, locale: str) -> list:
    return [
        china_today(line.at).isoformat(),
        translate(KIND_NAMES[line.kind], locale),
        line.channel,
        line.external_id,
        line.order_line_id,
        line.after_sale_id or None,
        line.stream_id,
        line.amount,
        line.host_rate,
        line.host_commission,
        line.platform_rate,
        line.platform_fee,
        line.net,
    ]


# Which columns of a line are rates (shown as percentages) and which amounts.
RATE_COLUMNS = {8, 10}
MONEY_COLUMNS = {7, 9, 11, 12}


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
    sheet.append([_text_cell(sheet, translate(column, locale)) for column in COLUMNS])
    for line in document.lines:
        row = []
        for index, value in enumerate(_line_values(line, locale)):
            if index in RATE_COLUMNS:
                row.append(_number_cell(sheet, value, RATE_FORMAT))
            elif index in MONEY_COLUMNS:
                row.append(_number_cell(sheet, value, MONEY_FORMAT))
            elif isinstance(value, str):
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
    lines = [[paragraph(translate(column, locale)) for column in COLUMNS]]
    for line in document.lines:
        values = _line_values(line, locale)
        cells = []
        for index, value in enumerate(values):
            if index in RATE_COLUMNS:
                cells.append(_rate_text(value, locale))
            elif index in MONEY_COLUMNS:
                cells.append(money(value))
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
    numbers = TableStyle([*grid.getCommands(), ("ALIGN", (7, 1), (-1, -1), "RIGHT")])
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
    widths = [18, 16, 16, 40, 16, 16, 14, 24, 14, 24, 14, 24, 24]
    story = [
        Paragraph(pdf_markup(document_title, font), title_style),
        Table(facts, colWidths=[45 * mm, 110 * mm], style=grid, hAlign="LEFT"),
        Spacer(1, 4 * mm),
        Table(figures, colWidths=[45 * mm, 50 * mm], style=grid, hAlign="LEFT"),
        Spacer(1, 6 * mm),
        LongTable(lines, colWidths=[width * mm for width in widths], repeatRows=1, style=numbers),
    ]
    pdf.build(story)
    return buffer.getvalue()
