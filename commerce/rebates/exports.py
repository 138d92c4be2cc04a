"""The exports a rebate claim stands on: declaration lines of a period, their firms, dates and orders.

A 9610 summary declaration belongs to the month of the lists it merges and is dated the last day
of that month; a full declaration (9710, 9810, 0110, 1039) belongs to the month it was cleared in,
or while customs still has it, the month it was submitted in. Declarations still in draft, rejected
or in a superseded batch are not exports. What came back under the export return regime
(``customs.returns``) is no longer exported: a line counts what is left of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from commerce.customs import calendar
from commerce.customs.claiming import summary_stretch
from commerce.customs.consolidation import HEADER_KEY, LINE_KEY
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsStatus,
    DeclarationKind,
)
from commerce.orders.models import OrderLine, SalesOrder
from commerce.rebates.models import ExportProceeds
from commerce.sql import among, exact_sum

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_batch = CustomsBatch.__table__
DECLARED = (CustomsStatus.SUBMITTED.value, CustomsStatus.ACCEPTED.value, CustomsStatus.CLEARED.value)
IN_CHUNKS = 5_000
FIVE_PLACES = Decimal("0.00001")


@dataclass(slots=True)
class DeclaredLine:
    """A declaration line as the rebate side sees it."""

    declaration_id: int
    line_id: int
    line_no: int
    enterprise_id: int
    hs_code: str
    quantity: Decimal
    total_price: Decimal
    currency: str
    customs_mode: str
    rebate_eligible: bool
    cleared: bool
    export_date: date
    summary: bool
    order_ids: set[int] = field(default_factory=set)


def _china_date(moment: datetime) -> date:
    return moment.astimezone(calendar.CHINA).date()


def declared_lines(session: Session, *, period: str, enterprise_ids: Collection[int] | None) -> list[DeclaredLine]:
    """Every line the firms (all, when None) declared for export in a period, with its orders."""
    start, end = calendar.period_bounds(period)
    columns = (
        _declaration.c.id,
        _line.c.id,
        _line.c.line_no,
        _declaration.c.owner_enterprise_id,
        _line.c.hs_code,
        _line.c.quantity,
        _line.c.total_price,
        _line.c.currency,
        _declaration.c.customs_mode,
        _declaration.c.rebate_eligible,
        _declaration.c.status,
        _declaration.c.cleared_at,
        _declaration.c.submitted_at,
        _batch.c.kind,
        _line.c.returned_quantity,
    )
    base = (
        select(*columns)
        .select_from(
            _line.join(_declaration, _declaration.c.id == _line.c.declaration_id).join(
                _batch, _batch.c.id == _declaration.c.batch_id
            )
        )
        .where(
            _declaration.c.kind == DeclarationKind.DECLARATION.value,
            _declaration.c.status.in_(DECLARED),
            _batch.c.superseded_by_id.is_(None),
            _declaration.c.owner_enterprise_id.is_not(None),
        )
    )
    in_period = or_(
        and_(_batch.c.kind == BatchKind.SUMMARY.value, _batch.c.period == period),
        and_(
            _batch.c.kind == BatchKind.DECLARATION.value,
            or_(
                and_(_declaration.c.cleared_at >= start, _declaration.c.cleared_at < end),
                and_(
                    _declaration.c.cleared_at.is_(None),
                    _declaration.c.submitted_at >= start,
                    _declaration.c.submitted_at < end,
                ),
            ),
        ),
    )
    statement = base.where(in_period).order_by(_declaration.c.id, _line.c.line_no)
    if enterprise_ids is not None:
        statement = statement.where(among(session, _declaration.c.owner_enterprise_id, sorted(enterprise_ids)))
    last_day = calendar.last_day(period)
    lines = []
    for row in session.execute(statement):
        quantity, total_price = _still_exported(row[5], row[6], row[14])
        if not quantity:
            continue
        summary = row[13] == BatchKind.SUMMARY.value
        cleared = row[10] == CustomsStatus.CLEARED.value
        moment = row[11] if row[11] is not None else row[12]
        lines.append(
            DeclaredLine(
                declaration_id=row[0],
                line_id=row[1],
                line_no=row[2],
                enterprise_id=row[3],
                hs_code=row[4],
                quantity=quantity,
                total_price=total_price,
                currency=row[7],
                customs_mode=row[8],
                rebate_eligible=row[9],
                cleared=cleared,
                export_date=last_day if summary else _china_date(moment),
                summary=summary,
            )
        )
    _attach_orders(session, lines)
    return lines


def _still_exported(quantity: Decimal, total_price: Decimal, returned: Decimal) -> tuple[Decimal, Decimal]:
    """What of a line stays exported once its export returns came back: the quantity left and its
    share of the line's value (to the line's five decimals)."""
    if not returned:
        return quantity, total_price
    left = quantity - returned
    return left, (total_price * left / quantity).quantize(FIVE_PLACES, rounding=ROUND_HALF_UP)


def in_chunks(values: list[int]) -> Iterable[list[int]]:
    """Ids a few thousand at a time, for queries that take them as one parameter."""
    for start in range(0, len(values), IN_CHUNKS):
        yield values[start : start + IN_CHUNKS]


def _attach_orders(session: Session, lines: list[DeclaredLine]) -> None:
    """Put on each line the orders it declares: through its sources, or a summary's merged lists."""
    by_id = {line.line_id: line for line in lines}
    full = [line.line_id for line in lines if not line.summary]
    for chunk in in_chunks(full):
        rows = session.execute(
            select(CustomsLineSource.declaration_line_id, OrderLine.order_id)
            .join(OrderLine, OrderLine.id == CustomsLineSource.order_line_id)
            .where(among(session, CustomsLineSource.declaration_line_id, chunk))
        )
        for line_id, order_id in rows:
            by_id[line_id].order_ids.add(order_id)
    summaries = sorted({line.declaration_id for line in lines if line.summary})
    lists = _declaration.alias("inventory")
    list_lines = _line.alias("inventory_line")
    for chunk in in_chunks(summaries):
        rows = session.execute(
            select(_line.c.id, lists.c.order_id)
            .select_from(
                _line.join(_declaration, _declaration.c.id == _line.c.declaration_id)
                .join(_batch, _batch.c.id == _declaration.c.batch_id)
                .join(
                    lists,
                    and_(
                        *summary_stretch(lists, _batch.c),
                        *[lists.c[name] == _declaration.c[name] for name in HEADER_KEY],
                    ),
                )
                .join(
                    list_lines,
                    and_(
                        list_lines.c.declaration_id == lists.c.id,
                        *[list_lines.c[name] == _line.c[name] for name in LINE_KEY],
                    ),
                )
            )
            .where(among(session, _declaration.c.id, chunk))
            .distinct()
        )
        for line_id, order_id in rows:
            if line_id in by_id and order_id is not None:
                by_id[line_id].order_ids.add(order_id)


def unpaid_orders(session: Session, order_ids: Collection[int]) -> set[int]:
    """The orders whose export proceeds received fall short of their total."""
    unpaid: set[int] = set()
    received = (
        select(
            ExportProceeds.order_id,
            exact_sum(ExportProceeds.amount).label("received"),
        )
        .group_by(ExportProceeds.order_id)
        .subquery()
    )
    for chunk in in_chunks(sorted(order_ids)):
        rows = session.execute(
            select(SalesOrder.id, SalesOrder.total_amount, received.c.received)
            .outerjoin(received, received.c.order_id == SalesOrder.id)
            .where(among(session, SalesOrder.id, chunk))
        )
        for order_id, total, got in rows:
            if got is None or got < total:
                unpaid.add(order_id)
    return unpaid


def lines_by_firm(lines: Iterable[DeclaredLine]) -> dict[int, list[DeclaredLine]]:
    grouped: dict[int, list[DeclaredLine]] = defaultdict(list)
    for line in lines:
        grouped[line.enterprise_id].append(line)
    return grouped
