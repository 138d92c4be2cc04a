import io
from decimal import Decimal

import pytest

from commerce.catalog.import_files import (
    COLUMNS,
    FILE_REFUSALS,
    InvalidHeader,
    UnsupportedFormat,
    check_file,
    file_format,
    iter_records,
    parse_record,
)
from commerce.catalog.import_templates import template_csv, template_xlsx
from commerce.catalog.import_workbooks import FormulaNotAllowed, SheetLimits, UnreadableFile, inspect_workbook
from tests.import_files import crafted_xlsx, csv_bytes, sku_row, xlsx_bytes


def test_a_good_row_parses_into_exact_values():
    row, errors = parse_record(2, sku_row("P1", "P1-M"))
    assert errors == []
    assert (row.product_code, row.sku_code, row.price, row.currency) == ("P1", "P1-M", Decimal("399.00"), "CNY")
    assert row.attributes == {"color": "camel", "size": "M"}
    assert (row.weight_kg, row.stock) == (Decimal("0.350"), 10)
    assert row.product_value("hs_code") == "6110120000"


def test_every_problem_of_a_row_is_reported_with_its_field():
    row, errors = parse_record(
        7,
        sku_row(
            "P1",
            "P 1",
            hs_code="61101",
            price="12.345",
            currency="CNY",
            attributes="colour",
            stock="-1",
            barcode="12",
            title_zh="",
            title_en="",
        ),
    )
    assert row is None
    assert sorted((error.row, error.field, error.code) for error in errors) == [
        (7, "attributes", "invalid_attributes"),
        (7, "barcode", "invalid_barcode"),
        (7, "hs_code", "invalid_hs_code"),
        (7, "price", "too_many_decimals"),
        (7, "sku_code", "code_has_spaces"),
        (7, "stock", "invalid_stock"),
        (7, "title_zh", "title_required"),
    ]


def test_formula_text_in_a_cell_is_refused():
    _row, errors = parse_record(3, sku_row("P1", "P1-M", title_en='=HYPERLINK("x")'))
    assert [(error.field, error.code) for error in errors] == [("title_en", "formula_not_allowed")]


def test_header_must_have_required_columns_and_no_unknown_ones():
    data = csv_bytes([sku_row("P1", "P1-M")], columns=[c for c in COLUMNS if c != "price"] + ["colour"])
    with pytest.raises(InvalidHeader) as raised:
        check_file(io.BytesIO(data), "csv")
    assert raised.value.params == {"missing": "price", "unknown": "colour"}


def test_gb18030_csv_from_chinese_spreadsheets_is_read():
    data = csv_bytes([sku_row("P1", "P1-M")], encoding="gb18030")
    records = list(iter_records(io.BytesIO(data), "csv"))
    assert records[0][0] == 2
    assert records[0][1]["title_zh"] == "山羊绒衫 P1"


def test_binary_garbage_is_unreadable():
    with pytest.raises(UnreadableFile):
        check_file(io.BytesIO(b"\x00\xff\xfe\x81" * 100), "csv")
    with pytest.raises(UnreadableFile):
        check_file(io.BytesIO(b"PK not really a zip"), "xlsx")


def test_xlsx_formula_is_refused_before_reading_rows():
    data = xlsx_bytes([sku_row("P1", "P1-M")], formula_cell="B2")
    with pytest.raises(FormulaNotAllowed):
        check_file(io.BytesIO(data), "xlsx")


def test_xlsx_rows_read_like_csv_rows():
    data = xlsx_bytes([sku_row("P1", "P1-M"), {}, sku_row("P1", "P1-L", price="410")])
    records = list(iter_records(io.BytesIO(data), "xlsx"))
    assert [(number, record["sku_code"], record["price"]) for number, record in records] == [
        (2, "P1-M", "399.00"),
        (4, "P1-L", "410"),
    ]


def test_file_format_by_extension():
    assert file_format("Products.CSV") == "csv"
    assert file_format("a.xlsx") == "xlsx"
    with pytest.raises(UnsupportedFormat):
        file_format("a.xls")


@pytest.mark.parametrize(("template", "fmt"), [(template_csv, "csv"), (template_xlsx, "xlsx")])
def test_templates_are_valid_import_files(template, fmt):
    stream = io.BytesIO(template())
    assert check_file(stream, fmt) == list(COLUMNS)
    ((number, record),) = list(iter_records(stream, fmt))
    row, errors = parse_record(number, record)
    assert errors == []
    assert row.sku_code == "QH-SW-001-RED-M"


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"currency": "usd", "price": "12.5"},
        {"weight_kg": "", "stock": "", "barcode": "6901234567892"},
        {"title_en": "", "attributes": "", "hs_suffix": "101"},
    ],
)
def test_the_write_pass_rebuilds_rows_exactly_as_checked(overrides):
    from commerce.catalog.import_files import checked_record

    record = sku_row("P1", "P1-M", **overrides)
    parsed, errors = parse_record(5, record)
    assert errors == []
    assert checked_record(5, record) == parsed


def _refusal(data: bytes, fmt: str, limits: SheetLimits) -> tuple[str, dict]:
    """The code and parameters a file is refused with, read whole as the worker reads it."""
    with pytest.raises(FILE_REFUSALS) as refused:
        check_file(io.BytesIO(data), fmt, limits)
        for _record in iter_records(io.BytesIO(data), fmt, limits):
            pass
    return refused.value.code, refused.value.params


def _numbers_row(number: int, width: int) -> bytes:
    """A sheet row of ``width`` number cells."""
    cells = b"".join(b'<c r="%s%d"><v>1</v></c>' % (chr(65 + column).encode(), number) for column in range(width))
    return b'<row r="%d">%s</row>' % (number, cells)


def test_a_workbook_is_refused_at_each_limit_with_its_own_code():
    limits = SheetLimits(unpacked_bytes=2_000_000, part_bytes=100_000, rows=3, columns=30, cells=50, shared_strings=10)
    cases = {
        # A sheet padded out to more than the unpacked limit, in a file of a few kilobytes.
        "padded": crafted_xlsx(sheet_rows=b" " * 2_100_000),
        "texts": crafted_xlsx(shared_strings=[b"x"] * 11),
        "wide": crafted_xlsx(sheet_rows=b'<row r="2"><c r="AE2"><v>1</v></c></row>'),
        # One cell far down: every row above it counts.
        "deep": crafted_xlsx(sheet_rows=b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>'),
        "full": crafted_xlsx(sheet_rows=b"".join(_numbers_row(number, 21) for number in (2, 3, 4))),
    }
    assert {name: _refusal(data, "xlsx", limits) for name, data in cases.items()} == {
        "padded": ("file_too_large_unpacked", {"limit_mb": 2}),
        "texts": ("too_many_shared_strings", {"limit": 10}),
        "wide": ("too_many_columns", {"limit": 30}),
        "deep": ("too_many_rows", {"limit": 3}),
        "full": ("too_many_cells", {"limit": 50}),
    }
    assert all(len(data) < 20_000 for data in cases.values())
    # At the limits themselves, a workbook is read.
    texts = crafted_xlsx(shared_strings=[b"x"] * 10)
    check_file(io.BytesIO(texts), "xlsx", limits)


def test_a_workbook_whose_dimension_claims_the_whole_sheet_is_read_by_its_cells():
    data = crafted_xlsx(
        dimension="A1:XFD1048576",
        sheet_rows=b'<row r="2">'
        + b"".join(
            b'<c r="%s2" t="inlineStr"><is><t>%s</t></is></c>' % (letter.encode(), value.encode())
            for letter, value in zip("ABCDEFGHIJKLMNOPQ", list(sku_row("P1", "P1-M").values()), strict=False)
        )
        + b"</row>",
    )
    [(number, record)] = list(iter_records(io.BytesIO(data), "xlsx", SheetLimits(columns=30)))
    assert (number, record["product_code"], record["sku_code"]) == (2, "P1", "P1-M")


def test_a_csv_is_refused_past_its_row_column_and_cell_limits():
    limits = SheetLimits(rows=2, columns=25, cells=1000)
    rows = [sku_row("P1", f"P1-{number}") for number in range(3)]
    wide = csv_bytes([sku_row("P1", "P1-M")]) + b"," * 30 + b"x\r\n"
    assert _refusal(csv_bytes(rows), "csv", limits) == ("too_many_rows", {"limit": 2})
    assert _refusal(wide, "csv", limits) == ("too_many_columns", {"limit": 25})
    assert _refusal(csv_bytes(rows[:2]), "csv", SheetLimits(cells=30)) == ("too_many_cells", {"limit": 30})


def test_a_part_of_a_workbook_past_its_limit_is_refused():
    import zipfile

    data = io.BytesIO()
    with (
        zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive,
        zipfile.ZipFile(io.BytesIO(xlsx_bytes([]))) as original,
    ):
        for info in original.infolist():
            archive.writestr(
                info.filename, original.read(info) + (b" " * 200_000 if info.filename == "xl/styles.xml" else b"")
            )
    with pytest.raises(UnreadableFile) as refused:
        inspect_workbook(io.BytesIO(data.getvalue()), "xlsx", SheetLimits(part_bytes=100_000))
    assert "xl/styles.xml unpacks to more than" in str(refused.value)


def test_a_workbook_with_a_cell_longer_than_a_workbook_holds_is_refused_before_it_is_parsed():
    long_text = b"a" * 200_000
    cell = crafted_xlsx(sheet_rows=b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + long_text + b"</t></is></c></row>")
    text = crafted_xlsx(shared_strings=[long_text])
    tag = crafted_xlsx(sheet_rows=b'<row r="2" x="' + long_text + b'"></row>')
    for data in (cell, text, tag):
        with pytest.raises(UnreadableFile) as refused:
            inspect_workbook(io.BytesIO(data), "xlsx")
        assert "a cell holds more text than a workbook can" in str(refused.value)
    # Excel's longest cell (32,767 characters, four bytes each) is read.
    longest = "𝄞" * 32_767
    data = crafted_xlsx(
        sheet_rows=b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + longest.encode() + b"</t></is></c></row>"
    )
    inspect_workbook(io.BytesIO(data), "xlsx")


def test_a_workbook_declaring_entities_is_refused():
    import zipfile

    def with_texts(xml: bytes) -> bytes:
        data = io.BytesIO()
        original = zipfile.ZipFile(io.BytesIO(crafted_xlsx(shared_strings=[b"x"])))
        with zipfile.ZipFile(data, "w") as archive:
            for info in original.infolist():
                archive.writestr(info.filename, xml if info.filename == "xl/sharedStrings.xml" else original.read(info))
        return data.getvalue()

    texts = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>%s</t></si></sst>'
    laughs = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' + texts % b"&lol2;"
    with pytest.raises(UnreadableFile):
        list(iter_records(io.BytesIO(with_texts(laughs)), "xlsx"))
    # The same texts without a DTD are read (the header is inline: no record, no refusal).
    assert list(iter_records(io.BytesIO(with_texts(texts % b"lol")), "xlsx")) == []


def test_the_xlsx_template_explains_every_column_in_both_languages_on_a_second_sheet():
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(template_xlsx()), read_only=True)
    assert workbook.sheetnames == ["products", "说明 Instructions"]
    rows = list(workbook["说明 Instructions"].iter_rows(values_only=True))
    assert rows[0] == ("列 Column", "必填 Required", "说明", "Instructions")
    assert [row[0] for row in rows[1:]] == list(COLUMNS)
    explained = {row[0]: row for row in rows[1:]}
    assert explained["hs_code"] == (
        "hs_code",
        "是 Yes",
        "10 位海关商品编码，决定退税率",
        "10-digit customs commodity code; it decides the rebate rate",
    )
    assert explained["title_en"][1] is None
    assert all(row[2] and row[3] for row in rows[1:])
