import io
from decimal import Decimal

import pytest

from commerce.catalog.import_files import (
    COLUMNS,
    FormulaNotAllowed,
    InvalidHeader,
    UnreadableFile,
    UnsupportedFormat,
    check_file,
    file_format,
    iter_records,
    parse_record,
    template_csv,
    template_xlsx,
)
from tests.import_files import csv_bytes, sku_row, xlsx_bytes


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
