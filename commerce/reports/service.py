"""Export statistics: the monthly summary is rebuilt from the declarations, claims and outside reports, and
reports are sums over it, so a report over millions of declaration lines reads a few thousand cells.

What counts as a declared export: a released 9610 inventory list (the parcel's declaration, which
knows its order and stream) and a cleared full declaration (9710, 9810, 0110, 1039), split over the
orders it declares. 9610 summary declarations re-declare released lists and are not counted again.
FOB is converted at customs' rate of the month (CNY, then USD through the USD rate). A declaration
whose lines fall into several groups of a report counts once in each of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, delete, func, literal, literal_column, select, type_coerce
from sqlmodel import Session

from commerce.accounts.models import Actor, Role
from commerce.audit import service as audit
from commerce.clusters.models import Enterprise
from commerce.customs import calendar
from commerce.customs.errors import ExchangeRateMissing
from commerce.customs.formation import rates_on
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsStatus,
    DeclarationKind,
)
from commerce.db import ExactDecimal, among, bulk_insert, upsert, utcnow, write_transaction
from commerce.errors import N_, NotFound, ValidationFailed
from commerce.orders.models import OrderLine, SalesOrder
from commerce.permissions import (
    actor_clusters,
    is_firm_scoped,
    require_reachable_firm,
    require_role,
    within_reach,
)
from commerce.rebates.arithmetic import fen, require_amount, share_of
from commerce.rebates.models import ClaimStatus, RebateClaim, RebateClaimLine
from commerce.reports.models import (
    Dimension,
    ExportStatistic,
    ExportStatisticPeriod,
    OutsideExport,
    OutsideExportInput,
)

ZERO = Decimal("0")
MAXIMUM_PERIODS = 120
FIRST_PERIOD = "2000-01"  # periods are months of this century
_line = CustomsDeclarationLine.__table__
_declaration = CustomsDeclaration.__table__

# The summary's column of each dimension, and the key a report row names it by.
COLUMNS = {
    Dimension.CLUSTER: ("cluster_id", "cluster_id"),
    Dimension.REGION: ("region_code", "region"),
    Dimension.ENTERPRISE: ("enterprise_id", "enterprise_id"),
    Dimension.COUNTRY: ("destination_country", "country"),
    Dimension.HS_CHAPTER: ("hs_chapter", "hs_chapter"),
    Dimension.CUSTOMS_MODE: ("customs_mode", "customs_mode"),
    Dimension.STREAM: ("stream_id", "stream_id"),
    Dimension.MONTH: ("period", "month"),
}
MEASURES = ("declarations", "quantity", "fob_cny", "fob_usd", "outside_fob_cny", "rebate_claimed", "rebate_received")


class PeriodRangeInvalid(ValidationFailed):
    code = "period_range_invalid"
    message = N_("A report runs from a month to the same or a later one, over at most ten years.")


class OutsideCurrencyUnrated(ValidationFailed):
    code = "exchange_rate_missing"
    message = N_("There is no customs exchange rate for {currency} in {period}; add it before reporting in it.")


# Rebuilding the summary ---------------------------------------------------------------------------


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
    total = type_coerce(func.sum(_line.c.total_price), ExactDecimal(5))
    quantity = type_coerce(func.sum(_line.c.quantity), ExactDecimal(5))
    # Constants written into the statement, so that the grouped expression and the selected one are the same.
    chapter = func.substr(_line.c.hs_code, literal_column("1"), literal_column("2"))
    statement = (
        select(
            Enterprise.cluster_id,
            Enterprise.region_code,
            _declaration.c.owner_enterprise_id,
            _line.c.destination_country,
            chapter,
            _declaration.c.customs_mode,
            SalesOrder.stream_id,
            _line.c.currency,
            func.count(func.distinct(_declaration.c.id)),
            quantity,
            total,
        )
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
        .group_by(
            Enterprise.cluster_id,
            Enterprise.region_code,
            _declaration.c.owner_enterprise_id,
            _line.c.destination_country,
            chapter,
            _declaration.c.customs_mode,
            SalesOrder.stream_id,
            _line.c.currency,
        )
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


# Outside exports ----------------------------------------------------------------------------------


def report_outside_export(session: Session, *, actor: Actor, data: OutsideExportInput) -> OutsideExport:
    """A firm reports exports declared by an outside agent; the month's summary is rebuilt with them."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    require_amount(data.fob.amount, field="fob")
    with write_transaction(session):
        require_reachable_firm(session, actor, data.enterprise_id)
        enterprise = session.get(Enterprise, data.enterprise_id)
        if enterprise is None:
            raise NotFound()
        rates = rates_on(session, calendar.first_day(data.period))
        for currency in (data.fob.currency, "USD"):
            if currency not in rates:
                raise OutsideCurrencyUnrated(field="fob", currency=currency, period=data.period)
        record = OutsideExport(
            enterprise_id=enterprise.id,
            period=data.period,
            destination_country=data.destination_country,
            hs_code=data.hs_code,
            customs_mode=data.customs_mode.value if data.customs_mode else None,
            quantity=data.quantity,
            fob_amount=data.fob.amount,
            currency=data.fob.currency,
            agent_name=data.agent_name,
            reported_by=actor.user_id,
        )
        session.add(record)
        session.flush()
        audit.record(
            session,
            actor=actor,
            entity="outside_export",
            entity_id=record.id,
            action="reported",
            changes={"period": data.period, "fob": f"{data.fob.amount:f} {data.fob.currency}"},
        )
        refresh_period(session, data.period)
    return record


def withdraw_outside_export(session: Session, *, actor: Actor, outside_export_id: int) -> None:
    """Take back an outside export reported by mistake; its month's summary is rebuilt without it."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    with write_transaction(session):
        record = session.get(OutsideExport, outside_export_id)
        if record is None:
            raise NotFound()
        require_reachable_firm(session, actor, record.enterprise_id)
        period = record.period
        audit.record(
            session,
            actor=actor,
            entity="outside_export",
            entity_id=record.id,
            action="withdrawn",
            changes={"period": period, "fob": f"{record.fob_amount:f} {record.currency}", "agent": record.agent_name},
        )
        session.delete(record)
        session.flush()
        refresh_period(session, period)


def list_outside_exports(session: Session, *, actor: Actor, period: str | None) -> list[OutsideExport]:
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    statement = within_reach(select(OutsideExport), actor, OutsideExport.enterprise_id).order_by(OutsideExport.id)
    if period is not None:
        statement = statement.where(OutsideExport.period == period)
    return list(session.scalars(statement.limit(5000)))


# Reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    group_by: list[Dimension]
    rows: list[dict]
    local_share: Decimal | None
    totals: dict
    refreshed_at: datetime | None
    stale_periods: list[str]


def _scope(session: Session, actor: Actor) -> list:
    """What the actor may see: a firm its own exports, the association and the platform their cluster's."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    if is_firm_scoped(actor):
        return [ExportStatistic.enterprise_id == actor.enterprise_id]
    clusters = actor_clusters(actor)
    return [] if clusters is None else [ExportStatistic.cluster_id == session.scalar(clusters)]


def export_report(
    session: Session,
    *,
    actor: Actor,
    group_by: list[Dimension],
    start: str,
    end: str,
    cluster_id: int | None = None,
    enterprise_id: int | None = None,
    customs_mode: str | None = None,
) -> Report:
    """Sums of the summary over a range of months, grouped by the chosen dimensions, with the local share."""
    conditions = [*_scope(session, actor), ExportStatistic.period >= start, ExportStatistic.period <= end]
    periods = periods_between(start, end)
    if cluster_id is not None:
        conditions.append(ExportStatistic.cluster_id == cluster_id)
    if enterprise_id is not None:
        conditions.append(ExportStatistic.enterprise_id == enterprise_id)
    if customs_mode is not None:
        conditions.append(ExportStatistic.customs_mode == customs_mode)
    keys = [getattr(ExportStatistic, COLUMNS[dimension][0]) for dimension in group_by]
    local = ExportStatistic.local

    def total(column, scale, where=None):
        value = column if where is None else case((where, column), else_=literal(0))
        return type_coerce(func.coalesce(func.sum(value), 0), ExactDecimal(scale))

    measures = [
        func.coalesce(func.sum(ExportStatistic.declarations), 0),
        total(ExportStatistic.quantity, 5, local),
        total(ExportStatistic.fob_cny, 2, local),
        total(ExportStatistic.fob_usd, 2, local),
        total(ExportStatistic.fob_cny, 2, ~local),
        total(ExportStatistic.rebate_claimed, 2),
        total(ExportStatistic.rebate_received, 2),
    ]
    statement = select(*keys, *measures).where(*conditions)
    if keys:
        statement = statement.group_by(*keys).order_by(*[key.asc().nulls_first() for key in keys])
    rows = []
    sums = dict.fromkeys(MEASURES, ZERO)
    for row in session.execute(statement):
        values = dict(zip(MEASURES, row[len(keys) :], strict=True))
        if not keys and not any(values.values()):
            continue
        record = {COLUMNS[dimension][1]: value for dimension, value in zip(group_by, row[: len(keys)], strict=True)}
        record.update(values)
        record["local_share"] = _share(values["fob_cny"], values["outside_fob_cny"])
        rows.append(record)
        for name in MEASURES:
            sums[name] += values[name]
    if Dimension.ENTERPRISE in group_by and rows:
        names = dict(
            session.execute(
                select(Enterprise.id, Enterprise.name).where(
                    among(session, Enterprise.id, sorted({row["enterprise_id"] for row in rows}))
                )
            ).all()
        )
        for row in rows:
            row["enterprise_name"] = names.get(row["enterprise_id"])
    refreshed = {
        period: moment
        for period, moment in session.execute(
            select(ExportStatisticPeriod.period, ExportStatisticPeriod.refreshed_at).where(
                ExportStatisticPeriod.period >= start, ExportStatisticPeriod.period <= end
            )
        )
    }
    return Report(
        group_by=group_by,
        rows=rows,
        local_share=_share(sums["fob_cny"], sums["outside_fob_cny"]),
        totals=sums,
        refreshed_at=min(refreshed.values()) if refreshed else None,
        stale_periods=[period for period in periods if period not in refreshed],
    )


def _share(local: Decimal, outside: Decimal) -> Decimal | None:
    whole = local + outside
    if whole == 0:
        return None
    return (local / whole).quantize(Decimal("0.0001"))


def recent_periods(now: datetime | None = None, months: int = 2) -> list[str]:
    """This month and the ones before it, for the scheduled refresh."""
    current = calendar.period_of(now or utcnow())
    return [calendar.shift_period(current, -back) for back in range(months)]
