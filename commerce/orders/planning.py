"""Planning an order: its SKUs read in one query, each line priced (list, live or deal price),
the whole checked, before anything is written.

A plan is what both ways of writing an order take (``writing.write_order`` and, on PostgreSQL,
``postgresql.write_order``): the order's values, its lines in the order given, and who counts as
its buyer for flash-sale limits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, true
from sqlmodel import Session

from commerce.actors import Actor, Role
from commerce.catalog.models import Product, ProductStatus, Sku
from commerce.clusters.errors import UnknownReference
from commerce.clusters.permissions import VIEWER, reach_condition, reach_kind
from commerce.errors import ValidationFailed
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.models import StockLevel, StreamAllocation
from commerce.live.errors import CurrencyMismatch, StreamNotLive
from commerce.live.models import FlashSale, LineupItem, Stream, StreamStatus
from commerce.orders.errors import (
    BuyerLimitReached,
    DuplicateSkuLine,
    FlashSaleSoldOut,
    OrderTooLarge,
    PriceChanged,
    ProductNotOnSale,
    SkuNotInLineup,
    StreamRequired,
    UnitPriceRequired,
    UnknownSku,
)
from commerce.orders.models import OrderCreate, OrderStatus
from commerce.sql import among_parameter, prebuilt
from commerce.validation import RuleViolation, check_price, money_text

# Totals stay within what the exact money columns hold on both databases (SQLite: 10**-4 units in 63 bits).
MAXIMUM_ORDER_TOTAL = 10**14


@dataclass(frozen=True, slots=True)
class RunningSale:
    """A flash sale running on a line's SKU when the order came in."""

    id: int
    price_amount: Decimal
    per_buyer_limit: int


@dataclass(slots=True)
class PlannedLine:
    """A line as it will be written (``index``: its place in the request), with where its units
    come from: a running flash sale counts them, and a stream line draws on the stream's
    allocation unless that turned out short."""

    index: int
    sku_id: int
    product_id: int
    enterprise_id: int
    quantity: int
    unit_price: Decimal
    lineup_item_id: int | None = None
    flash_sale: RunningSale | None = None
    from_allocation: bool = False

    def values(self) -> dict[str, Any]:
        """The line's ``order_line`` values but its id and its order's."""
        return {
            "sku_id": self.sku_id,
            "product_id": self.product_id,
            "enterprise_id": self.enterprise_id,
            "quantity": self.quantity,
            "unit_price": self.unit_price,
            "lineup_item_id": self.lineup_item_id,
            "flash_sale_id": self.flash_sale.id if self.flash_sale is not None else None,
            "from_allocation": self.from_allocation,
        }


@dataclass(slots=True)
class OrderPlan:
    """An order ready to be written: its ``sales_order`` values (but the id), its lines, and the
    buyer its flash-sale units count for."""

    order: dict[str, Any]
    lines: list[PlannedLine]
    buyer_key: str

    @property
    def placed_at(self) -> datetime:
        return self.order["placed_at"]

    @property
    def placed_by(self) -> int | None:
        return self.order["placed_by"]

    def in_lock_order(self) -> list[PlannedLine]:
        """The lines in lock order (``in_lock_order``)."""
        return in_lock_order(self.lines)


def in_lock_order(lines: list[PlannedLine]) -> list[PlannedLine]:
    """Lines by SKU id, so that two orders sharing SKUs lock their rows in the same order."""
    return sorted(lines, key=lambda line: line.sku_id)


def buyer_key(channel: str, buyer_id: str | None, buyer_name: str) -> str:
    """Who counts as the same buyer for flash-sale limits: the channel's buyer id, else the name."""
    return f"{channel}:{buyer_id}" if buyer_id else f"{channel}:name:{buyer_name.casefold()}"


def request_digest(data: OrderCreate) -> str:
    """SHA-256 of an order's request as read (whatever the order of its keys or its spacing)."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def plan_order(session: Session, actor: Actor, data: OrderCreate, now: datetime) -> OrderPlan:
    """Read, price and check an order, each line planned to draw on what the read found left."""
    lines, skus = _plan_lines(session, actor, data, now)
    total = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
    if total >= MAXIMUM_ORDER_TOTAL:
        raise OrderTooLarge(field="lines", maximum=MAXIMUM_ORDER_TOTAL)
    draw_on_what_is_left(lines, skus)
    export = data.export
    order = {
        "channel": data.channel,
        "external_id": data.external_id,
        "stream_id": data.stream_id,
        "status": OrderStatus.PLACED.value,
        "buyer_id": data.buyer.id,
        "buyer_name": data.buyer.name,
        "buyer_country": data.buyer.country,
        "currency": data.currency,
        "total_amount": total,
        "customs_mode": export.customs_mode.value if export else None,
        "destination_country": export.destination_country if export else None,
        "trade_terms": export.trade_terms if export else None,
        "waybill_no": export.waybill_no if export else None,
        "logistics_code": export.logistics_code if export else None,
        "arrival_country": export.arrival_country if export else None,
        "exit_port": export.exit_port if export else None,
        "traf_mode": export.transport_mode if export else None,
        "placed_by": actor.user_id,
        "request_digest": request_digest(data),
        "placed_at": now,
    }
    return OrderPlan(order=order, lines=lines, buyer_key=buyer_key(data.channel, data.buyer.id, data.buyer.name))


# The reads of order intake, built once: constructing a statement costs more than running it here.
_SKU_COLUMNS = (
    Sku.id,
    Sku.product_id,
    Sku.enterprise_id,
    Sku.price_amount,
    Sku.currency,
    Product.status,
    StockLevel.available,
)


def _within_reach(dialect: str, reach: str | None):
    """Whether the actor reaches a SKU's firm (``permissions.reach_condition``), as a column."""
    condition = reach_condition(reach, dialect, Sku.enterprise_id)
    return (true() if condition is None else condition).label("within_reach")


def _build_skus(dialect: str, reach: str | None, single: bool):
    """The SKUs of an order (``single``: its one SKU, see ``among_parameter``) with their
    products' status and whether the actor reaches their firm."""
    return (
        select(*_SKU_COLUMNS, _within_reach(dialect, reach))
        .join(Product, Product.id == Sku.product_id)
        .outerjoin(StockLevel, StockLevel.sku_id == Sku.id)
        .where(among_parameter(dialect, Sku.id, "sku_ids", single=single))
    )


def _build_skus_in_stream(dialect: str, reach: str | None, single: bool):
    """The SKUs of a stream order, each with the stream, its product's lineup item and a flash
    sale running on it, in one read (a product is in a stream's lineup once)."""
    return (
        select(
            *_SKU_COLUMNS,
            _within_reach(dialect, reach),
            Stream.status.label("stream_status"),
            Stream.currency.label("stream_currency"),
            Stream.host_user_id.label("stream_host"),
            LineupItem.id.label("item_id"),
            LineupItem.live_price_amount,
            FlashSale.id.label("sale_id"),
            FlashSale.price_amount.label("sale_price"),
            FlashSale.per_buyer_limit.label("sale_limit"),
            (FlashSale.quantity - FlashSale.sold).label("sale_left"),
            StreamAllocation.remaining.label("allocation_left"),
        )
        .join(Product, Product.id == Sku.product_id)
        .outerjoin(StockLevel, StockLevel.sku_id == Sku.id)
        .outerjoin(Stream, Stream.id == bindparam("stream_id"))
        .outerjoin(
            LineupItem,
            (LineupItem.stream_id == Stream.id)
            & (LineupItem.product_id == Sku.product_id)
            & LineupItem.removed_at.is_(None),
        )
        .outerjoin(
            StreamAllocation,
            (StreamAllocation.lineup_item_id == LineupItem.id) & (StreamAllocation.sku_id == Sku.id),
        )
        .outerjoin(
            FlashSale,
            (FlashSale.stream_id == Stream.id)
            & (FlashSale.item_id == LineupItem.id)
            & (FlashSale.sku_id == Sku.id)
            & (FlashSale.starts_at <= bindparam("now"))
            & (FlashSale.ends_at > bindparam("now")),
        )
        .where(among_parameter(dialect, Sku.id, "sku_ids", single=single))
    )


def draw_on_what_is_left(lines: list[PlannedLine], skus: dict[int, Any]) -> None:
    """Where each line's units come from, as read: a stream line from its allocation while that
    holds the line, else from general stock. A line the read shows cannot be served is refused
    here, lines taken in the write's order and each checked as the write checks it (the sale's
    units, then the stock's), so that a sold-out item is refused without writing and undoing an
    order. What was read is only a forecast: the write takes the units again under its locks."""
    for line in in_lock_order(lines):
        sku = skus[line.sku_id]
        field = f"lines.{line.index}.quantity"
        if line.flash_sale is not None and line.quantity > sku.sale_left:
            raise FlashSaleSoldOut(field=field, sku_id=line.sku_id)
        line.from_allocation = line.lineup_item_id is not None and line.quantity <= (sku.allocation_left or 0)
        if not line.from_allocation and line.quantity > (sku.available or 0):
            raise InsufficientStock(field=field, sku_id=line.sku_id)


def _plan_lines(
    session: Session, actor: Actor, data: OrderCreate, now: datetime
) -> tuple[list[PlannedLine], dict[int, Any]]:
    if actor.role == Role.HOST and data.stream_id is None:
        raise StreamRequired(field="stream_id")
    seen: set[int] = set()
    for index, line in enumerate(data.lines):
        if line.sku_id in seen:
            raise DuplicateSkuLine(field=f"lines.{index}.sku_id", sku_id=line.sku_id)
        seen.add(line.sku_id)
    reach, single = reach_kind(actor), len(seen) == 1
    parameters = {"sku_ids": data.lines[0].sku_id if single else list(seen), VIEWER: actor.enterprise_id}
    if data.stream_id is None:
        statement = prebuilt(session, _build_skus, reach, single)
    else:
        statement = prebuilt(session, _build_skus_in_stream, reach, single)
        parameters.update(stream_id=data.stream_id, now=now)
    skus = {row.id: row for row in session.connection().execute(statement, parameters)}
    planned = []
    for index, line in enumerate(data.lines):
        sku = skus.get(line.sku_id)
        if sku is None or not sku.within_reach:
            raise UnknownSku(field=f"lines.{index}.sku_id", sku_id=line.sku_id)
        if sku.status != ProductStatus.APPROVED.value:
            raise ProductNotOnSale(field=f"lines.{index}.sku_id", sku_id=line.sku_id)
        price = line.unit_price
        if price is not None:
            try:
                check_price(price, data.currency)
            except RuleViolation as violation:
                raise ValidationFailed.of_rule(violation, field=f"lines.{index}.unit_price") from None
        if price is None and data.stream_id is None:
            if sku.currency != data.currency:
                raise UnitPriceRequired(field=f"lines.{index}.unit_price", sku_id=line.sku_id, currency=data.currency)
            price = sku.price_amount
        planned.append(
            PlannedLine(
                index=index,
                sku_id=sku.id,
                product_id=sku.product_id,
                enterprise_id=sku.enterprise_id,
                quantity=line.quantity,
                unit_price=price if price is not None else sku.price_amount,
            )
        )
    if data.stream_id is not None:
        _price_stream_lines(actor, data, planned, skus)
    return planned, skus


def _price_stream_lines(actor: Actor, data: OrderCreate, planned: list[PlannedLine], skus: dict[int, Any]) -> None:
    """Stream orders: the lineup's live price or a running flash sale's deal price applies. A host
    orders only in their own streams."""
    stream = next(iter(skus.values()))
    if stream.stream_status is None or (actor.role == Role.HOST and stream.stream_host != actor.user_id):
        raise UnknownReference(field="stream_id", entity="Stream", id=data.stream_id)
    if stream.stream_status != StreamStatus.LIVE.value:
        raise StreamNotLive(field="stream_id", status=stream.stream_status)
    currency = stream.stream_currency
    if data.currency != currency:
        raise CurrencyMismatch(field="currency", currency=currency)
    for line in planned:
        field_name = f"lines.{line.index}"
        sku = skus[line.sku_id]
        if sku.item_id is None:
            raise SkuNotInLineup(field=f"{field_name}.sku_id", sku_id=line.sku_id)
        line.lineup_item_id = sku.item_id
        if sku.sale_id is not None:
            if line.quantity > sku.sale_limit:
                raise BuyerLimitReached(field=f"{field_name}.quantity", limit=sku.sale_limit, sku_id=line.sku_id)
            line.flash_sale = RunningSale(sku.sale_id, sku.sale_price, sku.sale_limit)
            price = sku.sale_price
        elif sku.live_price_amount is not None:
            price = sku.live_price_amount
        elif sku.currency == currency:
            price = sku.price_amount
        else:
            raise UnitPriceRequired(field=f"{field_name}.unit_price", sku_id=line.sku_id, currency=currency)
        given = data.lines[line.index].unit_price
        if given is not None and given != price:
            raise PriceChanged(field=f"{field_name}.unit_price", sku_id=line.sku_id, price=money_text(price, currency))
        line.unit_price = price
