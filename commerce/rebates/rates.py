"""The dated rebate-rate table by 10-digit HS code: recorded through the API or loaded from a file.

Rates change by announcement, so a rate is never a constant: each row holds from its day until the
next row of the same HS code, and a line takes the row in force on its export date.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import IO

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.db import write_transaction
from commerce.rebates.models import RebateRate
from commerce.rebates.shapes import RebateRateInput
from commerce.rebates.tables import DatedValues, read_table_file
from commerce.sql import among, upsert

FILE_COLUMNS = ("hs_code", "rate", "valid_from", "vat_rate", "announcement")
REQUIRED_FILE_COLUMNS = ("hs_code", "rate", "valid_from")


def put_rates(session: Session, *, actor: Actor, rates: list[RebateRateInput]) -> list[RebateRate]:
    """Record dated rates; the same HS code and day again replaces that row."""
    require_role(actor)
    rows = [
        {
            "hs_code": rate.hs_code,
            "valid_from": rate.valid_from,
            "rate": rate.rate,
            "vat_rate": rate.vat_rate,
            "announcement": rate.announcement,
        }
        for rate in rates
    ]
    with write_transaction(session):
        upsert(
            session,
            RebateRate.__table__,
            rows,
            conflict_columns=["hs_code", "valid_from"],
            update_columns=["rate", "vat_rate", "announcement"],
        )
        audit.record(
            session,
            actor=actor,
            entity="rebate_rate",
            entity_id=0,
            action="recorded",
            changes={"rates": len(rows), "hs_codes": sorted({row["hs_code"] for row in rows})[:50]},
        )
    keys = {(row["hs_code"], row["valid_from"]) for row in rows}
    stored = session.scalars(select(RebateRate).where(among(session, RebateRate.hs_code, sorted({k[0] for k in keys}))))
    return sorted(
        (rate for rate in stored if (rate.hs_code, rate.valid_from) in keys), key=lambda r: (r.hs_code, r.valid_from)
    )


def list_rates(session: Session, *, actor: Actor, hs_code: str | None = None) -> list[RebateRate]:
    """The table, by HS code and day."""
    require_role(actor, Role.TRADE_OPERATOR)
    statement = select(RebateRate).order_by(RebateRate.hs_code, RebateRate.valid_from)
    if hs_code is not None:
        statement = statement.where(RebateRate.hs_code == hs_code)
    return list(session.scalars(statement))


def read_rate_file(stream: IO[bytes], filename: str) -> list[RebateRateInput]:
    """The rates of a CSV or XLSX file (header hs_code, rate, valid_from[, vat_rate, announcement]).

    Rates may be written as fractions (0.13) or percentages (13%). The first bad row refuses the file.
    """
    return read_table_file(
        stream,
        filename,
        shape=RebateRateInput,
        columns=FILE_COLUMNS,
        required=REQUIRED_FILE_COLUMNS,
        prepare=_percentages,
    )


def _percentages(data: dict) -> dict:
    for name in ("rate", "vat_rate"):
        text = str(data.get(name, ""))
        if text.endswith("%"):
            with contextlib.suppress(ArithmeticError):
                data[name] = format(Decimal(text[:-1].strip()) / 100, "f")
    return data


class RateTable:
    """The rates of some HS codes, looked up by export date."""

    def __init__(self, rows: Iterable[RebateRate]):
        self._rates = DatedValues((row.hs_code, row.valid_from, row) for row in rows)

    @classmethod
    def load(cls, session: Session, hs_codes: Iterable[str]) -> RateTable:
        codes = sorted(set(hs_codes))
        if not codes:
            return cls([])
        return cls(session.scalars(select(RebateRate).where(among(session, RebateRate.hs_code, codes))))

    def on(self, hs_code: str, day: date) -> RebateRate | None:
        """The row in force on a day, or None when the table has none for the code yet."""
        return self._rates.on(hs_code, day)
