"""What a firm's statement settles: its order lines shipped and its refunds paid back on shipped
orders, not settled before, up to the end of a month."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import exists, literal, select, union_all
from sqlmodel import Session

from commerce.aftersales.models import AfterSale, AfterSaleStatus
from commerce.live.models import Stream
from commerce.orders.models import OrderLine, OrderStatus, SalesOrder
from commerce.settlement.models import LineKind, StatementLine
from commerce.sql import among

SHIPPED = (OrderStatus.SHIPPED.value, OrderStatus.CLEARED.value)
# Sources read from the database at once while a month is settled.
SOURCES_AT_ONCE = 5_000
_settled = StatementLine.__table__


def unsettled(kind: LineKind, **keys: Any):
    """The condition that no statement holds a line of ``kind`` for the source."""
    return ~exists().where(_settled.c.kind == kind.value, *(_settled.c[name] == value for name, value in keys.items()))


def sale_conditions(end: datetime) -> list:
    """An order line shipped before ``end`` whose sale no statement holds."""
    return [
        SalesOrder.status.in_(SHIPPED),
        SalesOrder.shipped_at < end,
        unsettled(LineKind.SALE, order_line_id=OrderLine.id, after_sale_id=0),
    ]


def refund_conditions(end: datetime) -> list:
    """A refund paid back before ``end`` on an order shipped before it, which no statement holds."""
    return [
        AfterSale.status == AfterSaleStatus.REFUNDED.value,
        AfterSale.refunded_at < end,
        SalesOrder.status.in_(SHIPPED),
        SalesOrder.shipped_at < end,
        unsettled(LineKind.REFUND, order_line_id=AfterSale.order_line_id, after_sale_id=AfterSale.id),
    ]


@dataclass(frozen=True, slots=True)
class Source:
    """An order line shipped, or a refund paid back on one, waiting to be settled."""

    order_line_id: int
    order_id: int
    after_sale_id: int  # 0 for a sale
    product_id: int
    stream_id: int | None
    host_user_id: int | None
    currency: str
    placed_at: datetime
    at: datetime
    amount: Decimal  # the sale's value, or the money refunded


@dataclass(frozen=True, slots=True)
class FirmSources:
    """A firm's sources waiting to be settled: its sales, then its refunds, each in their order."""

    enterprise_id: int
    sold: list[Source]
    refunded: list[Source]


def waiting(session: Session, firms: Sequence[int], end: datetime) -> Iterator[FirmSources]:
    """The sources of ``firms`` waiting to be settled by ``end``, one firm after the other in the
    order of their ids, from one read of the month's orders streamed in parts."""
    if not firms:
        return
    is_sale = literal(True).label("is_sale")
    sold = (
        select(
            OrderLine.enterprise_id,
            is_sale,
            OrderLine.id.label("order_line_id"),
            OrderLine.order_id,
            literal(0).label("after_sale_id"),
            OrderLine.product_id,
            SalesOrder.stream_id,
            Stream.host_user_id,
            SalesOrder.currency,
            SalesOrder.placed_at,
            SalesOrder.shipped_at.label("at"),
            OrderLine.unit_price.label("amount"),
            OrderLine.quantity,
        )
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .outerjoin(Stream, Stream.id == SalesOrder.stream_id)
        .where(among(session, OrderLine.enterprise_id, firms), *sale_conditions(end))
    )
    refunded = (
        select(
            AfterSale.enterprise_id,
            literal(False),
            AfterSale.order_line_id,
            AfterSale.order_id,
            AfterSale.id,
            OrderLine.product_id,
            SalesOrder.stream_id,
            Stream.host_user_id,
            SalesOrder.currency,
            SalesOrder.placed_at,
            AfterSale.refunded_at,
            AfterSale.amount,
            literal(1),
        )
        .join(OrderLine, OrderLine.id == AfterSale.order_line_id)
        .join(SalesOrder, SalesOrder.id == AfterSale.order_id)
        .outerjoin(Stream, Stream.id == SalesOrder.stream_id)
        .where(among(session, AfterSale.enterprise_id, firms), *refund_conditions(end))
    )
    both = union_all(sold, refunded).subquery()
    rows = session.execute(
        select(both)
        .order_by(both.c.enterprise_id, both.c.is_sale.desc(), both.c.after_sale_id, both.c.order_line_id)
        .execution_options(yield_per=SOURCES_AT_ONCE)
    )
    for enterprise_id, firm_rows in groupby(rows, key=lambda row: row[0]):
        sources: dict[bool, list[Source]] = {True: [], False: []}
        for _firm, is_sale, *fields, amount, quantity in firm_rows:
            sources[bool(is_sale)].append(Source(*fields, amount * quantity))
        yield FirmSources(enterprise_id, sources[True], sources[False])
