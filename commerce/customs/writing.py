"""Writing a batch's declarations: inventory lists (9610), declarations by consolidation (9710,
9810, 1039, 0110) and container loads, each line traced to the order lines it came from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from commerce.customs import consolidation
from commerce.customs.batch_goods import SIMPLIFIED_MODES, Consignor, OrderGoods
from commerce.customs.consolidation import Goods, HeaderKey, PlannedDeclaration
from commerce.customs.models import (
    CustomsBatch,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsPlatform,
    CustomsStatus,
    DeclarationKind,
)
from commerce.sql import bulk_insert

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_source = CustomsLineSource.__table__


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
