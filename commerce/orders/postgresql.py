"""Order intake on PostgreSQL: a planned order written as ``writing.write_order`` writes it, in
one statement.

The first line's units are taken, and only if they were, the order, its lines (their columns as
arrays, unnested in step; a one-line order's values as they are), their ledger rows and the
stock pushes of the listings concerned are written, all as data-modifying CTEs of one statement.
It writes all of that or nothing, so a one-line order is that statement alone and commits on its
own (``single_statement``): the hot rows are locked only until the statement ends inside the
server, with no BEGIN or COMMIT round trip. An order of several lines runs in a transaction, its
further lines taken by ``writing.take_line``, as a later line that cannot have its units must
undo the earlier ones.

A flash sale's line has three steps that must succeed together (the sale's room, the units, the
buyer's allowance), and undoing one would take a transaction; instead the statement selects the
sale's row ``FOR UPDATE`` if it has room, then the row the units come from ``FOR UPDATE`` if it
holds them, and counts the buyer only if both were found. Every order of the sale waits for the
sale's row, so what was found cannot change before the statement ends; the sale's count and the
units are then taken only if the buyer was counted.

Every statement here reuses the plain path's own conditions and statements (``reservations``,
``flash_sales``, ``listings.reactions``); the parity test runs both paths over the same orders
and requires the same answers and the same rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from commerce import events
from commerce.db import single_statement, write_transaction
from commerce.inventory import reservations
from commerce.inventory.models import MovementKind, StockMovement
from commerce.listings.reactions import stock_pushes
from commerce.live import flash_sales
from commerce.orders import writing
from commerce.orders.models import AFTER_SALE_COLUMNS, OrderLine, SalesOrder
from commerce.orders.planning import OrderPlan, PlannedLine
from commerce.orders.writing import WrittenOrder
from commerce.sql import fixed_text, prebuilt

_order_table = SalesOrder.__table__
_line_table = OrderLine.__table__
_movement = StockMovement.__table__
# What a new order and its lines are written with (a value missing from the plan fails loudly).
_ORDER_COLUMNS = tuple(
    column.name
    for column in _order_table.c
    if column.name not in ("id", "paid_at", "shipped_at", "cleared_at", "cancelled_at")
)
_LINE_COLUMNS = tuple(
    column.name for column in _line_table.c if column.name not in ("id", "order_id", *AFTER_SALE_COLUMNS)
)
# The reactions to a stock change this statement writes itself; a handler it does not know would be skipped.
_REACTIONS_WRITTEN = ("commerce.listings.reactions:queue_stock_pushes",)


def write_order(session: Session, plan: OrderPlan) -> WrittenOrder:
    """What ``writing.write_order`` does, in one statement for the first line and one per further line."""
    first, *others = plan.in_lock_order()
    single = not others
    line_values = [line.values() for line in plan.lines]
    parameters = {
        # Parameters named after a column would also be SET by the UPDATEs of the statement.
        **{f"order_{name}": plan.order[name] for name in _ORDER_COLUMNS},
        **{
            f"lines_{name}": line_values[0][name] if single else [values[name] for values in line_values]
            for name in _LINE_COLUMNS
        },
        **_take_parameters(first, plan),
    }
    shape = (first.flash_sale is not None, first.from_allocation, single)
    with write_transaction(session) if others else single_statement(session):
        connection = session.connection()
        written = connection.execute(prebuilt(session, _build_place_order, *shape), parameters).all()
        outcome = written[0]
        writing.check_taken(
            first,
            sale_taken=outcome.sale_taken,
            units_taken=outcome.units_taken,
            buyer_counted=outcome.buyer_counted,
        )
        for line in others:
            writing.take_line(connection, line, buyer_key=plan.buyer_key, now=plan.placed_at)
    line_of_sku = {row.sku_id: row.id for row in written}
    return WrittenOrder(outcome.order_id, [line_of_sku[line.sku_id] for line in plan.lines])


def _take_parameters(line: PlannedLine, plan: OrderPlan) -> dict[str, Any]:
    """The parameters of the conditions ``reservations`` and ``flash_sales`` take units with."""
    parameters = {"item": line.lineup_item_id, "sku": line.sku_id, "units": line.quantity, "now": plan.placed_at}
    if line.flash_sale is not None:
        parameters.update(sale=line.flash_sale.id, buyer=plan.buyer_key, limit=line.flash_sale.per_buyer_limit)
    return parameters


def _build_place_order(_dialect: str, with_sale: bool, from_allocation: bool, single: bool) -> Select:
    """The first line's units taken, and only then the order, its lines, their ledger rows and the
    stock pushes. It answers one row per line written, or a single row with no line when the
    units were not taken; each row tells which step found no room. ``single``: the order has one
    line, whose values are given as they are rather than as arrays of one (as
    ``sql.among_parameter`` explains)."""
    columns, taken, unread = _taking_line(with_sale, from_allocation)
    lines, others = _order_with_lines_and_ledger(only_if=taken, single=single)
    outcome = select(*columns).subquery("outcome")
    return (
        select(outcome, lines.c.id, lines.c.order_id, lines.c.sku_id)
        .select_from(outcome.outerjoin(lines, true()))
        .add_cte(*unread, *others)
    )


def _taking_line(with_sale: bool, from_allocation: bool) -> tuple[list, ColumnElement[bool], list[CTE]]:
    """``writing.take_line`` as CTEs: the columns say whether the sale had room, whether the units
    had (``sale_taken``, ``units_taken``) and whether the buyer was counted, as ``check_taken``
    takes them; the condition says whether everything was taken. The CTEs no column reads are
    returned to be added to the statement."""
    if not with_sale:
        level = _taking_units(from_allocation=from_allocation, only_if=true())
        units_taken = exists(select(level.c.sku_id))
        return (
            [true().label("sale_taken"), units_taken.label("units_taken"), true().label("buyer_counted")],
            units_taken,
            [],
        )
    room = select(flash_sales.SALE.c.id).where(*flash_sales.HAS_ROOM).with_for_update().cte("sale_room")
    has_room = exists(select(room.c.id))
    stock = _locking_units(from_allocation=from_allocation, only_if=has_room)
    has_units = exists(select(stock.c.sku_id))
    buyer = _counting_buyer(only_if=has_units)
    counted = exists(select(buyer.c.units))
    sale = flash_sales.TAKE_UNITS.where(counted).returning(flash_sales.SALE.c.id).cte("sale")
    level = _taking_units(from_allocation=from_allocation, only_if=counted)
    columns = [has_room.label("sale_taken"), has_units.label("units_taken"), counted.label("buyer_counted")]
    return columns, exists(select(level.c.sku_id)), [sale]


def _locking_units(*, from_allocation: bool, only_if: ColumnElement[bool]) -> CTE:
    """The SKU's id, selecting ``FOR UPDATE`` the row the units would come from if it holds them;
    ``_taking_units`` after it in the same statement then takes them without fail."""
    if from_allocation:
        allocation = reservations.TAKE_ALLOCATION.table
        source = select(allocation.c.sku_id).where(reservations.TAKE_ALLOCATION.whereclause)
    else:
        level = reservations.TAKE_AVAILABLE.table
        source = select(level.c.sku_id).where(reservations.TAKE_AVAILABLE.whereclause)
    return source.where(only_if).with_for_update().cte("stock_room")


def _taking_units(*, from_allocation: bool, only_if: ColumnElement[bool]) -> CTE:
    """``reservations.reserve_from_allocation`` or ``reserve_available`` if ``only_if`` holds; the
    last CTE returns the SKU's id when the units were taken."""
    if from_allocation:
        table = reservations.TAKE_ALLOCATION.table
        allocation = reservations.TAKE_ALLOCATION.where(only_if).returning(table.c.sku_id).cte("allocation")
        taken = reservations.ALLOCATED_TO_RESERVED.where(exists(select(allocation.c.sku_id)))
    else:
        taken = reservations.TAKE_AVAILABLE.where(only_if)
    return taken.returning(taken.table.c.sku_id).cte("level")


def _counting_buyer(*, only_if: ColumnElement[bool]) -> CTE:
    """``flash_sales.count_buyer`` if ``only_if`` holds, returning a row when the units were counted
    (the plan checked the quantity alone against the limit)."""
    buyer = flash_sales.BUYER
    counted = select(
        bindparam("sale", type_=buyer.c.flash_sale_id.type),
        bindparam("buyer", type_=buyer.c.buyer_key.type),
        bindparam("units", type_=buyer.c.units.type),
    ).where(only_if)
    statement = postgresql.insert(buyer).from_select(["flash_sale_id", "buyer_key", "units"], counted)
    return flash_sales.within_limit(statement).cte("buyer")


def _order_with_lines_and_ledger(only_if: ColumnElement[bool], *, single: bool) -> tuple[CTE, list[CTE]]:
    """The order (only if ``only_if`` holds), its lines (a line's SKU is unique in its order; its
    values as arrays unnested in step, or as they are for the ``single`` line), their ledger rows
    (``writing.placing_movement``) and the stock pushes; returns the lines' CTE and the others."""
    order_values = {name: bindparam(f"order_{name}", type_=_order_table.c[name].type) for name in _ORDER_COLUMNS}
    order = (
        _order_table.insert()
        .from_select(list(order_values), select(*order_values.values()).where(only_if))
        .returning(_order_table.c.id)
        .cte("new_order")
    )
    line_values = select(
        order.c.id,
        *(
            bindparam(f"lines_{name}", type_=_line_table.c[name].type)
            if single
            else func.unnest(bindparam(f"lines_{name}", type_=postgresql.ARRAY(_line_table.c[name].type)))
            for name in _LINE_COLUMNS
        ),
    )
    lines = (
        _line_table.insert()
        .from_select(["order_id", *_LINE_COLUMNS], line_values, include_defaults=False)
        .returning(*(_line_table.c[name] for name in ("id", "order_id", "sku_id", "quantity", "from_allocation")))
        .cte("new_lines")
    )
    ledger = _movement.insert().from_select(
        ["sku_id", "at", "kind", "on_hand_delta", "reserved_delta", "allocated_delta", "reason"]
        + ["reference", "actor_user_id"],
        select(
            lines.c.sku_id,
            order_values["placed_at"],
            fixed_text(MovementKind.ORDER_PLACED),
            literal_column("0"),
            lines.c.quantity,
            case((lines.c.from_allocation, -lines.c.quantity), else_=0),
            literal_column("''"),
            fixed_text(writing.ORDER_REFERENCE) + cast(lines.c.order_id, String),
            order_values["placed_by"],
        ),
    )
    return lines, [ledger.cte("ledger"), _stock_pushes(select(lines.c.sku_id)).cte("stock_pushes")]


def _stock_pushes(sku_ids: Select):
    """The reactions to the stock change of the SKUs ``sku_ids`` selects: those of
    ``events.StockChanged``, which this statement must know every one of."""
    handlers = events.HANDLERS.get(events.StockChanged, ())
    if handlers != _REACTIONS_WRITTEN:
        raise RuntimeError(f"an order's statement writes the reactions {_REACTIONS_WRITTEN}, not {handlers}")
    return stock_pushes("postgresql", sku_ids=sku_ids)
