"""The customs rules that turn goods into declarations: merging, the line limit, container loads.

Pure functions over plain values, so each rule can be checked against hand-worked examples.
Goods merge into one declaration when their header keys are equal (consignor, transport
mode, producing firm, country of arrival, exit customs) and into one line when, within it,
their line keys are equal (final destination country, 10-digit HS code, currency); quantities
and totals add up exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import NamedTuple, TypeVar

T = TypeVar("T")

HEADER_KEY = ("consignor_code", "traf_mode", "owner_code", "arrival_country", "exit_port")
LINE_KEY = ("destination_country", "hs_code", "currency")
TOP_GOODS_LISTED = 5


class HeaderKey(NamedTuple):
    consignor_code: str
    traf_mode: str
    owner_code: str
    arrival_country: str
    exit_port: str


class LineKey(NamedTuple):
    destination_country: str
    hs_code: str
    currency: str


@dataclass(slots=True)
class Goods:
    """Goods to declare: one order line, one inventory-list line, or a merged line."""

    header: HeaderKey
    line: LineKey
    goods_name: str
    goods_model: str
    unit: str
    legal_unit: str
    second_legal_unit: str | None
    quantity: Decimal
    legal_quantity: Decimal
    second_legal_quantity: Decimal | None
    total_price: Decimal
    # What the goods are worth in CNY (at customs' rate) and in USD (the CNY value at the USD rate).
    value_cny: Decimal = Decimal("0")
    value_usd: Decimal = Decimal("0")
    weight_kg: Decimal = Decimal("0")
    sources: list[tuple[int, int]] = field(default_factory=list)  # (order line id, pieces)
    chapter_group: str | None = None

    def absorb(self, other: Goods) -> None:
        """Add another's quantities, totals and sources to this line."""
        self.quantity += other.quantity
        self.legal_quantity += other.legal_quantity
        if other.second_legal_quantity is not None:
            self.second_legal_quantity = (self.second_legal_quantity or Decimal("0")) + other.second_legal_quantity
        self.total_price += other.total_price
        self.value_cny += other.value_cny
        self.value_usd += other.value_usd
        self.weight_kg += other.weight_kg
        self.sources.extend(other.sources)


@dataclass(slots=True)
class PlannedDeclaration:
    header: HeaderKey
    lines: list[Goods]

    @property
    def value_cny(self) -> Decimal:
        return sum((line.value_cny for line in self.lines), Decimal("0"))

    @property
    def value_usd(self) -> Decimal:
        return sum((line.value_usd for line in self.lines), Decimal("0"))


def _copy(goods: Goods) -> Goods:
    return replace(goods, sources=list(goods.sources))


def merge(goods: Iterable[Goods]) -> dict[HeaderKey, dict[LineKey, Goods]]:
    """Goods grouped by header, and within a header merged by line key."""
    groups: dict[HeaderKey, dict[LineKey, Goods]] = {}
    for item in goods:
        lines = groups.setdefault(item.header, {})
        existing = lines.get(item.line)
        if existing is None:
            lines[item.line] = _copy(item)
        else:
            existing.absorb(item)
    return groups


def split_at_line_limit(groups: dict[HeaderKey, dict[LineKey, Goods]], line_limit: int) -> list[PlannedDeclaration]:
    """One declaration per header, in key order, split into several when it has more lines than the limit."""
    if line_limit < 1:
        raise ValueError("the line limit is at least 1")
    declarations = []
    for header in sorted(groups):
        lines = [groups[header][key] for key in sorted(groups[header])]
        declarations.extend(
            PlannedDeclaration(header=header, lines=part) for part in line_limit_parts(lines, line_limit)
        )
    return declarations


def line_limit_parts(lines: Sequence[T], line_limit: int) -> list[Sequence[T]]:
    """One header's lines, in order, cut into declarations of at most ``line_limit`` lines."""
    return [lines[start : start + line_limit] for start in range(0, len(lines), line_limit)]


def consolidate(goods: Iterable[Goods], *, line_limit: int) -> list[PlannedDeclaration]:
    """Goods merged into declarations by the header and line rules, split at the line limit."""
    return split_at_line_limit(merge(goods), line_limit)


def _split_by_value(goods: Goods, cap_usd: Decimal) -> list[Goods]:
    """One order line worth more than a container load, cut into whole pieces that fit."""
    pieces = int(goods.quantity)
    if goods.value_usd <= cap_usd or pieces <= 1:
        return [goods]
    per_piece = goods.value_usd / pieces
    fits = max(int(cap_usd / per_piece), 1)
    parts = []
    taken = 0
    while taken < pieces:
        count = min(fits, pieces - taken)
        parts.append(_share(goods, count, pieces, last=taken + count == pieces, taken=taken))
        taken += count
    return parts


def _share(goods: Goods, count: int, pieces: int, *, last: bool, taken: int) -> Goods:
    """``count`` of ``pieces`` of a line; the last share takes the remainder so totals stay exact."""

    # Cumulative rounding: share i is round(total * (taken + count) / pieces) - round(total * taken / pieces).
    def cut(total: Decimal | None, places: str) -> Decimal | None:
        if total is None:
            return None
        upto = total if last else (total * (taken + count) / pieces).quantize(Decimal(places))
        before = (total * taken / pieces).quantize(Decimal(places))
        return upto - before

    source_id = goods.sources[0][0] if goods.sources else None
    return replace(
        goods,
        quantity=Decimal(count),
        legal_quantity=cut(goods.legal_quantity, "0.00001"),
        second_legal_quantity=cut(goods.second_legal_quantity, "0.00001"),
        total_price=cut(goods.total_price, "0.00001"),
        value_cny=cut(goods.value_cny, "0.0001"),
        value_usd=cut(goods.value_usd, "0.0001"),
        weight_kg=cut(goods.weight_kg, "0.001"),
        sources=[(source_id, count)] if source_id is not None else [],
    )


def pack_containers(goods: Sequence[Goods], *, cap_usd: Decimal) -> list[list[Goods]]:
    """Market-procurement goods of one header packed into loads of at most ``cap_usd`` each.

    First fit, largest first: few declarations, each under the cap; a single line worth more
    than the cap is cut into whole pieces first.
    """
    items = [part for item in goods for part in _split_by_value(item, cap_usd)]
    items.sort(key=lambda item: (-item.value_usd, item.line, item.sources))
    loads: list[list[Goods]] = []
    totals: list[Decimal] = []
    for item in items:
        for index, total in enumerate(totals):
            if total + item.value_usd <= cap_usd:
                loads[index].append(item)
                totals[index] = total + item.value_usd
                break
        else:
            loads.append([item])
            totals.append(item.value_usd)
    return loads


def procurement_lines(load: Sequence[Goods]) -> list[Goods]:
    """A container load's lines: the five most valuable goods one by one, the rest one line per HS chapter.

    A chapter line carries the HS code, name and units of its most valuable goods.
    """
    merged = next(iter(merge(load).values()), {})
    ranked = sorted(merged.values(), key=lambda item: (-item.value_usd, item.line))
    listed = ranked[:TOP_GOODS_LISTED]
    chapters: dict[tuple[str, str, str], Goods] = {}
    for item in ranked[TOP_GOODS_LISTED:]:
        key = (item.line.destination_country, item.line.hs_code[:2], item.line.currency)
        group = chapters.get(key)
        if group is None:
            chapters[key] = replace(_copy(item), chapter_group=item.line.hs_code[:2])
        else:
            group.absorb(item)
    return listed + [chapters[key] for key in sorted(chapters)]
