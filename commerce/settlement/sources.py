"""What a firm's statement settles: its order lines shipped and its refunds paid back on shipped
orders, not settled before, up to the end of a month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select, union
from sqlmodel import Session

from commerce.aftersales.models import AfterSale, AfterSaleStatus
from commerce.live.models import Stream
from commerce.orders.models import OrderLine, OrderStatus, SalesOrder
from commerce.settlement.models import LineKind, StatementLine

SHIPPED = (OrderStatus.SHIPPED.value, OrderStatus.CLEARED.value)
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


def currencies_to_settle(session: Session, enterprise_id: int, end: datetime) -> list[str]:
    """The currencies of a firm's sources waiting to be settled by ``end``."""
    sales = (
        select(SalesOrder.currency)
        .join(OrderLine, OrderLine.order_id == SalesOrder.id)
        .where(OrderLine.enterprise_id == enterprise_id, *sale_conditions(end))
    )
    refunds = (
        select(SalesOrder.currency)
        .join(AfterSale, AfterSale.order_id == SalesOrder.id)
        .where(AfterSale.enterprise_id == enterprise_id, *refund_conditions(end))
    )
    return sorted(session.scalars(union(sales, refunds)))


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


def _unsettled(kind: LineKind, **keys: Any):
    """The condition that no statement holds a line of ``kind`` for the source."""
    return ~exists().where(_settled.c.kind == kind.value, *(_settled.c[name] == value for name, value in keys.items()))


def sales(session: Session, enterprise_id: int, end: datetime) -> list[Source]:
    """A firm's order lines shipped before ``end`` and not settled, in their order."""
    rows = session.execute(
        select(
            OrderLine.id,
            OrderLine.order_id,
            OrderLine.product_id,
            SalesOrder.stream_id,
            Stream.host_user_id,
            SalesOrder.currency,
            SalesOrder.placed_at,
            SalesOrder.shipped_at,
            OrderLine.unit_price,
            OrderLine.quantity,
        )
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .outerjoin(Stream, Stream.id == SalesOrder.stream_id)
        .where(
            OrderLine.enterprise_id == enterprise_id,
            *sale_conditions(end),
        )
        .order_by(OrderLine.id)
    )
    return [
        Source(line_id, order_id, 0, product_id, stream_id, host, currency, placed_at, shipped_at, price * quantity)
        for line_id, order_id, product_id, stream_id, host, currency, placed_at, shipped_at, price, quantity in rows
    ]


def refunds(session: Session, enterprise_id: int, end: datetime) -> list[Source]:
    """A firm's refunds paid back before ``end`` on shipped orders and not settled, in their order."""
    rows = session.execute(
        select(
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
        )
        .join(OrderLine, OrderLine.id == AfterSale.order_line_id)
        .join(SalesOrder, SalesOrder.id == AfterSale.order_id)
        .outerjoin(Stream, Stream.id == SalesOrder.stream_id)
        .where(
            AfterSale.enterprise_id == enterprise_id,
            *refund_conditions(end),
        )
        .order_by(AfterSale.id)
    )
    return [Source(*row) for row in rows]
