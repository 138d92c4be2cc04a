"""Value rules shared by the API shapes and the bulk import: codes, money, regions.

Each rule is a plain function raising ``RuleViolation`` with a stable code; the pydantic
types below wrap the same functions, so the API and the import can never disagree.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any

from babel.numbers import get_currency_precision, list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from commerce.errors import N_
from commerce.uscc import is_valid_uscc

# Decimal places are checked by each field's rule (``too_many_decimals`` names how many it keeps).
_DECIMAL_TEXT = re.compile(r"^-?\d{1,15}(\.\d{1,12})?$")
_KNOWN_CURRENCIES = frozenset(list_currencies())
# Prices stay below a thousand billion, so that any order's total fits the exact money columns.
MAXIMUM_PRICE = 10**12

MESSAGES: dict[str, str] = {
    "invalid_uscc": N_("Not a valid unified social credit code (GB 32100 check character)."),
    "invalid_hs_code": N_("An HS code has exactly 10 digits."),
    "invalid_hs_suffix": N_("The inspection suffix has exactly 3 digits."),
    "invalid_region_code": N_("A domestic region code has exactly 5 digits."),
    "invalid_currency": N_("Not an ISO 4217 currency code."),
    "invalid_decimal": N_('Give an exact decimal number as a string, e.g. "12.50".'),
    "too_many_decimals": N_("At most {places} decimal places are allowed here."),
    "not_positive": N_("Must be greater than zero."),
    "amount_too_large": N_("Must be less than {maximum}."),
    "negative": N_("Must not be negative."),
    "invalid_customs_code": N_("A customs registration code has 10 characters, or give the USCC."),
    "invalid_country": N_("Not an ISO 3166 two-letter country code."),
    "invalid_cursor": N_("The cursor is not valid; start again from the first page."),
    "control_character": N_("Control characters (such as NUL) cannot be stored; remove them from the text."),
}


class RuleViolation(ValueError):
    """A value that breaks a rule; ``code`` is stable, ``params`` fill the message."""

    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(MESSAGES[code].format(**params))


def _as_pydantic(rule):
    def validate(value):
        try:
            return rule(value)
        except RuleViolation as violation:
            raise PydanticCustomError(violation.code, MESSAGES[violation.code], violation.params) from None

    return validate


def check_uscc(value: str) -> str:
    value = value.strip().upper()
    if not is_valid_uscc(value):
        raise RuleViolation("invalid_uscc")
    return value


def check_hs_code(value: str) -> str:
    value = value.strip()
    if not (len(value) == 10 and value.isascii() and value.isdigit()):
        raise RuleViolation("invalid_hs_code")
    return value


def check_hs_suffix(value: str) -> str:
    value = value.strip()
    if not (len(value) == 3 and value.isascii() and value.isdigit()):
        raise RuleViolation("invalid_hs_suffix")
    return value


def check_region_code(value: str) -> str:
    value = value.strip()
    if not (len(value) == 5 and value.isascii() and value.isdigit()):
        raise RuleViolation("invalid_region_code")
    return value


def check_customs_code(value: str) -> str:
    value = value.strip().upper()
    if len(value) == 18 and is_valid_uscc(value):
        return value
    if len(value) == 10 and value.isascii() and value.isalnum():
        return value
    raise RuleViolation("invalid_customs_code")


def check_currency(value: str) -> str:
    value = value.strip().upper()
    if value not in _KNOWN_CURRENCIES or len(value) != 3:
        raise RuleViolation("invalid_currency")
    return value


def check_country(value: str) -> str:
    value = value.strip().upper()
    if not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise RuleViolation("invalid_country")
    return value


def parse_decimal(value: Any, *, places: int = 4) -> Decimal:
    """An exact decimal from its text; floats are refused because they are not exact."""
    if isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip()
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        raise RuleViolation("invalid_decimal")
    if not _DECIMAL_TEXT.match(text):
        raise RuleViolation("invalid_decimal")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RuleViolation("invalid_decimal") from None
    if -number.as_tuple().exponent > places:
        raise RuleViolation("too_many_decimals", places=places)
    return number


@cache
def currency_places(currency: str) -> int:
    """Decimal places of a currency's minor unit (2 for CNY and USD, 0 for JPY)."""
    return get_currency_precision(currency)


def check_price(amount: Any, currency: str) -> Decimal:
    """A positive price with no more decimals than its currency's minor unit."""
    return check_amount(amount, currency, maximum=MAXIMUM_PRICE)


def check_amount(amount: Any, currency: str, *, maximum: Decimal | int) -> Decimal:
    """A positive amount below ``maximum`` with no more decimals than its currency's minor unit."""
    number = parse_decimal(amount, places=currency_places(currency))
    if number <= 0:
        raise RuleViolation("not_positive")
    if number >= maximum:
        raise RuleViolation("amount_too_large", maximum=maximum)
    return number


def check_weight(value: Any) -> Decimal:
    number = parse_decimal(value, places=3)
    if number < 0:
        raise RuleViolation("negative")
    return number


def decimal_text(value: Decimal) -> str:
    """A decimal as plain text with no exponent."""
    return format(value, "f")


# Exchange rates are kept to six decimals: fixings are published with four (five for HKD), and
# JPY's per-100 quotation becomes six per yen.
RATE_PLACES = 6
RATE_SHOWN_PLACES = 4


def parse_rate(value: Any) -> Decimal:
    """An exchange rate (CNY per unit) with at most six decimals."""
    return parse_decimal(value, places=RATE_PLACES)


def rate_text(value: Decimal) -> str:
    """A rate as published: four decimals, or as many more as it has (0.92343, 0.047391)."""
    places = max(RATE_SHOWN_PLACES, -value.normalize().as_tuple().exponent)
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


Identifier = Annotated[int, Field(ge=1, le=2_147_483_647)]


def _code(rule, pattern: str, description: str):
    """A code type checked by ``rule``, documented with the pattern it must match."""
    return Annotated[
        str,
        AfterValidator(_as_pydantic(rule)),
        WithJsonSchema({"type": "string", "pattern": pattern, "description": description}),
    ]


Uscc = _code(
    check_uscc,
    r"^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$",
    "Unified social credit code (GB 32100), checked by its 18th character",
)
HsCode = _code(check_hs_code, r"^[0-9]{10}$", "10-digit HS code")
HsSuffix = _code(check_hs_suffix, r"^[0-9]{3}$", "3-digit inspection suffix of the HS code")
RegionCode = _code(check_region_code, r"^[0-9]{5}$", "5-digit customs domestic region code")
CustomsCode = _code(
    check_customs_code, r"^([0-9A-Za-z]{10}|[0-9A-Za-z]{18})$", "10-character customs registration code, or the USCC"
)
CurrencyCode = _code(check_currency, r"^[A-Za-z]{3}$", "ISO 4217 currency code")
CountryCode = _code(check_country, r"^[A-Za-z]{2}$", "ISO 3166 two-letter country code")
_DECIMAL_SCHEMA = {"type": "string", "pattern": _DECIMAL_TEXT.pattern, "description": "an exact decimal, as text"}
DecimalText = Annotated[
    Decimal,
    BeforeValidator(_as_pydantic(parse_decimal)),
    PlainSerializer(decimal_text, return_type=str),
    WithJsonSchema(_DECIMAL_SCHEMA, mode="validation"),
]
RateText = Annotated[
    Decimal,
    BeforeValidator(_as_pydantic(parse_rate)),
    PlainSerializer(rate_text, return_type=str),
    WithJsonSchema({**_DECIMAL_SCHEMA, "description": "CNY per unit, up to 6 decimals"}, mode="validation"),
]
Weight = Annotated[
    Decimal,
    BeforeValidator(_as_pydantic(check_weight)),
    PlainSerializer(decimal_text, return_type=str),
    WithJsonSchema({**_DECIMAL_SCHEMA, "description": "kilograms, up to 3 decimals"}, mode="validation"),
]


class Money(BaseModel):
    """An exact amount in a currency: ``{"amount": "12.50", "currency": "USD"}``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"amount": "12.50", "currency": "CNY"}})

    amount: DecimalText
    currency: CurrencyCode

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> Money:
        """The amount shown with its currency's minor unit, or more decimals where it has them."""
        return cls.model_construct(amount=shown_amount(amount, currency), currency=currency)


def shown_amount(amount: Decimal, currency: str) -> Decimal:
    """An amount with its currency's minor unit (399.00 CNY, 1500 JPY), or more decimals where it has them."""
    shown = amount.quantize(Decimal(1).scaleb(-currency_places(currency)))
    return shown if shown == amount else amount.normalize()


def money_json(amount: Decimal, currency: str) -> dict[str, str]:
    """The API's money object as plain data, for answers built without pydantic on hot paths."""
    return {"amount": decimal_text(shown_amount(amount, currency)), "currency": currency}


def money_text(amount: Decimal, currency: str) -> str:
    """An amount and its currency as one string, e.g. ``399.00 CNY``, for audit trails and logs."""
    return f"{decimal_text(shown_amount(amount, currency))} {currency}"


def _check_price_money(money: Money) -> Money:
    try:
        check_price(money.amount, money.currency)
    except RuleViolation as violation:
        raise PydanticCustomError(violation.code, MESSAGES[violation.code], violation.params) from None
    return money


Price = Annotated[Money, AfterValidator(_check_price_money)]


# What XML 1.0 cannot carry (C0 controls other than tab, line feed and carriage return, and the
# two non-characters U+FFFE and U+FFFF): text with them could never reach customs' messages, and
# PostgreSQL refuses NUL outright. They are refused where text comes in.
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def has_control_characters(value: str) -> bool:
    return _CONTROL_CHARACTERS.search(value) is not None


def without_control_characters(value: str) -> str:
    """Text from a counterpart that cannot be refused (a marketplace's order), with what XML cannot
    carry taken out."""
    return _CONTROL_CHARACTERS.sub("", value)


def _refuse_control_characters(value: Any) -> None:
    if isinstance(value, str):
        if has_control_characters(value):
            raise PydanticCustomError("control_character", MESSAGES["control_character"])
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key)
            _refuse_control_characters(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _refuse_control_characters(item)


class Input(BaseModel):
    """What a caller sends: unknown fields refused, surrounding blanks trimmed, no control characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_control_characters(cls, value: Any) -> Any:
        _refuse_control_characters(value)
        return value
