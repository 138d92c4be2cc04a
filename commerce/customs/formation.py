"""Forming batches: taking the eligible orders or cleared lists once, and writing their declarations.

Orders are taken by inserting them into ``customs_batch_order`` (its primary key is the order),
with conflicts skipped: two formations running at once never take the same order. A 9610
summary takes a stretch of the month's cleared lists, numbered in the order their clearance
was recorded; the stretch is claimed under a lock on the platform row and a unique index.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import and_, exists, func, literal, not_, select, update
from sqlmodel import Session

from commerce.catalog.models import Product, ProductTranslation, Sku
from commerce.clusters.models import Enterprise
from commerce.customs import calendar, consolidation
from commerce.customs.codes import UnmappedCode, customs_code, legal_quantity, trade_unit
from commerce.customs.consolidation import Goods, HeaderKey, LineKey, PlannedDeclaration
from commerce.customs.errors import ExchangeRateMissing, UnmappedCustomsCode
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsExchangeRate,
    CustomsLineSource,
    CustomsPlatform,
    CustomsStatus,
    DeclarationKind,
)
from commerce.db import bulk_insert, dialect_insert, dialect_of, in_byte_order
from commerce.orders.models import CustomsMode, OrderLine, OrderStatus, SalesOrder

_batch_order = CustomsBatchOrder.__table__
_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_source = CustomsLineSource.__table__
SIMPLIFIED_MODES = {CustomsMode.CROSS_BORDER_B2B_DIRECT.value, CustomsMode.CROSS_BORDER_B2B_WAREHOUSE.value}
RATED_MODES = SIMPLIFIED_MODES | {CustomsMode.MARKET_PROCUREMENT.value}


@dataclass(slots=True)
class OrderGoods:
    """One order line as customs sees it, with the order and firm facts the declaration needs."""

    goods: Goods
    order_id: int
    order_no: str
    logistics_code: str | None
    logistics_no: str | None
    trade_terms: str
    enterprise_id: int
    owner_name: str
    source_region: str
    item_no: str
    bar_code: str | None
    weight_kg: Decimal
    value_cny: Decimal | None


@dataclass(frozen=True, slots=True)
class Consignor:
    code: str
    name: str
    declaring_customs: str
    default_port: str
    default_traf_mode: str


def consignor_of(session: Session, platform: CustomsPlatform) -> Consignor:
    enterprise = session.get(Enterprise, platform.enterprise_id)
    return Consignor(
        code=platform.customs_registration,
        name=enterprise.name,
        declaring_customs=platform.declaring_customs,
        default_port=platform.exit_ports[0],
        default_traf_mode=platform.transport_modes[0],
    )


def rates_on(session: Session, day: date) -> dict[str, Decimal]:
    """Customs' rate of each currency (CNY for one unit) in force on a day.

    Customs publishes a rate a month: one set before the day's month began is an old month's rate,
    so it is not used, and the currency counts as having no rate (an explicit error where needed).
    """
    latest = (
        select(CustomsExchangeRate.currency, func.max(CustomsExchangeRate.valid_from).label("valid_from"))
        .where(CustomsExchangeRate.valid_from <= day, CustomsExchangeRate.valid_from >= day.replace(day=1))
        .group_by(CustomsExchangeRate.currency)
        .subquery()
    )
    rows = session.execute(
        select(CustomsExchangeRate.currency, CustomsExchangeRate.cny_per_unit).join(
            latest,
            and_(
                latest.c.currency == CustomsExchangeRate.currency,
                latest.c.valid_from == CustomsExchangeRate.valid_from,
            ),
        )
    )
    rates = {currency: rate for currency, rate in rows}
    rates["CNY"] = Decimal("1")
    return rates


def claim_orders(
    session: Session, *, batch_id: int, platform: CustomsPlatform, customs_mode: str, period: str | None
) -> None:
    """Put the eligible orders no batch holds into this batch: shipped export orders of the mode, all
    of whose lines are the cluster's firms' goods (of the period, when one is named)."""
    order = SalesOrder.__table__
    line = OrderLine.__table__
    outside = (
        select(literal(1))
        .select_from(line.join(Enterprise, Enterprise.id == line.c.enterprise_id))
        .where(line.c.order_id == order.c.id, Enterprise.cluster_id != platform.cluster_id)
    )
    conditions = [
        order.c.customs_mode == customs_mode,
        order.c.status == OrderStatus.SHIPPED.value,
        ~exists(select(literal(1)).where(_batch_order.c.order_id == order.c.id)),
        exists(select(literal(1)).where(line.c.order_id == order.c.id)),
        not_(exists(outside)),
    ]
    if period is not None:
        start, end = calendar.period_bounds(period)
        conditions += [order.c.shipped_at >= start, order.c.shipped_at < end]
    chosen = select(order.c.id, literal(batch_id)).where(*conditions)
    statement = dialect_insert(dialect_of(session), _batch_order).from_select(["order_id", "batch_id"], chosen)
    session.execute(statement.on_conflict_do_nothing())


def order_goods(
    session: Session, *, batch_id: int, consignor: Consignor, rates: dict[str, Decimal] | None, rate_day: date
) -> list[OrderGoods]:
    """The goods of the batch's orders, each line with its header and line keys."""
    order = SalesOrder.__table__
    line = OrderLine.__table__
    title = ProductTranslation.__table__
    statement = (
        select(
            order.c.id.label("order_id"),
            order.c.external_id,
            order.c.currency,
            order.c.destination_country,
            order.c.arrival_country,
            order.c.exit_port,
            order.c.traf_mode,
            order.c.trade_terms,
            order.c.waybill_no,
            order.c.logistics_code,
            line.c.id.label("line_id"),
            line.c.quantity,
            line.c.unit_price,
            Sku.id.label("sku_id"),
            Sku.sku_code,
            Sku.barcode,
            Sku.weight_kg,
            Product.hs_code,
            Product.declaration_elements,
            Product.legal_unit,
            Product.second_legal_unit,
            Enterprise.id.label("enterprise_id"),
            Enterprise.uscc,
            Enterprise.name.label("enterprise_name"),
            Enterprise.region_code,
            title.c.title,
        )
        .select_from(
            _batch_order.join(order, order.c.id == _batch_order.c.order_id)
            .join(line, line.c.order_id == order.c.id)
            .join(Sku, Sku.id == line.c.sku_id)
            .join(Product, Product.id == line.c.product_id)
            .join(Enterprise, Enterprise.id == line.c.enterprise_id)
            .outerjoin(title, and_(title.c.product_id == Product.id, title.c.locale == "zh-CN"))
        )
        .where(_batch_order.c.batch_id == batch_id)
        .order_by(order.c.id, line.c.id)
    )
    result = []
    for row in session.execute(statement):
        total = row.unit_price * row.quantity
        value_cny = value_usd = None
        if rates is not None:
            value_cny, value_usd = _values(row.currency, total, rates, rate_day)
        _check_codes(row)
        weight = row.weight_kg * row.quantity
        goods = Goods(
            header=HeaderKey(
                consignor_code=consignor.code,
                traf_mode=row.traf_mode or consignor.default_traf_mode,
                owner_code=row.uscc,
                arrival_country=row.arrival_country or row.destination_country,
                exit_port=row.exit_port or consignor.default_port,
            ),
            line=LineKey(destination_country=row.destination_country, hs_code=row.hs_code, currency=row.currency),
            goods_name=(row.title or row.hs_code)[:200],
            goods_model=row.declaration_elements,
            unit=trade_unit(row.legal_unit),
            legal_unit=row.legal_unit,
            second_legal_unit=row.second_legal_unit,
            quantity=Decimal(row.quantity),
            legal_quantity=legal_quantity(row.legal_unit, row.quantity, row.weight_kg),
            second_legal_quantity=legal_quantity(row.second_legal_unit, row.quantity, row.weight_kg)
            if row.second_legal_unit
            else None,
            total_price=total,
            value_cny=value_cny or Decimal("0"),
            value_usd=value_usd or Decimal("0"),
            weight_kg=weight,
            sources=[(row.line_id, row.quantity)],
        )
        result.append(
            OrderGoods(
                goods=goods,
                order_id=row.order_id,
                order_no=row.external_id,
                logistics_code=row.logistics_code,
                logistics_no=row.waybill_no,
                trade_terms=row.trade_terms or "FOB",
                enterprise_id=row.enterprise_id,
                owner_name=row.enterprise_name,
                source_region=row.region_code,
                item_no=item_number(row.sku_id, row.sku_code),
                bar_code=row.barcode,
                weight_kg=weight,
                value_cny=value_cny,
            )
        )
    return result


def _values(currency: str, total: Decimal, rates: dict[str, Decimal], day: date) -> tuple[Decimal, Decimal]:
    if currency not in rates or "USD" not in rates:
        missing = currency if currency not in rates else "USD"
        raise ExchangeRateMissing(currency=missing, day=day.isoformat())
    cny = (total * rates[currency]).quantize(Decimal("0.0001"))
    return cny, (cny / rates["USD"]).quantize(Decimal("0.0001"))


# Customs' item number of a list line holds at most this many characters (export.xsd, itemNo).
ITEM_NUMBER_LENGTH = 20


def item_number(sku_id: int, sku_code: str) -> str:
    """The goods' item number on a list: the firm's SKU code, or the SKU's number here where the code is
    longer than customs takes (a code is never cut: two cut codes could read the same)."""
    return sku_code if len(sku_code) <= ITEM_NUMBER_LENGTH else f"SKU{sku_id}"


def _check_codes(row: Any) -> None:
    try:
        customs_code("currency", row.currency)
        customs_code("country", row.destination_country)
        customs_code("country", row.arrival_country or row.destination_country)
        customs_code("unit", row.legal_unit)
        if row.second_legal_unit:
            customs_code("unit", row.second_legal_unit)
    except UnmappedCode as error:
        raise UnmappedCustomsCode(order=row.external_id, value=error.value, table=error.table) from None


@dataclass(slots=True)
class Writer:
    """Writes a batch's declarations and lines in a few bulk statements (one set per flush)."""

    session: Session
    batch: CustomsBatch
    consignor: Consignor
    declarations: list[dict[str, Any]]
    lines: list[list[dict[str, Any]]]
    sources: list[list[list[tuple[int, int]]]]
    written: int = 0

    @classmethod
    def start(cls, session: Session, batch: CustomsBatch, consignor: Consignor) -> Writer:
        return cls(session, batch, consignor, [], [], [])

    @property
    def pending(self) -> int:
        """Declarations added and not yet written."""
        return len(self.declarations)

    def add(
        self,
        *,
        kind: DeclarationKind,
        header: HeaderKey,
        lines: Sequence[dict[str, Any]],
        sources: Sequence[list[tuple[int, int]]] | None = None,
        **fields: Any,
    ) -> None:
        seq_no = self.written + len(self.declarations) + 1
        self.declarations.append(
            {
                "batch_id": self.batch.id,
                "platform_id": self.batch.platform_id,
                "kind": kind.value,
                "seq_no": seq_no,
                "cop_no": f"{self.batch.customs_mode}-{self.batch.id:08d}-{seq_no:06d}",
                "customs_mode": self.batch.customs_mode,
                "status": CustomsStatus.DRAFT.value,
                "consignor_code": self.consignor.code,
                "consignor_name": self.consignor.name,
                "declaring_customs": self.consignor.declaring_customs,
                "exit_port": header.exit_port,
                "traf_mode": header.traf_mode,
                "owner_code": header.owner_code,
                "arrival_country": header.arrival_country,
                "created_at": self.batch.created_at,
                **fields,
            }
        )
        self.lines.append(list(lines))
        self.sources.append(list(sources or []))

    def flush(self) -> int:
        """Insert everything added since the last flush; returns how many declarations are written in all."""
        if not self.declarations:
            return self.written
        columns = _declaration_defaults()
        rows = [{**columns, **row} for row in self.declarations]
        ids = bulk_insert(self.session, _declaration, rows, returning_ids=True)
        line_rows = []
        for declaration_id, lines in zip(ids, self.lines, strict=True):
            for number, line in enumerate(lines, start=1):
                line_rows.append({**_LINE_DEFAULTS, **line, "declaration_id": declaration_id, "line_no": number})
        wants_sources = any(sources for sources in self.sources)
        line_ids = bulk_insert(self.session, _line, line_rows, returning_ids=wants_sources)
        if wants_sources:
            flat_sources = [line_sources for sources in self.sources for line_sources in sources]
            source_rows = [
                {"declaration_line_id": line_id, "order_line_id": order_line_id, "quantity": pieces}
                for line_id, line_sources in zip(line_ids, flat_sources, strict=True)
                for order_line_id, pieces in _merged_sources(line_sources)
            ]
            bulk_insert(self.session, _source, source_rows)
        self.written += len(ids)
        self.declarations, self.lines, self.sources = [], [], []
        return self.written


def _merged_sources(sources: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """One source row per order line, its pieces added up (an order line cut across loads appears once per load)."""
    pieces: dict[int, int] = defaultdict(int)
    for order_line_id, count in sources:
        pieces[order_line_id] += count
    return sorted(pieces.items())


def _declaration_defaults() -> dict[str, Any]:
    return {
        "entry_id": None,
        "customs_note": None,
        "owner_enterprise_id": None,
        "owner_name": "",
        "source_region": "",
        "trade_terms": "FOB",
        "order_id": None,
        "order_no": None,
        "logistics_code": None,
        "logistics_no": None,
        "value_cny": None,
        "value_usd": None,
        "gross_weight_kg": Decimal("0"),
        "simplified_eligible": False,
        "rebate_eligible": True,
        "clearance_no": None,
        "cleared_period": None,
        "submitted_at": None,
        "accepted_at": None,
        "cleared_at": None,
    }


_LINE_DEFAULTS = {"item_no": None, "bar_code": None, "order_line_id": None, "chapter_group": None}


def line_row(goods: Goods) -> dict[str, Any]:
    return {
        "hs_code": goods.line.hs_code,
        "goods_name": goods.goods_name,
        "goods_model": goods.goods_model,
        "destination_country": goods.line.destination_country,
        "currency": goods.line.currency,
        "unit": goods.unit,
        "legal_unit": goods.legal_unit,
        "second_legal_unit": goods.second_legal_unit,
        "quantity": goods.quantity,
        "legal_quantity": goods.legal_quantity,
        "second_legal_quantity": goods.second_legal_quantity,
        "total_price": goods.total_price,
        "gross_weight_kg": goods.weight_kg.quantize(Decimal("0.001")),
        "chapter_group": goods.chapter_group,
    }


def write_inventory_lists(writer: Writer, goods: Sequence[OrderGoods]) -> None:
    """9610: one inventory list per order and producing firm, its lines the order's lines of that firm."""
    by_parcel: dict[tuple[int, int], list[OrderGoods]] = defaultdict(list)
    for item in goods:
        by_parcel[(item.order_id, item.enterprise_id)].append(item)
    for (order_id, enterprise_id), items in by_parcel.items():
        first = items[0]
        writer.add(
            kind=DeclarationKind.INVENTORY_LIST,
            header=first.goods.header,
            lines=[
                {
                    **line_row(item.goods),
                    "item_no": item.item_no,
                    "bar_code": item.bar_code,
                    "order_line_id": item.goods.sources[0][0],
                }
                for item in items
            ],
            owner_enterprise_id=enterprise_id,
            owner_name=first.owner_name,
            source_region=first.source_region,
            order_id=order_id,
            order_no=first.order_no,
            logistics_code=first.logistics_code,
            logistics_no=first.logistics_no,
            gross_weight_kg=sum((item.weight_kg for item in items), Decimal("0")),
        )


def _owners(goods: Sequence[OrderGoods]) -> dict[str, OrderGoods]:
    return {item.goods.header.owner_code: item for item in goods}


def write_declarations(
    writer: Writer, goods: Sequence[OrderGoods], platform: CustomsPlatform, rates: dict[str, Decimal] | None
) -> None:
    """9710, 9810, 0110: full declarations, merged by the header and line rules and split at the line limit."""
    owners = _owners(goods)
    weights = {line_id: item.weight_kg for item in goods for line_id, _ in item.goods.sources}
    terms = _single_terms(goods)
    for planned in consolidation.consolidate((item.goods for item in goods), line_limit=platform.line_limit):
        owner = owners[planned.header.owner_code]
        value_cny = value_usd = None
        simplified = False
        if rates is not None:
            value_usd = planned.value_usd
            value_cny = planned.value_cny
            simplified = (
                writer.batch.customs_mode in SIMPLIFIED_MODES
                and value_cny <= platform.simplified_limit_cny
                and not _licensed(planned, platform.licensed_hs_prefixes)
            )
        writer.add(
            kind=DeclarationKind.DECLARATION,
            header=planned.header,
            lines=[line_row(line) for line in planned.lines],
            sources=[line.sources for line in planned.lines],
            owner_enterprise_id=owner.enterprise_id,
            owner_name=owner.owner_name,
            source_region=owner.source_region,
            trade_terms=terms,
            value_cny=value_cny,
            value_usd=value_usd,
            simplified_eligible=simplified,
            gross_weight_kg=_weight(planned, weights),
        )


def write_container_loads(writer: Writer, goods: Sequence[OrderGoods], platform: CustomsPlatform) -> None:
    """1039: container loads of several firms' goods, each at most the value cap, declared by the platform.

    The platform is the consignor and the selling firm of a market-procurement declaration;
    the firms stay on the lines' sources. No rebate is given on these.
    """
    pooled = []
    regions: dict[HeaderKey, str] = {}
    for item in goods:
        header = item.goods.header._replace(owner_code=writer.consignor.code)
        pooled.append(_with_header(item.goods, header))
        regions.setdefault(header, item.source_region)
    weights = {line_id: item.weight_kg / item.goods.quantity for item in goods for line_id, _ in item.goods.sources}
    by_header: dict[HeaderKey, list[Goods]] = defaultdict(list)
    for item in pooled:
        by_header[item.header].append(item)
    for header in sorted(by_header):
        for load in consolidation.pack_containers(by_header[header], cap_usd=platform.procurement_cap_usd):
            lines = consolidation.procurement_lines(load)
            value_usd = sum((item.value_usd for item in load), Decimal("0"))
            value_cny = sum((item.value_cny for item in load), Decimal("0"))
            weight = sum((weights[line_id] * pieces for item in load for line_id, pieces in item.sources), Decimal("0"))
            writer.add(
                kind=DeclarationKind.DECLARATION,
                header=header,
                lines=[line_row(line) for line in lines],
                sources=[line.sources for line in lines],
                owner_enterprise_id=platform.enterprise_id,
                owner_name=writer.consignor.name,
                source_region=regions[header],
                trade_terms=_single_terms(goods),
                value_usd=value_usd,
                value_cny=value_cny,
                rebate_eligible=False,
                gross_weight_kg=weight.quantize(Decimal("0.001")),
            )


def _with_header(goods: Goods, header: HeaderKey) -> Goods:
    return replace(goods, header=header, sources=list(goods.sources))


def _single_terms(goods: Sequence[OrderGoods]) -> str:
    terms = {item.trade_terms for item in goods}
    return terms.pop() if len(terms) == 1 else "FOB"


def _licensed(planned: PlannedDeclaration, prefixes: Sequence[str]) -> bool:
    return any(line.line.hs_code.startswith(prefix) for line in planned.lines for prefix in prefixes)


def _weight(planned: PlannedDeclaration, weights: dict[int, Decimal]) -> Decimal:
    return sum((weights[line_id] for line in planned.lines for line_id, _ in line.sources), Decimal("0"))


# The 9610 monthly summary -------------------------------------------------------------------------


def claim_clearance_range(session: Session, *, platform_id: int, period: str) -> tuple[int, int]:
    """The stretch of the period's cleared lists no current summary holds: (after, up to) clearance numbers.

    The platform row is locked (PostgreSQL) or the database is (SQLite) until the summary is
    written, so no clearance is numbered within the stretch after it is read.
    """
    platform = CustomsPlatform.__table__
    counter = session.execute(
        update(platform)
        .where(platform.c.id == platform_id)
        .values(clearance_counter=platform.c.clearance_counter)
        .returning(platform.c.clearance_counter)
    ).scalar_one()
    taken = session.execute(
        select(func.max(CustomsBatch.to_clearance)).where(
            CustomsBatch.platform_id == platform_id,
            CustomsBatch.kind == BatchKind.SUMMARY.value,
            CustomsBatch.period == period,
            CustomsBatch.superseded_by_id.is_(None),
        )
    ).scalar_one()
    return taken or 0, counter


def summary_stretch(lists: Any, batch: Any) -> tuple:
    """Conditions on the declaration table (or an alias of it) picking the released lists a summary batch covers."""
    return (
        lists.c.platform_id == batch.platform_id,
        lists.c.cleared_period == batch.period,
        lists.c.clearance_no > batch.from_clearance,
        lists.c.clearance_no <= batch.to_clearance,
    )


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


def orders_of_declarations(session: Session, declaration_ids: Sequence[int]) -> list[int]:
    """The orders some declarations declare: an inventory list's order, a full declaration's sourced orders."""
    order_line = OrderLine.__table__
    listed = select(_declaration.c.order_id).where(
        _declaration.c.id.in_(list(declaration_ids)), _declaration.c.order_id.is_not(None)
    )
    sourced = (
        select(order_line.c.order_id)
        .select_from(
            _source.join(_line, _line.c.id == _source.c.declaration_line_id).join(
                order_line, order_line.c.id == _source.c.order_line_id
            )
        )
        .where(_line.c.declaration_id.in_(list(declaration_ids)))
    )
    return sorted(set(session.scalars(listed)) | set(session.scalars(sourced)))
