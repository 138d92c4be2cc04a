"""Writing a planned order: the plain path, and the specification of every faster one.

In one write transaction: who follows stock hears of the change (before any hot row is locked),
then the order row (its unique ``(channel, external_id)`` stops a duplicate here), its lines and
their ledger rows, and last, line by line in SKU order, the units, each step one conditional
UPDATE whose row count tells whether it had room: the flash sale's units, the allocation's or
the stock level's units, then the buyer's count within the sale's limit. A line that cannot be
served raises, and the transaction undoes the whole order. The rows every buyer of a hot item
contends for are so locked only from their UPDATE to the commit right after it.

``postgresql.write_order`` does the same in fewer round trips; a parity test holds the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Session

from commerce.db import write_transaction
from commerce.inventory import reservations
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.models import MovementKind
from commerce.live import flash_sales
from commerce.orders.errors import BuyerLimitReached, FlashSaleSoldOut
from commerce.orders.models import OrderLine, SalesOrder
from commerce.orders.planning import OrderPlan, PlannedLine

_order_table = SalesOrder.__table__
_line_table = OrderLine.__table__
# How the stock ledger names an order: this and its id.
ORDER_REFERENCE = "order:"
_INSERT_ORDER = _order_table.insert().returning(_order_table.c.id)
_INSERT_LINES = _line_table.insert().returning(_line_table.c.id, sort_by_parameter_order=True)


@dataclass(frozen=True, slots=True)
class WrittenOrder:
    """The ids a written order was given: its own and its lines' (in the plan's order)."""

    order_id: int
    line_ids: list[int]


class AllocationShort(Exception):
    """A stream line expected to draw on its allocation found it short; the order may be planned
    again with that line drawing on general stock."""

    def __init__(self, line: PlannedLine):
        super().__init__(line.sku_id)
        self.line = line


def write_order(session: Session, plan: OrderPlan) -> WrittenOrder:
    """The order, its lines, their ledger rows and the units they take, all or nothing."""
    with write_transaction(session):
        reservations.announce(session, [line.sku_id for line in plan.lines])
        connection = session.connection()
        order_id = connection.execute(_INSERT_ORDER, plan.order).scalar_one()
        line_ids = list(
            connection.execute(
                _INSERT_LINES, [{"order_id": order_id, **line.values()} for line in plan.lines]
            ).scalars()
        )
        reservations.write(session, [placing_movement(plan, order_id, line) for line in plan.lines])
        for line in plan.in_lock_order():
            take_line(connection, line, buyer_key=plan.buyer_key, now=plan.placed_at)
    return WrittenOrder(order_id, line_ids)


def placing_movement(plan: OrderPlan, order_id: int, line: PlannedLine) -> dict:
    """The ledger row of a line's units reserved for its order (taken from the stream's allocation
    when they come from it)."""
    return reservations.movement(
        line.sku_id,
        MovementKind.ORDER_PLACED,
        reference=order_reference(order_id),
        actor_user_id=plan.placed_by,
        reserved=line.quantity,
        allocated=-line.quantity if line.from_allocation else 0,
        now=plan.placed_at,
    )


def order_reference(order_id: int) -> str:
    """How the stock ledger names an order."""
    return f"{ORDER_REFERENCE}{order_id}"


def take_line(connection: Connection, line: PlannedLine, *, buyer_key: str, now: datetime) -> None:
    """Take a line's units: the flash sale's (if one runs on it), then the allocation's or general
    stock's, then the buyer's allowance in the sale; raise at the first without room."""
    sale = line.flash_sale
    if sale is not None:
        taken = flash_sales.take_units(connection, sale_id=sale.id, quantity=line.quantity, now=now)
        check_taken(line, sale_taken=taken)
    if line.from_allocation:
        taken = reservations.reserve_from_allocation(
            connection, lineup_item_id=line.lineup_item_id, sku_id=line.sku_id, quantity=line.quantity, now=now
        )
    else:
        taken = reservations.reserve_available(connection, sku_id=line.sku_id, quantity=line.quantity, now=now)
    check_taken(line, units_taken=taken)
    if sale is not None:
        counted = flash_sales.count_buyer(
            connection, sale_id=sale.id, buyer_key=buyer_key, quantity=line.quantity, limit=sale.per_buyer_limit
        )
        check_taken(line, buyer_counted=counted)


def check_taken(
    line: PlannedLine, *, sale_taken: bool = True, units_taken: bool = True, buyer_counted: bool = True
) -> None:
    """Refuse the order for the first step of ``take_line`` that found no room."""
    field = f"lines.{line.index}.quantity"
    if not sale_taken:
        raise FlashSaleSoldOut(field=field, sku_id=line.sku_id)
    if not units_taken:
        if line.from_allocation:
            raise AllocationShort(line)
        raise InsufficientStock(field=field, sku_id=line.sku_id)
    if not buyer_counted:
        raise BuyerLimitReached(field=field, limit=line.flash_sale.per_buyer_limit, sku_id=line.sku_id)
