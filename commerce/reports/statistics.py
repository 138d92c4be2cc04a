"""The materialised export summary: a period's figures rebuilt from customs' answers (released
lists, cleared declarations), the outside exports firms report and the rebates claimed and
received, one cell per firm, HS code, mode, country and currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, literal_column, select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.models import Enterprise
from commerce.customs import calendar
from commerce.customs.batch_goods import rates_on
from commerce.customs.errors import ExchangeRateMissing
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsStatus,
    DeclarationKind,
)
from commerce.db import utcnow, write_transaction
from commerce.errors import N_, ValidationFailed
from commerce.orders.models import OrderLine, SalesOrder
from commerce.rebates.arithmetic import fen, share_of
from commerce.rebates.models import ClaimStatus, RebateClaim, RebateClaimLine
from commerce.reports.models import (
    ExportStatistic,
    ExportStatisticPeriod,
    OutsideExport,
)
from commerce.sql import bulk_insert, exact_sum, upsert

ZERO = Decimal("0")
_line = CustomsDeclarationLine.__table__
_declaration = CustomsDeclaration.__table__


MAXIMUM_PERIODS = 120


FIRST_PERIOD = "2000-01"  # periods are months of this century


class PeriodRangeInvalid(ValidationFailed):
    code = "period_range_invalid"
    message = N_("A report runs from a month to the same or a later one, over at most ten years.")


@dataclass
class _Cell:
    lists: int  # released inventory lists, counted by the database
    declarations: set[int]  # full declarations, counted once however many of their lines fall here
    quantity: Decimal
    amounts: dict[str, Decimal]  # FOB by currency
    rebate_claimed: Decimal = ZERO
    rebate_received: Decimal = ZERO


def _new_cell() -> _Cell:
    return _Cell(lists=0, declarations=set(), quantity=ZERO, amounts=defaultdict(lambda: ZERO))


def periods_between(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end``, inclusive."""
    first_year, first_month = calendar.parse_period(start)
    last_year, last_month = calendar.parse_period(end)
    count = (last_year - first_year) * 12 + last_month - first_month + 1
    if count < 1 or count > MAXIMUM_PERIODS:
        raise PeriodRangeInvalid(field="to")
    return [calendar.shift_period(start, months) for months in range(count)]


def _released_lists(session: Session, period: str, cells: dict) -> None:
    """9610 inventory lists released in the month, summed by the database per cell and currency."""
    total = exact_sum(_line.c.total_price, 5)
    quantity = exact_sum(_line.c.quantity, 5)
    # Constants written into the statement, so that the grouped expression and the selected one are the same.
    chapter = func.substr(_line.c.hs_code, literal_column("1"), literal_column("2"))
    cell = (
        Enterprise.cluster_id,
        Enterprise.region_code,
        _declaration.c.owner_enterprise_id,
        _line.c.destination_country,
        chapter,
        _declaration.c.customs_mode,
        SalesOrder.stream_id,
        _line.c.currency,
    )
    statement = (
        select(*cell, func.count(func.distinct(_declaration.c.id)), quantity, total)
        .select_from(
            _line.join(_declaration, _declaration.c.id == _line.c.declaration_id)
            .join(Enterprise, Enterprise.id == _declaration.c.owner_enterprise_id)
            .outerjoin(SalesOrder, SalesOrder.id == _declaration.c.order_id)
        )
        .where(
            _declaration.c.kind == DeclarationKind.INVENTORY_LIST.value,
            _declaration.c.status == CustomsStatus.CLEARED.value,
            _declaration.c.cleared_period == period,
        )
        .group_by(*cell)
    )
    for row in session.execute(statement):
        cell = cells[(row[0], row[1], row[2], row[3], row[4], row[5], row[6], True)]
        cell.lists += row[8]
        cell.quantity += row[9]
        cell.amounts[row[7]] += row[10]


def _full_declarations(session: Session, period: str, cells: dict) -> None:
    """Full declarations cleared in the month, each line split over the order lines it declares."""
    start, end = calendar.period_bounds(period)
    statement = (
        select(
            _line.c.id,
            _declaration.c.id,
            _declaration.c.customs_mode,
            _line.c.destination_country,
            _line.c.hs_code,
            _line.c.currency,
            _line.c.quantity,
            _line.c.total_price,
            CustomsLineSource.quantity,
            OrderLine.enterprise_id,
            SalesOrder.stream_id,
            Enterprise.cluster_id,
            Enterprise.region_code,
        )
        .select_from(
            _line.join(_declaration, _declaration.c.id == _line.c.declaration_id)
            .join(CustomsBatch, CustomsBatch.id == _declaration.c.batch_id)
            .join(CustomsLineSource, CustomsLineSource.declaration_line_id == _line.c.id)
            .join(OrderLine, OrderLine.id == CustomsLineSource.order_line_id)
            .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
            .join(Enterprise, Enterprise.id == OrderLine.enterprise_id)
        )
        .where(
            _declaration.c.kind == DeclarationKind.DECLARATION.value,
            CustomsBatch.kind == BatchKind.DECLARATION.value,
            _declaration.c.status == CustomsStatus.CLEARED.value,
            _declaration.c.cleared_at >= start,
            _declaration.c.cleared_at < end,
        )
        .order_by(_line.c.id, CustomsLineSource.order_line_id)
    )
    taken: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for row in session.execute(statement):
        line_id, declaration_id, mode, country, hs_code, currency, line_quantity, total = row[:8]
        source_quantity, enterprise_id, stream_id, cluster_id, region = row[8:]
        before = taken[line_id]
        taken[line_id] = before + source_quantity
        cell = cells[(cluster_id, region, enterprise_id, country, hs_code[:2], mode, stream_id, True)]
        cell.declarations.add(declaration_id)
        cell.quantity += Decimal(source_quantity)
        cell.amounts[currency] += share_of(total, source_quantity, line_quantity, before=before)


def _outside(session: Session, period: str, cells: dict) -> None:
    rows = session.execute(
        select(OutsideExport, Enterprise.cluster_id, Enterprise.region_code)
        .join(Enterprise, Enterprise.id == OutsideExport.enterprise_id)
        .where(OutsideExport.period == period)
    )
    for report, cluster_id, region in rows:
        chapter = report.hs_code[:2] if report.hs_code else None
        key = (cluster_id, region, report.enterprise_id, report.destination_country, chapter, report.customs_mode)
        cell = cells[(*key, None, False)]
        cell.quantity += Decimal(report.quantity)
        cell.amounts[report.currency] += report.fob_amount


def _rebates(session: Session, period: str, cells: dict) -> None:
    """Rebates claimed on the month's exports (filed claims), and received, spread over the lines by amount."""
    rows = session.execute(
        select(
            RebateClaim.id,
            RebateClaim.amount,
            RebateClaim.refunded,
            RebateClaim.method,
            RebateClaimLine.amount,
            RebateClaimLine.basis,
            Enterprise.cluster_id,
            Enterprise.region_code,
            RebateClaim.enterprise_id,
            _line.c.destination_country,
            _line.c.hs_code,
            _declaration.c.customs_mode,
        )
        .join(RebateClaimLine, RebateClaimLine.claim_id == RebateClaim.id)
        .join(Enterprise, Enterprise.id == RebateClaim.enterprise_id)
        .join(_line, _line.c.id == RebateClaimLine.declaration_line_id)
        .join(_declaration, _declaration.c.id == _line.c.declaration_id)
        .where(RebateClaim.period == period, RebateClaim.status != ClaimStatus.DRAFT.value)
        .order_by(RebateClaim.id, RebateClaimLine.id)
    )
    by_claim: dict[int, list] = defaultdict(list)
    for row in rows:
        by_claim[row[0]].append(row)
    for lines in by_claim.values():
        claim_amount, refunded = lines[0][1], lines[0][2]
        # A claim's amount is its lines' (purchase, agency) or its refund after offsetting (exempt-credit-refund):
        # spread both over the lines in proportion to what each line claims.
        weights = [row[4] for row in lines]
        whole = sum(weights, ZERO)
        claimed_before = received_before = ZERO
        for row, weight in zip(lines, weights, strict=True):
            key = (row[6], row[7], row[8], row[9], row[10][:2], row[11], None, True)
            cell = cells[key]
            if whole > 0:
                cell.rebate_claimed += share_of(claim_amount, weight, whole, before=claimed_before)
                cell.rebate_received += share_of(refunded, weight, whole, before=received_before)
            claimed_before += weight
            received_before += weight


def refresh_period(session: Session, period: str) -> ExportStatisticPeriod:
    """Rebuild one month of the summary in one transaction; readers see the old month until it commits."""
    calendar.parse_period(period)
    cells: dict[tuple, _Cell] = defaultdict(_new_cell)
    with write_transaction(session):
        _released_lists(session, period, cells)
        _full_declarations(session, period, cells)
        _outside(session, period, cells)
        _rebates(session, period, cells)
        month_start = calendar.first_day(period)
        rates = rates_on(session, month_start)
        rows = []
        for key, cell in cells.items():
            fob_cny = ZERO
            for currency, amount in cell.amounts.items():
                if amount == 0:
                    continue
                if currency not in rates or "USD" not in rates:
                    raise ExchangeRateMissing(
                        currency=currency if currency not in rates else "USD", day=month_start.isoformat()
                    )
                fob_cny += amount * rates[currency]
            fob_cny = fen(fob_cny)
            fob_usd = fen(fob_cny / rates["USD"]) if fob_cny else ZERO
            rows.append(
                {
                    "period": period,
                    "cluster_id": key[0],
                    "region_code": key[1],
                    "enterprise_id": key[2],
                    "destination_country": key[3],
                    "hs_chapter": key[4],
                    "customs_mode": key[5],
                    "stream_id": key[6],
                    "local": key[7],
                    "declarations": cell.lists + len(cell.declarations),
                    "quantity": cell.quantity,
                    "fob_cny": fob_cny,
                    "fob_usd": fob_usd,
                    "rebate_claimed": cell.rebate_claimed,
                    "rebate_received": cell.rebate_received,
                }
            )
        session.execute(delete(ExportStatistic).where(ExportStatistic.period == period))
        bulk_insert(session, ExportStatistic.__table__, rows)
        now = utcnow()
        upsert(
            session,
            ExportStatisticPeriod.__table__,
            [{"period": period, "refreshed_at": now, "cells": len(rows)}],
            conflict_columns=["period"],
            update_columns=["refreshed_at", "cells"],
        )
    return ExportStatisticPeriod(period=period, refreshed_at=now, cells=len(rows))


def refresh(session: Session, *, actor: Actor, start: str, end: str) -> list[ExportStatisticPeriod]:
    """Rebuild the summary of a range of months (trade operators)."""
    require_role(actor, Role.TRADE_OPERATOR)
    periods = periods_between(start, end)
    done = [refresh_period(session, period) for period in periods]
    with write_transaction(session):
        audit.record(
            session,
            actor=actor,
            entity="export_statistic",
            entity_id=0,
            action="refreshed",
            changes={"from": start, "to": end},
        )
    return done
