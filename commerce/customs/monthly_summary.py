"""The monthly 9610 summary declaration: a stretch of cleared inventory lists merged by the
database on the header and line keys, streamed header by header.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import groupby

from sqlalchemy import func, select
from sqlmodel import Session

from commerce.customs import calendar, consolidation
from commerce.customs.claiming import summary_stretch
from commerce.customs.consolidation import HeaderKey
from commerce.customs.models import (
    CustomsBatch,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsPlatform,
    DeclarationKind,
)
from commerce.customs.writing import Writer
from commerce.sql import dialect_of, in_byte_order

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__


# A summary is read from the database this many merged lines at a time, and written every so many declarations.
SUMMARY_ROWS_AT_ONCE = 5_000


SUMMARY_DECLARATIONS_AT_ONCE = 2_000


def summary_goods(session: Session, batch: CustomsBatch) -> Iterable[tuple]:
    """The period's cleared list lines in the stretch, merged by the database on the header and line keys.

    Streamed in key order (byte order of the codes), so a summary of a million lists is written
    header by header without holding them all.
    """
    header = [_declaration.c[name] for name in consolidation.HEADER_KEY]
    line_key = [_line.c[name] for name in consolidation.LINE_KEY]
    dialect = dialect_of(session)
    order = [in_byte_order(dialect, column) for column in (*header, *line_key)]
    statement = (
        select(
            *header,
            *line_key,
            func.min(_declaration.c.owner_enterprise_id),
            func.min(_declaration.c.owner_name),
            func.min(_declaration.c.source_region),
            func.min(_line.c.goods_name),
            func.min(_line.c.goods_model),
            func.min(_line.c.unit),
            func.min(_line.c.legal_unit),
            func.min(_line.c.second_legal_unit),
            func.sum(_line.c.quantity),
            func.sum(_line.c.legal_quantity),
            func.sum(_line.c.second_legal_quantity),
            func.sum(_line.c.total_price),
            func.sum(_line.c.gross_weight_kg),
        )
        .select_from(_line.join(_declaration, _declaration.c.id == _line.c.declaration_id))
        .where(*summary_stretch(_declaration, batch))
        .group_by(*header, *line_key)
        .order_by(*order)
    )
    return session.execute(statement.execution_options(yield_per=SUMMARY_ROWS_AT_ONCE))


def write_summary(writer: Writer, rows: Iterable[tuple], platform: CustomsPlatform) -> None:
    """9610 summary: the merged list lines, in key order, as declarations per header split at the line limit.

    The writer is flushed every few thousand declarations, so memory stays flat however long the month.
    """
    for header, header_rows in groupby(rows, key=lambda row: tuple(row[0:5])):
        first = None
        lines = []
        for row in header_rows:
            first = first or row
            destination, hs_code, currency = row[5:8]
            name, model, unit, legal_unit, second_unit = row[11:16]
            quantity, legal, second, total, weight = row[16:21]
            lines.append(
                {
                    "hs_code": hs_code,
                    "goods_name": name,
                    "goods_model": model,
                    "destination_country": destination,
                    "currency": currency,
                    "unit": unit,
                    "legal_unit": legal_unit,
                    "second_legal_unit": second_unit,
                    "quantity": quantity,
                    "legal_quantity": legal,
                    "second_legal_quantity": second,
                    "total_price": total,
                    "gross_weight_kg": weight,
                }
            )
        owner_id, owner_name, region = first[8:11]
        for part in consolidation.line_limit_parts(lines, platform.line_limit):
            writer.add(
                kind=DeclarationKind.DECLARATION,
                header=HeaderKey(*header),
                lines=part,
                owner_enterprise_id=owner_id,
                owner_name=owner_name,
                source_region=region,
                gross_weight_kg=sum((line["gross_weight_kg"] for line in part), Decimal("0")),
            )
        if writer.pending >= SUMMARY_DECLARATIONS_AT_ONCE:
            writer.flush()


def summary_due(platform: CustomsPlatform, period: str) -> date:
    return calendar.summary_due_date(
        period,
        holidays={date.fromisoformat(day) for day in platform.holidays},
        working_weekend_days={date.fromisoformat(day) for day in platform.working_weekend_days},
    )
