"""Export statistics: the monthly summary is rebuilt from the declarations, claims and outside reports, and
reports are sums over it, so a report over millions of declaration lines reads a few thousand cells.

What counts as a declared export: a released 9610 inventory list (the parcel's declaration, which
knows its order and stream) and a cleared full declaration (9710, 9810, 0110, 1039), split over the
orders it declares. 9610 summary declarations re-declare released lists and are not counted again.
FOB is converted at customs' rate of the month (CNY, then USD through the USD rate). A declaration
whose lines fall into several groups of a report counts once in each of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, literal, select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.clusters.models import Enterprise
from commerce.clusters.permissions import actor_clusters, is_firm_scoped
from commerce.customs import calendar
from commerce.db import utcnow
from commerce.reports.models import (
    Dimension,
    ExportStatistic,
    ExportStatisticPeriod,
)
from commerce.reports.statistics import periods_between
from commerce.sql import among, exact_sum

ZERO = Decimal("0")


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
        return exact_sum(value, scale, or_zero=True)

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
