"""HTTP edge of export statistics: the report (JSON, CSV or XLSX), rebuilding the summary, outside exports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from commerce.customs.calendar import shift_period
from commerce.errors import N_, ValidationFailed
from commerce.orders.figures import refund_rate
from commerce.orders.models import CustomsMode
from commerce.reports import export_files, outside, sales, service, statistics
from commerce.reports.models import (
    Dimension,
    OutsideExportInput,
    OutsideExportPublic,
    Period,
    Refreshed,
    RefreshedPeriod,
    RefreshRequest,
    ReportFormatName,
)
from commerce.validation import Identifier, Money, decimal_text, money_json
from commerce.web import formatting
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.openapi import api_blueprint, inline_schema
from commerce.web.responses import respond, respond_json

bp = api_blueprint(
    "reports", __name__, tag="Reports", description="The cluster's export statistics and the local share"
)

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class UnknownDimension(ValidationFailed):
    code = "unknown_dimension"
    message = N_("Group by any of cluster, region, enterprise, country, hs_chapter, customs_mode, stream and month.")


class ReportQuery(BaseModel):
    group_by: str = Field(default="month", description="Comma-separated: " + ", ".join(d.value for d in Dimension))
    start: Period = Field(alias="from")
    end: Period = Field(alias="to")
    cluster_id: Identifier | None = None
    enterprise_id: Identifier | None = None
    customs_mode: CustomsMode | None = None
    format: ReportFormatName = "json"

    @field_validator("group_by")
    @classmethod
    def _known(cls, value: str) -> str:
        names = [name.strip() for name in value.split(",") if name.strip()]
        if len(set(names)) != len(names) or any(name not in Dimension.__members__.values() for name in names):
            raise ValueError(UnknownDimension.message)
        return ",".join(names)

    def dimensions(self) -> list[Dimension]:
        return [Dimension(name) for name in self.group_by.split(",") if name]


class OutsidePath(BaseModel):
    outside_export_id: Identifier


class OutsideQuery(BaseModel):
    period: Period | None = None


class OutsideList(BaseModel):
    items: list[OutsideExportPublic]


class ReportRow(BaseModel, extra="allow"):
    declarations: int
    quantity: str
    fob_cny: Money
    fob_usd: Money
    outside_fob_cny: Money
    rebate_claimed: Money
    rebate_received: Money
    local_share: str | None


class ReportPublic(BaseModel):
    group_by: list[Dimension]
    rows: list[ReportRow]
    totals: ReportRow
    local_share: str | None = Field(description="Value declared with the local platform as consignor over all known")
    refreshed_at: datetime | None
    stale_periods: list[str] = Field(description="Months of the range the summary has not been built for yet")


def _row(values: dict) -> dict:
    shown = {}
    for name, value in values.items():
        if name in ("fob_cny", "outside_fob_cny", "rebate_claimed", "rebate_received"):
            shown[name] = money_json(value, "CNY")
        elif name == "fob_usd":
            shown[name] = money_json(value, "USD")
        elif name == "quantity":
            shown[name] = export_files.plain_number(value)
        elif name == "local_share":
            shown[name] = None if value is None else decimal_text(value)
        elif name == "declarations":
            shown[name] = int(value)
        else:
            shown[name] = value
    return shown


@bp.get(
    "/reports/exports",
    responses={
        200: {
            "description": "The report; as CSV or XLSX with ?format=",
            "content": {
                "application/json": {"schema": inline_schema(ReportPublic)},
                MIMETYPES["csv"]: {"schema": {"type": "string"}},
                MIMETYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def export_report(query: ReportQuery):
    """Exports grouped by any of the dimensions over a range of months: declarations, quantity, FOB in CNY and
    USD at customs' rate, rebates claimed and received, and the local share."""
    report = service.export_report(
        db_session(),
        actor=current_actor(),
        group_by=query.dimensions(),
        start=query.start,
        end=query.end,
        cluster_id=query.cluster_id,
        enterprise_id=query.enterprise_id,
        customs_mode=query.customs_mode.value if query.customs_mode else None,
    )
    if query.format in MIMETYPES:
        body = export_files.report_csv(report) if query.format == "csv" else export_files.report_xlsx(report)
        filename = f"exports-{query.start}-{query.end}.{query.format}"
        return Response(
            body,
            mimetype=MIMETYPES[query.format],
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return respond_json(
        {
            "group_by": [dimension.value for dimension in report.group_by],
            "rows": [_row(row) for row in report.rows],
            "totals": _row({**report.totals, "local_share": report.local_share}),
            "local_share": None if report.local_share is None else decimal_text(report.local_share),
            "refreshed_at": report.refreshed_at.isoformat() if report.refreshed_at else None,
            "stale_periods": report.stale_periods,
        }
    )


@bp.post("/reports/exports/refresh", responses={200: Refreshed})
def refresh_report(body: RefreshRequest):
    """Rebuild the summary of a range of months now (it is also rebuilt on schedule)."""
    done = statistics.refresh(db_session(), actor=current_actor(), start=body.start, end=body.end)
    return respond(
        Refreshed(
            items=[
                RefreshedPeriod(period=item.period, cells=item.cells, refreshed_at=item.refreshed_at) for item in done
            ]
        )
    )


def _outside_public(record) -> OutsideExportPublic:
    return OutsideExportPublic(
        id=record.id,
        enterprise_id=record.enterprise_id,
        period=record.period,
        fob=Money.of(record.fob_amount, record.currency),
        agent_name=record.agent_name,
        destination_country=record.destination_country,
        hs_code=record.hs_code,
        customs_mode=record.customs_mode,
        quantity=record.quantity,
    )


@bp.post("/reports/outside-exports", responses={201: OutsideExportPublic})
def report_outside_export(body: OutsideExportInput):
    """Report exports a firm made through an outside agent: they count in the local share's denominator."""
    record = outside.report_outside_export(db_session(), actor=current_actor(), data=body)
    return respond(_outside_public(record), 201)


@bp.delete("/reports/outside-exports/<int:outside_export_id>", responses={204: None})
def withdraw_outside_export(path: OutsidePath):
    """Take back an outside export reported by mistake (the firm's staff, the association, trade operators)."""
    outside.withdraw_outside_export(db_session(), actor=current_actor(), outside_export_id=path.outside_export_id)
    return Response(status=204)


@bp.get("/reports/outside-exports", responses={200: OutsideList})
def list_outside_exports(query: OutsideQuery):
    """Exports reported as made through outside agents (a firm sees its own)."""
    found = outside.list_outside_exports(db_session(), actor=current_actor(), period=query.period)
    return respond(OutsideList(items=[_outside_public(record) for record in found]))


# The dashboard ------------------------------------------------------------------------------------

CHART_BARS = 10


class DashboardQuery(BaseModel):
    start: Period | None = Field(default=None, alias="from")
    end: Period | None = Field(default=None, alias="to")


class Figure(BaseModel):
    value: str | None
    text: str


class Bar(BaseModel):
    key: str | None
    label: str
    value: str
    text: str


class DashboardPublic(BaseModel):
    start: str = Field(alias="from")
    end: str = Field(alias="to")
    range_text: str
    headline: dict[str, Figure]
    charts: dict[str, list[Bar]]
    refreshed_at: Figure | None
    stale_periods: list[str]


def _bars(report: service.Report, key: str, label, *, limit: int | None = CHART_BARS) -> list[dict]:
    rows = sorted(report.rows, key=lambda row: row["fob_usd"], reverse=True) if limit else report.rows
    bars = [
        {
            "key": None if row[key] is None else str(row[key]),
            "label": label(row),
            "value": decimal_text(row["fob_usd"]),
            "text": formatting.money(row["fob_usd"], "USD"),
        }
        for row in rows
        if row["fob_usd"] or not limit
    ]
    if limit and len(bars) > limit:
        rest = sum((row["fob_usd"] for row in rows[limit:]), Decimal("0"))
        bars = bars[:limit] + [
            {"key": None, "label": "…", "value": decimal_text(rest), "text": formatting.money(rest, "USD")}
        ]
    return bars


@bp.get("/reports/dashboard", responses={200: DashboardPublic})
def dashboard(query: DashboardQuery):
    """The cluster's exports for the dashboard: headline figures and chart series, formatted in the caller's
    language (months, countries, money, percentages)."""
    end = query.end or service.recent_periods(months=1)[0]
    start = query.start or max(shift_period(end, -11), statistics.FIRST_PERIOD)
    session = db_session()
    actor = current_actor()

    def run(*dimensions):
        return service.export_report(session, actor=actor, group_by=list(dimensions), start=start, end=end)

    # The months' report sums the whole range too: its totals are the headline.
    by_month = totals = run(Dimension.MONTH)
    amounts = {row["month"]: row for row in by_month.rows}
    months = []
    for period in statistics.periods_between(start, end):
        fob = amounts[period]["fob_usd"] if period in amounts else Decimal("0")
        months.append(
            {
                "key": period,
                "label": formatting.month(period),
                "value": decimal_text(fob),
                "text": formatting.money(fob, "USD"),
            }
        )
    sums = totals.totals
    pending = sums["rebate_claimed"] - sums["rebate_received"]
    share = totals.local_share
    body = {
        "from": start,
        "to": end,
        "range_text": f"{formatting.month(start)} – {formatting.month(end)}",
        "headline": {
            "fob_usd": {"value": decimal_text(sums["fob_usd"]), "text": formatting.money(sums["fob_usd"], "USD")},
            "fob_cny": {"value": decimal_text(sums["fob_cny"]), "text": formatting.money(sums["fob_cny"], "CNY")},
            "declarations": {"value": str(int(sums["declarations"])), "text": formatting.number(sums["declarations"])},
            "local_share": {
                "value": None if share is None else decimal_text(share),
                "text": "–" if share is None else formatting.percent(share),
            },
            "rebates_claimed": {
                "value": decimal_text(sums["rebate_claimed"]),
                "text": formatting.money(sums["rebate_claimed"], "CNY"),
            },
            "rebates_pending": {"value": decimal_text(pending), "text": formatting.money(pending, "CNY")},
        },
        "charts": {
            "month": months,
            "country": _bars(run(Dimension.COUNTRY), "country", lambda row: formatting.country(row["country"]) or "–"),
            "hs_chapter": _bars(run(Dimension.HS_CHAPTER), "hs_chapter", lambda row: row["hs_chapter"] or "–"),
            "enterprise": _bars(
                run(Dimension.ENTERPRISE), "enterprise_id", lambda row: row.get("enterprise_name") or "–"
            ),
        },
        "refreshed_at": None
        if totals.refreshed_at is None
        else {"value": totals.refreshed_at.isoformat(), "text": formatting.moment(totals.refreshed_at)},
        "stale_periods": totals.stale_periods,
    }
    return respond_json(body)


class SalesQuery(BaseModel):
    start: Period = Field(alias="from")
    end: Period = Field(alias="to")


class SalesRow(BaseModel):
    key: int | None = Field(description="The firm's or the host's id; none for the total")
    name: str
    currency: str
    orders: int
    gross: Money = Field(description="What the order lines not cancelled sold")
    refunds: Money = Field(description="What their after-sales paid back")
    net: Money
    refund_rate: str = Field(description="Refunds over gross, a fraction with 4 decimals")


class SalesPublic(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True)

    start: str = Field(alias="from")
    end: str = Field(alias="to")
    totals: list[SalesRow]
    firms: list[SalesRow]
    hosts: list[SalesRow]


def _sales_row(figures: sales.SalesFigures) -> SalesRow:
    return SalesRow(
        key=figures.key,
        name=figures.name,
        currency=figures.currency,
        orders=figures.orders,
        gross=Money.of(figures.gross, figures.currency),
        refunds=Money.of(figures.refunds, figures.currency),
        net=Money.of(figures.net, figures.currency),
        refund_rate=refund_rate(figures.refunds, figures.gross),
    )


@bp.get("/reports/sales", responses={200: SalesPublic})
def sales_report(query: SalesQuery):
    """Gross, refunds, net and the refund rate of the orders placed over a range of months: in total,
    per firm and per host, in each order's currency."""
    report = sales.sales_report(db_session(), actor=current_actor(), start=query.start, end=query.end)
    body = {
        "from": report.start,
        "to": report.end,
        **{name: [_sales_row(row) for row in getattr(report, name)] for name in ("totals", "firms", "hosts")},
    }
    return respond(SalesPublic.model_validate(body))
