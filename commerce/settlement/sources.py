"""What a firm's statement settles: its order lines shipped, its refunds paid back on shipped
orders, and the marketplaces' fees on its lines (from the payouts imported), not settled before,
up to the end of a month."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import exists, func, literal, select, type_coerce, union_all
from sqlmodel import Session

from commerce.aftersales.models import AfterSale, AfterSaleStatus
from commerce.db import UTCDateTime
from commerce.live.models import Stream
from commerce.orders.models import OrderLine, OrderStatus, SalesOrder
from commerce.settlement.models import LineKind, StatementLine
from commerce.settlement.payout_models import MarketplaceTransaction
from commerce.sql import among, exact_sum

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


def fee_conditions(end: datetime) -> list:
    """An order line shipped before ``end`` whose marketplace fee no statement holds."""
    return [
        SalesOrder.status.in_(SHIPPED),
        SalesOrder.shipped_at < end,
        unsettled(LineKind.MARKETPLACE_FEE, order_line_id=OrderLine.id, after_sale_id=0),
    ]


def marketplace_fees():
    """Each order's marketplace fees as the payouts imported carried them (negative), and when."""
    line = MarketplaceTransaction
    return (
        select(
            line.order_id,
            exact_sum(line.fee).label("fee"),
            type_coerce(func.max(line.occurred_at), UTCDateTime()).label("at"),
        )
        .where(line.order_id.is_not(None))
        .group_by(line.order_id)
        .subquery()
    )


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
    amount: Decimal  # the sale's value, the money refunded, or the line's share of the order's fee


@dataclass(frozen=True, slots=True)
class FirmSources:
    """A firm's sources waiting to be settled: its sales, its refunds, then the marketplace fees on
    its lines, each in their order."""

    enterprise_id: int
    sold: list[Source]
    refunded: list[Source]
    charged: list[Source]


# The kinds of sources in the order a firm's are read.
SALE, REFUND, FEE = 0, 1, 2


def waiting(session: Session, firms: Sequence[int], end: datetime) -> Iterator[FirmSources]:
    """The sources of ``firms`` waiting to be settled by ``end``, one firm after the other in the
    order of their ids, from one read of the month's orders streamed in parts."""
    if not firms:
        return
    sold = (
        select(
            OrderLine.enterprise_id,
            literal(SALE).label("source"),
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
            OrderLine.unit_price,
            OrderLine.quantity,
            SalesOrder.total_amount,
        )
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .outerjoin(Stream, Stream.id == SalesOrder.stream_id)
        .where(among(session, OrderLine.enterprise_id, firms), *sale_conditions(end))
    )
    refunded = (
        select(
            AfterSale.enterprise_id,
            literal(REFUND),
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
            OrderLine.unit_price,
            OrderLine.quantity,
            SalesOrder.total_amount,
        )
        .join(OrderLine, OrderLine.id == AfterSale.order_line_id)
        .join(SalesOrder, SalesOrder.id == AfterSale.order_id)
        .outerjoin(Stream, Stream.id == SalesOrder.stream_id)
        .where(among(session, AfterSale.enterprise_id, firms), *refund_conditions(end))
    )
    fees = marketplace_fees()
    charged = (
        select(
            OrderLine.enterprise_id,
            literal(FEE),
            OrderLine.id,
            OrderLine.order_id,
            literal(0),
            OrderLine.product_id,
            SalesOrder.stream_id,
            Stream.host_user_id,
            SalesOrder.currency,
            SalesOrder.placed_at,
            fees.c.at,
            fees.c.fee,
            OrderLine.unit_price,
            OrderLine.quantity,
            SalesOrder.total_amount,
        )
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .join(fees, fees.c.order_id == OrderLine.order_id)
        .outerjoin(Stream, Stream.id == SalesOrder.stream_id)
        .where(among(session, OrderLine.enterprise_id, firms), fees.c.fee != 0, *fee_conditions(end))
    )
    every = union_all(sold, refunded, charged).subquery()
    rows = session.execute(
        select(every)
        .order_by(every.c.enterprise_id, every.c.source, every.c.after_sale_id, every.c.order_line_id)
        .execution_options(yield_per=SOURCES_AT_ONCE)
    )
    for enterprise_id, firm_rows in groupby(rows, key=lambda row: row[0]):
        sources: dict[int, list[Source]] = {SALE: [], REFUND: [], FEE: []}
        for _firm, source, *fields, amount, unit_price, quantity, total in firm_rows:
            if source == SALE:
                amount = unit_price * quantity
            elif source == FEE:
                # The line's share of its order's fee, by its value (rounded with the statement).
                amount = amount * unit_price * quantity / total if total else Decimal(0)
            sources[source].append(Source(*fields, amount))
        yield FirmSources(enterprise_id, sources[SALE], sources[REFUND], sources[FEE])
