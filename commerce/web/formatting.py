"""Babel formatting of money, numbers, percentages, months and country names in the caller's locale."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_datetime, format_skeleton
from babel.numbers import format_currency, format_decimal, format_percent

from commerce.customs.calendar import CHINA, parse_period
from commerce.web.i18n import negotiate_locale


def _locale(locale: str | None) -> str:
    return locale or negotiate_locale()


def money(amount: Decimal, currency: str, locale: str | None = None) -> str:
    """``US$70,113.00`` / ``US$70,113.00`` in Chinese, ``¥497,802.30`` for CNY in Chinese."""
    return format_currency(amount, currency, locale=_locale(locale))


def number(value: Decimal | int, locale: str | None = None) -> str:
    return format_decimal(value, locale=_locale(locale))


def percent(value: Decimal, locale: str | None = None) -> str:
    return format_percent(value, format="#,##0.0%", locale=_locale(locale))


def month(period: str, locale: str | None = None) -> str:
    """``Sep 2026`` / ``2026年9月``."""
    year, month_number = parse_period(period)
    return format_skeleton("yMMM", date(year, month_number, 1), locale=_locale(locale))


def moment(value: datetime, locale: str | None = None) -> str:
    """A timestamp in China time, medium length."""
    return format_datetime(value.astimezone(CHINA), format="medium", locale=_locale(locale))


def country(code: str | None, locale: str | None = None) -> str | None:
    if code is None:
        return None
    return Locale.parse(_locale(locale)).territories.get(code, code)
