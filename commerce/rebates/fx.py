"""Exchange rates: the daily central parity, customs' monthly rate taken from it, and the rebate side's rate.

Customs converts a month's exports at the central parity published on the third Wednesday of the
previous month (the next trading day's when that day is a holiday). The rebate side converts FOB at the parity
of the sale date or of the first day of the month, a setting per firm. A day without a fixing
(weekend, holiday) takes the last one published before it, at most a week earlier; beyond that
the rate is missing, and missing is an explicit answer, never 1.0 or an old value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import IO

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.customs.calendar import first_day, shift_period
from commerce.customs.models import CustomsExchangeRate
from commerce.customs.platforms import store_exchange_rates
from commerce.db import write_transaction
from commerce.rebates.arithmetic import require_amount
from commerce.rebates.errors import ParityMissing
from commerce.rebates.models import CentralParityRate, FxBasis, RateSource
from commerce.rebates.shapes import ParityRateInput
from commerce.rebates.tables import DatedValues, read_table_file
from commerce.sql import among, upsert
from integrations.fx.interface import ParityQuote, ParitySource

WEDNESDAY = 2
SATURDAY = 5
# The first month whose rate follows Customs Order No. 272 (in force since 1 December 2024).
NEXT_TRADING_DAY_FROM = "2024-12"
# How far back a day without a fixing may look for the last published one.
FIXING_LOOKBACK_DAYS = 7
PARITY_FILE_COLUMNS = ("currency", "day", "cny_per_unit")


def customs_rate_day(period: str, *, holidays: Collection[date] = ()) -> date:
    """The day whose central parity is customs' rate for a month: the previous month's third Wednesday.

    When that is no interbank trading day (a holiday), Customs Order No. 272 takes the next trading
    day's fixing for the months from December 2024; the months before took the fourth Wednesday's.
    """
    first = first_day(shift_period(period, -1))
    third = first + timedelta(days=(WEDNESDAY - first.weekday()) % 7 + 14)
    if third not in holidays:
        return third
    if period < NEXT_TRADING_DAY_FROM:
        return third + timedelta(days=7)
    day = third + timedelta(days=1)
    while day.weekday() >= SATURDAY or day in holidays:
        day += timedelta(days=1)
    return day


def record_parity(session: Session, quotes: Iterable[ParityQuote | ParityRateInput], *, source: RateSource) -> int:
    """Store fixings (a repeated currency and day is replaced); returns how many."""
    rows = [
        {"currency": quote.currency, "day": quote.day, "cny_per_unit": quote.cny_per_unit, "source": source.value}
        for quote in quotes
    ]
    with write_transaction(session):
        upsert(
            session,
            CentralParityRate.__table__,
            rows,
            conflict_columns=["currency", "day"],
            update_columns=["cny_per_unit", "source"],
        )
    return len(rows)


def put_parity(
    session: Session, *, actor: Actor, rates: list[ParityRateInput], source: RateSource = RateSource.MANUAL
) -> int:
    """Record central parity rates by hand or from a file (trade operators)."""
    require_role(actor, Role.TRADE_OPERATOR)
    for rate in rates:
        require_amount(rate.cny_per_unit, field="cny_per_unit", places=6)
    with write_transaction(session):
        count = record_parity(session, rates, source=source)
        audit.record(
            session,
            actor=actor,
            entity="central_parity_rate",
            entity_id=0,
            action="recorded",
            changes={"rates": count, "source": source.value},
        )
    return count


def list_parity(
    session: Session, *, actor: Actor, currency: str | None, start: date | None, end: date | None
) -> list[CentralParityRate]:
    require_role(actor, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    statement = select(CentralParityRate).order_by(CentralParityRate.currency, CentralParityRate.day)
    if currency is not None:
        statement = statement.where(CentralParityRate.currency == currency)
    if start is not None:
        statement = statement.where(CentralParityRate.day >= start)
    if end is not None:
        statement = statement.where(CentralParityRate.day <= end)
    return list(session.scalars(statement.limit(5000)))


def read_parity_file(stream: IO[bytes], filename: str) -> list[ParityRateInput]:
    """The fixings of a CSV or XLSX file with the header currency, day, cny_per_unit."""
    return read_table_file(
        stream, filename, shape=ParityRateInput, columns=PARITY_FILE_COLUMNS, required=PARITY_FILE_COLUMNS
    )


def fetch_parity(session: Session, source: ParitySource, *, start: date, end: date, currencies: list[str]) -> int:
    """Fetch the published fixings of a stretch of days and store them."""
    quotes = source.central_parity(start=start, end=end, currencies=currencies)
    return record_parity(session, quotes, source=RateSource.CFETS)


def derive_customs_rates(
    session: Session, *, period: str, currencies: Iterable[str], holidays: Collection[date] = ()
) -> list[CustomsExchangeRate]:
    """Customs' rates of a month from the central parity of its day; 409 when that fixing is not in."""
    day = customs_rate_day(period, holidays=holidays)
    wanted = sorted(set(currencies) - {"CNY"})
    fixings = {
        row.currency: row
        for row in session.scalars(
            select(CentralParityRate).where(
                CentralParityRate.day == day, among(session, CentralParityRate.currency, wanted)
            )
        )
    }
    for currency in wanted:
        if currency not in fixings:
            raise ParityMissing(currency=currency, day=day.isoformat())
    month_start = first_day(period)
    rows = [
        {
            "currency": currency,
            "valid_from": month_start,
            "cny_per_unit": fixings[currency].cny_per_unit,
            "source": RateSource.CENTRAL_PARITY.value,
            "parity_day": day,
        }
        for currency in wanted
    ]
    with write_transaction(session):
        store_exchange_rates(session, rows)
    return list(
        session.scalars(
            select(CustomsExchangeRate).where(
                CustomsExchangeRate.valid_from == month_start,
                among(session, CustomsExchangeRate.currency, wanted),
            )
        )
    )


def rebate_day(export_date: date, basis: FxBasis | str) -> date:
    """The day whose rate converts an export's FOB on the rebate side."""
    return export_date.replace(day=1) if basis == FxBasis.MONTH_START else export_date


class ParityTable:
    """Fixings of some currencies over some days, looked up with the week's fallback for days without one."""

    def __init__(self, rows: Iterable[CentralParityRate]):
        self._fixings = DatedValues((row.currency, row.day, row.cny_per_unit) for row in rows)

    @classmethod
    def load(cls, session: Session, currencies: Iterable[str], start: date, end: date) -> ParityTable:
        wanted = sorted(set(currencies) - {"CNY"})
        if not wanted:
            return cls([])
        return cls(
            session.scalars(
                select(CentralParityRate).where(
                    among(session, CentralParityRate.currency, wanted),
                    CentralParityRate.day >= start - timedelta(days=FIXING_LOOKBACK_DAYS),
                    CentralParityRate.day <= end,
                )
            )
        )

    def on(self, currency: str, day: date) -> Decimal | None:
        """CNY for one unit on a day (or the last fixing of the week before it), None when there is none."""
        if currency == "CNY":
            return Decimal("1")
        return self._fixings.on(currency, day, within_days=FIXING_LOOKBACK_DAYS)
