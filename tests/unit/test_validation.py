from decimal import Decimal

import pytest
from pydantic import ValidationError

from commerce.validation import (
    Money,
    Price,
    RuleViolation,
    check_currency,
    check_hs_code,
    check_price,
    check_region_code,
    parse_decimal,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12.50", Decimal("12.50")), ("0", Decimal("0")), ("-3.1", Decimal("-3.1")), (7, Decimal("7"))],
)
def test_parse_decimal_accepts_exact_text(text, expected):
    assert parse_decimal(text) == expected


@pytest.mark.parametrize("value", [12.5, "1e3", "12,50", " ", "NaN", "Infinity", True, None, "1.2.3"])
def test_parse_decimal_refuses_inexact_or_malformed(value):
    with pytest.raises(RuleViolation) as raised:
        parse_decimal(value)
    assert raised.value.code == "invalid_decimal"


def test_parse_decimal_limits_places():
    with pytest.raises(RuleViolation) as raised:
        parse_decimal("1.23456", places=4)
    assert (raised.value.code, raised.value.params) == ("too_many_decimals", {"places": 4})


def test_price_follows_the_currency_minor_unit():
    assert check_price("399.00", "CNY") == Decimal("399.00")
    assert check_price("1500", "JPY") == Decimal("1500")
    with pytest.raises(RuleViolation) as raised:
        check_price("1500.5", "JPY")
    assert raised.value.params == {"places": 0}
    with pytest.raises(RuleViolation) as raised:
        check_price("0.00", "USD")
    assert raised.value.code == "not_positive"


def test_money_shows_the_currency_minor_unit():
    assert Money.of(Decimal("399.0000"), "CNY").model_dump(mode="json") == {"amount": "399.00", "currency": "CNY"}
    assert Money.of(Decimal("12.3450"), "USD").model_dump(mode="json") == {"amount": "12.345", "currency": "USD"}
    assert Money.of(Decimal("1500.0000"), "JPY").model_dump(mode="json") == {"amount": "1500", "currency": "JPY"}


def test_price_shape_refuses_float_amount():
    from pydantic import TypeAdapter

    adapter = TypeAdapter(Price)
    with pytest.raises(ValidationError) as raised:
        adapter.validate_python({"amount": 12.5, "currency": "USD"})
    assert raised.value.errors()[0]["type"] == "invalid_decimal"
    assert adapter.validate_python({"amount": "12.50", "currency": "usd"}).currency == "USD"


@pytest.mark.parametrize("code", ["611012000", "61101200000", "61101200AB", "６１１０１２００００"])
def test_hs_code_has_exactly_ten_ascii_digits(code):
    with pytest.raises(RuleViolation):
        check_hs_code(code)


def test_region_and_currency_codes():
    assert check_region_code("13059") == "13059"
    with pytest.raises(RuleViolation):
        check_region_code("1305")
    assert check_currency("cny") == "CNY"
    with pytest.raises(RuleViolation):
        check_currency("XYZ1")
