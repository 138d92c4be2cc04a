"""Use cases of orders: intake (idempotent, all lines or none), cancellation, progress, reading.

Placing an order is the hottest write of the platform. Everything that can be checked is read
first; the write transaction then inserts the order, its lines and their ledger rows, and takes
the units with conditional UPDATEs last, so row locks on a hot SKU are held only until the
commit that follows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
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
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce import events
from commerce.accounts.models import Actor, Role
from commerce.audit import service as audit
from commerce.catalog.models import Product, ProductStatus, Sku
from commerce.clusters.errors import UnknownReference
from commerce.db import among, among_parameter, prebuilt, single_statement, utcnow, write_transaction
from commerce.errors import DomainError, Forbidden, InvalidStatusTransition, NotFound, ValidationFailed
from commerce.events import StockChanged
from commerce.inventory import reservations
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.models import MovementKind
from commerce.live import flash_sales, refusals
from commerce.live.errors import CurrencyMismatch, StreamNotLive
from commerce.live.models import FlashSale, LineupItem, Stream, StreamStatus
from commerce.orders.errors import (
    BuyerLimitReached,
    DuplicateSkuLine,
    FlashSaleSoldOut,
    IdempotencyMismatch,
    OrderTooLarge,
    PriceChanged,
    ProductNotOnSale,
    SkuNotInLineup,
    StreamRequired,
    TimeInFuture,
    UnitPriceRequired,
    UnknownSku,
)
from commerce.orders.models import OrderCreate, OrderLine, OrderStatus, SalesOrder
from commerce.pagination import Page, fetch_page
from commerce.permissions import is_firm_scoped, reach, reachable_firms, require_role
from commerce.validation import MESSAGES, RuleViolation, check_price, money_text

ORDER_PLACERS = (Role.HOST, Role.TRADE_OPERATOR, Role.SME)
PROGRESS = {
    OrderStatus.PAID: ({OrderStatus.PLACED}, "paid_at"),
    OrderStatus.SHIPPED: ({OrderStatus.PLACED, OrderStatus.PAID}, "shipped_at"),
    OrderStatus.CLEARED: ({OrderStatus.SHIPPED}, "cleared_at"),
}
CANCELLABLE = {OrderStatus.PLACED, OrderStatus.PAID}
# Totals stay within what the exact money columns hold on both databases (SQLite: 10**-4 units in 63 bits).
MAXIMUM_ORDER_TOTAL = 10**14
_order_table = SalesOrder.__table__
_line_table = OrderLine.__table__


@dataclass(slots=True)
class PlannedLine:
    """A line as it will be written, with where its units come from."""

    sku_id: int
    product_id: int
    enterprise_id: int
    quantity: int
    unit_price: Decimal
    lineup_item_id: int | None = None
    flash_sale: Any = None
    from_allocation: bool = False
    index: int = 0


@dataclass(frozen=True, slots=True)
class RunningSale:
    """A flash sale running on a line's SKU when the order came in."""

    id: int
    price_amount: Decimal
    per_buyer_limit: int


@dataclass(slots=True)
class OrderView:
    """An order with the lines the reader may see."""

    order: Any
    lines: list[Any] = field(default_factory=list)


def buyer_key(channel: str, buyer_id: str | None, buyer_name: str) -> str:
    """Who counts as the same buyer for flash-sale limits: the channel's buyer id, else the name."""
    return f"{channel}:{buyer_id}" if buyer_id else f"{channel}:name:{buyer_name.casefold()}"


# The reads of order intake, built once: constructing a statement costs more than running it here.
_EXISTING = select(_order_table).where(
    _order_table.c.channel == bindparam("channel"), _order_table.c.external_id == bindparam("external_id")
)


_SKU_COLUMNS = (Sku.id, Sku.product_id, Sku.enterprise_id, Sku.price_amount, Sku.currency, Product.status)


def _build_skus(dialect: str):
    return (
        select(*_SKU_COLUMNS)
        .join(Product, Product.id == Sku.product_id)
        .where(among_parameter(dialect, Sku.id, "sku_ids"))
    )


def _build_skus_in_stream(dialect: str):
    """The SKUs of a stream order, each with the stream, its product's lineup item and a flash
    sale running on it, in one read (a product is in a stream's lineup once)."""
    return (
        select(
            *_SKU_COLUMNS,
            Stream.status.label("stream_status"),
            Stream.currency.label("stream_currency"),
            Stream.host_user_id.label("stream_host"),
            LineupItem.id.label("item_id"),
            LineupItem.live_price_amount,
            FlashSale.id.label("sale_id"),
            FlashSale.price_amount.label("sale_price"),
            FlashSale.per_buyer_limit.label("sale_limit"),
        )
        .join(Product, Product.id == Sku.product_id)
        .outerjoin(Stream, Stream.id == bindparam("stream_id"))
        .outerjoin(
            LineupItem,
            (LineupItem.stream_id == Stream.id)
            & (LineupItem.product_id == Sku.product_id)
            & LineupItem.removed_at.is_(None),
        )
        .outerjoin(
            FlashSale,
            (FlashSale.item_id == LineupItem.id)
            & (FlashSale.sku_id == Sku.id)
            & (FlashSale.starts_at <= bindparam("now"))
            & (FlashSale.ends_at > bindparam("now")),
        )
        .where(among_parameter(dialect, Sku.id, "sku_ids"))
    )


_INSERT_ORDER = _order_table.insert().returning(_order_table.c.id)
_INSERT_LINES = _line_table.insert().returning(_line_table.c.id, sort_by_parameter_order=True)
# Set when the order moves on, not when it is taken.
_PROGRESS_TIMES = ("paid_at", "shipped_at", "cleared_at", "cancelled_at")
# What a new order and its lines are written with (a key missing from a row fails loudly).
_ORDER_COLUMNS = tuple(column.name for column in _order_table.c if column.name not in ("id", *_PROGRESS_TIMES))
_LINE_COLUMNS = tuple(column.name for column in _line_table.c if column.name not in ("id", "order_id"))


def _order_with_lines_and_ledger(only_if: ColumnElement[bool]) -> tuple[CTE, list[CTE]]:
    """PostgreSQL: CTEs writing the order (only if ``only_if`` holds), its lines (their columns go
    as arrays, unnested in step; a line's SKU is unique in its order), their ledger rows and the
    reactions to the stock change; returns the lines' CTE and the others."""
    # Parameters named after a column would also be SET by the UPDATEs of the statement.
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
            func.unnest(bindparam(f"lines_{name}", type_=postgresql.ARRAY(_line_table.c[name].type)))
            for name in _LINE_COLUMNS
        ),
    )
    lines = (
        _line_table.insert()
        .from_select(["order_id", *_LINE_COLUMNS], line_values)
        .returning(*(_line_table.c[name] for name in ("id", "order_id", "sku_id", "quantity", "from_allocation")))
        .cte("new_lines")
    )
    ledger = reservations.recording(
        sku_id=lines.c.sku_id,
        kind=MovementKind.ORDER_PLACED,
        reference=literal_column("'order:'") + cast(lines.c.order_id, String),
        actor_user_id=order_values["placed_by"],
        now=order_values["placed_at"],
        reserved=lines.c.quantity,
        allocated=case((lines.c.from_allocation, -lines.c.quantity), else_=0),
    ).cte("ledger")
    # Who follows stock hears of the change in the same statement (``now`` is the order's time).
    reactions = events.within_statement(StockChanged, "postgresql", sku_ids=select(lines.c.sku_id))
    return lines, [ledger, *(reaction.cte(f"reaction_{number}") for number, reaction in enumerate(reactions))]


def request_digest(data: OrderCreate) -> str:
    """SHA-256 of an order's request as read (whatever the order of its keys or its spacing)."""
    canonical = json.dumps(data.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _line_scope(actor: Actor) -> ColumnElement[bool] | None:
    """Which order lines the actor sees: a firm its own, a cluster's staff their cluster's firms'
    (None: every line)."""
    return reach(actor, _line_table.c.enterprise_id)


def _order_scope(actor: Actor) -> ColumnElement[bool] | None:
    """Which orders the actor sees: a host those of their own streams, the others the orders holding
    a line they see (None: every order)."""
    if actor.role == Role.HOST:
        return _order_table.c.stream_id.in_(select(Stream.id).where(Stream.host_user_id == actor.user_id))
    lines = _line_scope(actor)
    return None if lines is None else exists().where(_line_table.c.order_id == _order_table.c.id, lines)


def _existing(session: Session, channel: str, external_id: str):
    return session.connection().execute(_EXISTING, {"channel": channel, "external_id": external_id}).first()


def find_order(session: Session, *, channel: str, external_id: str) -> tuple[int, OrderStatus] | None:
    """The id and status of the order a channel knows by this id, if we have it."""
    row = _existing(session, channel, external_id)
    return (row.id, OrderStatus(row.status)) if row is not None else None


def _plan_lines(session: Session, actor: Actor, data: OrderCreate, now: datetime) -> list[PlannedLine]:
    if actor.role == Role.HOST and data.stream_id is None:
        raise StreamRequired(field="stream_id")
    seen: set[int] = set()
    for index, line in enumerate(data.lines):
        if line.sku_id in seen:
            raise DuplicateSkuLine(field=f"lines.{index}.sku_id", sku_id=line.sku_id)
        seen.add(line.sku_id)
    if data.stream_id is None:
        statement, parameters = prebuilt(session, _build_skus), {"sku_ids": list(seen)}
    else:
        statement = prebuilt(session, _build_skus_in_stream)
        parameters = {"sku_ids": list(seen), "stream_id": data.stream_id, "now": now}
    skus = {row.id: row for row in session.connection().execute(statement, parameters)}
    reachable = reachable_firms(session, actor)
    planned = []
    for index, line in enumerate(data.lines):
        sku = skus.get(line.sku_id)
        if sku is None or (reachable is not None and sku.enterprise_id not in reachable):
            raise UnknownSku(field=f"lines.{index}.sku_id", sku_id=line.sku_id)
        if sku.status != ProductStatus.APPROVED.value:
            raise ProductNotOnSale(field=f"lines.{index}.sku_id", sku_id=line.sku_id)
        price = line.unit_price
        if price is not None:
            try:
                check_price(price, data.currency)
            except RuleViolation as violation:
                error = ValidationFailed(
                    MESSAGES[violation.code], field=f"lines.{index}.unit_price", **violation.params
                )
                error.code = violation.code
                raise error from None
        if price is None and data.stream_id is None:
            if sku.currency != data.currency:
                raise UnitPriceRequired(field=f"lines.{index}.unit_price", sku_id=line.sku_id, currency=data.currency)
            price = sku.price_amount
        planned.append(
            PlannedLine(
                sku_id=sku.id,
                product_id=sku.product_id,
                enterprise_id=sku.enterprise_id,
                quantity=line.quantity,
                unit_price=price if price is not None else sku.price_amount,
                index=index,
            )
        )
    if data.stream_id is not None:
        _price_stream_lines(actor, data, planned, skus)
    return planned


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


def place_order(
    session: Session, *, actor: Actor, data: OrderCreate, now: datetime | None = None
) -> tuple[OrderView, bool]:
    """Take an order: all its lines' units are reserved, or none. The same (channel, external id) is one order.

    Returns the order and whether it was created by this call.
    """
    require_role(actor, *ORDER_PLACERS)
    now = now or utcnow()
    try:
        return _take_order(session, actor, data, now)
    except DomainError as error:
        # An order taken earlier stays the answer to its repeats, whatever has changed since (the
        # stream ended, the product was retired, the stock or the flash sale it took ran out, its
        # buyer reached the limit with it): on PostgreSQL the write takes the units before it
        # writes the order, so a repeat may be refused before the unique key would answer it.
        earlier = _stored_earlier(session, actor, data)
        if earlier is None:
            _note_stream_refusal(session, data, error, now)
            raise
        return earlier, False


def _note_stream_refusal(session: Session, data: OrderCreate, error: DomainError, now: datetime) -> None:
    """A stream's order refused for want of stock or of its deal is counted for the host's report."""
    sku_id = error.params.get("sku_id")
    if data.stream_id is None or sku_id is None:
        return
    refusals.note_refusal(
        session,
        stream_id=data.stream_id,
        channel=data.channel,
        external_id=data.external_id,
        sku_id=sku_id,
        quantity=sum(line.quantity for line in data.lines if line.sku_id == sku_id),
        code=error.code,
        now=now,
    )


def _stored_earlier(session: Session, actor: Actor, data: OrderCreate) -> OrderView | None:
    """The order already stored under the channel and external id of ``data``, if there is one; a
    different request under the same id is refused (409), naming the stored order to whoever sees it."""
    existing = _existing(session, data.channel, data.external_id)
    if existing is None:
        return None
    if existing.request_digest is not None and existing.request_digest != request_digest(data):
        try:
            _view_of(session, actor, existing)
        except NotFound:
            raise IdempotencyMismatch(external_id=data.external_id) from None
        raise IdempotencyMismatch(external_id=data.external_id, order_id=existing.id)
    return _view_of(session, actor, existing)


def _take_order(session: Session, actor: Actor, data: OrderCreate, now: datetime) -> tuple[OrderView, bool]:
    """Plan, price and write a new order; the unique key answers a repeat that gets as far as the write."""
    planned = _plan_lines(session, actor, data, now)
    total = sum((line.unit_price * line.quantity for line in planned), Decimal(0))
    if total >= MAXIMUM_ORDER_TOTAL:
        raise OrderTooLarge(field="lines", maximum=MAXIMUM_ORDER_TOTAL)
    export = data.export
    key = buyer_key(data.channel, data.buyer.id, data.buyer.name)
    order_row = {
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
    # A stream line is expected to draw on the stream's allocation; if the allocation turns out
    # short, the order is written again with that line drawing on general stock.
    for line in planned:
        line.from_allocation = line.lineup_item_id is not None
    while True:
        try:
            order_id, line_rows, line_ids = _write_order(session, planned, order_row, key, now)
        except _AllocationShort as short:
            session.rollback()
            planned[short.position].from_allocation = False
            continue
        except IntegrityError:
            # The same order arrived concurrently or earlier and was stored first: answer with that one.
            session.rollback()
            earlier = _stored_earlier(session, actor, data)
            if earlier is None:
                raise
            return earlier, False
        break
    order = {"id": order_id, **order_row, **dict.fromkeys(_PROGRESS_TIMES)}
    lines = [
        {**row, "id": line_id}
        for row, line_id in zip(line_rows, line_ids, strict=True)
        if not is_firm_scoped(actor) or row["enterprise_id"] == actor.enterprise_id
    ]
    return OrderView(order=_Row(order), lines=[_Row(line) for line in lines]), True


class _AllocationShort(Exception):
    """A stream line expected to draw on its allocation found it short (``position`` in the planned lines)."""

    def __init__(self, position: int):
        super().__init__(position)
        self.position = position


def _write_order(
    session: Session, planned: list[PlannedLine], order_row: dict, key: str, now: datetime
) -> tuple[int, list[dict], list[int]]:
    """The order, its lines, their ledger rows and the units they take, all or nothing.

    The units are taken last and in SKU order: the rows every buyer of a hot item contends for
    (the flash sale, the stream's allocation, the SKU's stock level) are then locked only from
    their UPDATE to the commit right after it.
    """
    line_rows = [
        {
            "sku_id": line.sku_id,
            "product_id": line.product_id,
            "enterprise_id": line.enterprise_id,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "lineup_item_id": line.lineup_item_id,
            "flash_sale_id": line.flash_sale.id if line.flash_sale is not None else None,
            "from_allocation": line.from_allocation,
        }
        for line in planned
    ]
    in_lock_order = _in_lock_order(planned)
    if session.get_bind().dialect.name == "postgresql":
        order_id, line_ids = _place_order(session, in_lock_order, order_row, line_rows, key, now)
    else:
        with write_transaction(session):
            # Who follows stock hears of the change first, before any hot row is locked.
            reservations.announce(session, [line.sku_id for line in planned])
            order_id, line_ids = _insert_order(session, order_row, line_rows)
            connection = session.connection()
            for position, line in in_lock_order:
                _check_taken(position, line, *_take_line(connection, line, key, now))
    return order_id, [{"order_id": order_id, **row} for row in line_rows], line_ids


def _place_order(
    session: Session,
    in_lock_order: list[tuple[int, PlannedLine]],
    order_row: dict,
    line_rows: list[dict],
    key: str,
    now: datetime,
) -> tuple[int, list[int]]:
    """PostgreSQL: one statement writes the order, its lines, their ledger rows and the stock pushes
    that follow, if it takes the first line's units; further lines take theirs after it.

    The statement writes all of that or nothing (``_taking_line``), so a one-line order is that
    statement alone, committed on its own: no BEGIN or COMMIT round trip, and the hot rows' locks
    end inside the server. An order of several lines runs in a transaction, as a later line that
    cannot have its units must undo the earlier ones.
    """
    position, first = in_lock_order[0]
    parameters = {
        **{f"order_{name}": value for name, value in order_row.items()},
        **{f"lines_{name}": [row[name] for row in line_rows] for name in _LINE_COLUMNS},
        **_take_parameters(first, key, now),
    }
    with single_statement(session) if len(in_lock_order) == 1 else write_transaction(session):
        connection = session.connection()
        written = connection.execute(prebuilt(session, _build_place_order, *_take_kind(first)), parameters).all()
        _check_taken(position, first, written[0].buyer_counted, written[0].sale_taken, written[0].units_taken)
        order_id, line_of_sku = written[0].order_id, {row.sku_id: row.id for row in written}
        for position, line in in_lock_order[1:]:
            _check_taken(position, line, *_take_line(connection, line, key, now))
    return order_id, [line_of_sku[row["sku_id"]] for row in line_rows]


def _insert_order(session: Session, order_row: dict, line_rows: list[dict]) -> tuple[int, list[int]]:
    """SQLite: insert the order, its lines and their ledger rows; returns the ids of the order and
    of its lines (in the order given)."""
    connection = session.connection()
    order_id = connection.execute(_INSERT_ORDER, order_row).scalar_one()
    line_ids = connection.execute(_INSERT_LINES, [{"order_id": order_id, **row} for row in line_rows])
    reservations.write(
        session,
        [
            reservations.movement(
                row["sku_id"],
                MovementKind.ORDER_PLACED,
                reference=f"order:{order_id}",
                actor_user_id=order_row["placed_by"],
                reserved=row["quantity"],
                allocated=-row["quantity"] if row["from_allocation"] else 0,
                now=order_row["placed_at"],
            )
            for row in line_rows
        ],
    )
    return order_id, list(line_ids.scalars())


class _Row(dict):
    """A written row read back by attribute, like the rows the database returns."""

    __getattr__ = dict.__getitem__


def _in_lock_order(planned: list[PlannedLine]) -> list[tuple[int, PlannedLine]]:
    """Lines by SKU id, so that two orders sharing SKUs lock their rows in the same order."""
    return sorted(enumerate(planned), key=lambda pair: pair[1].sku_id)


def _taking_line(with_sale: bool, from_allocation: bool) -> tuple[list, ColumnElement[bool], list[CTE]]:
    """PostgreSQL: a line's units counted against its buyer's limit and in its flash sale (if any),
    and taken from the stream's allocation or general stock, as data-modifying CTEs; the columns
    say whether the buyer's count was within the limit, whether the sale had room and whether the
    units were taken, and the condition whether all of them were. The CTEs no column reads are
    returned to be added to the statement.

    A flash sale's line first locks the sale's row and then the row its units come from, each only
    if it has room for them, and counts the buyer only if both had; the sale and the units are
    then taken only if the buyer was counted. Either every step writes or none does, so the
    statement needs no transaction around it.
    """
    if not with_sale:
        level = reservations.taking_units(from_allocation=from_allocation, only_if=true())
        units_taken = exists(select(level.c.sku_id))
        return (
            [true().label("buyer_counted"), true().label("sale_taken"), units_taken.label("units_taken")],
            units_taken,
            [],
        )
    room = flash_sales.locking_room()
    has_room = exists(select(room.c.id))
    stock = reservations.locking_units(from_allocation=from_allocation, only_if=has_room)
    has_units = exists(select(stock.c.sku_id))
    buyer = flash_sales.counting_buyer(only_if=has_units)
    counted = exists(select(buyer.c.units))
    sale = flash_sales.taking_units(only_if=counted)
    level = reservations.taking_units(from_allocation=from_allocation, only_if=counted)
    units_taken = exists(select(level.c.sku_id))
    columns = [
        # The buyer's limit is what stopped the line only if the sale and the stock had room.
        (counted | ~has_units).label("buyer_counted"),
        has_room.label("sale_taken"),
        units_taken.label("units_taken"),
    ]
    return columns, units_taken, [sale]


def _build_place_order(dialect: str, with_sale: bool, from_allocation: bool) -> Select:
    """PostgreSQL: the first line's units taken, and only then the order, its lines, their ledger
    rows and the reactions to the stock change, in one statement. It answers one row per line
    written, or a single row with no line when the units were not taken; each row tells what was."""
    columns, taken, unread = _taking_line(with_sale, from_allocation)
    lines, others = _order_with_lines_and_ledger(only_if=taken)
    outcome = select(*columns).subquery("outcome")
    return (
        select(outcome, lines.c.id, lines.c.order_id, lines.c.sku_id)
        .select_from(outcome.outerjoin(lines, true()))
        .add_cte(*unread, *others)
    )


_TAKE_KINDS = [(with_sale, from_allocation) for with_sale in (True, False) for from_allocation in (True, False)]


def _build_take_line(with_sale: bool, from_allocation: bool) -> Select:
    columns, _taken, unread = _taking_line(with_sale, from_allocation)
    return select(*columns).add_cte(*unread)


_TAKE_LINE = {kind: _build_take_line(*kind) for kind in _TAKE_KINDS}


def _take_kind(line: PlannedLine) -> tuple[bool, bool]:
    return line.flash_sale is not None, line.from_allocation


def _take_parameters(line: PlannedLine, key: str, now: datetime) -> dict[str, Any]:
    parameters = {"item": line.lineup_item_id, "sku": line.sku_id, "units": line.quantity, "now": now}
    if line.flash_sale is not None:
        parameters.update(sale=line.flash_sale.id, buyer=key, limit=line.flash_sale.per_buyer_limit)
    return parameters


def _take_line(connection: Connection, line: PlannedLine, key: str, now: datetime) -> tuple[bool, bool, bool]:
    """(whether the buyer's limit let the units through, whether the flash sale counted them,
    whether the units were taken); for a line outside a flash sale the first two are True."""
    if connection.dialect.name == "postgresql":
        return tuple(connection.execute(_TAKE_LINE[_take_kind(line)], _take_parameters(line, key, now)).one())
    sale = line.flash_sale
    if sale is not None:
        if not flash_sales.count_buyer(
            connection, sale_id=sale.id, buyer_key=key, quantity=line.quantity, limit=sale.per_buyer_limit
        ):
            return False, False, False
        if not flash_sales.take_units(connection, sale_id=sale.id, quantity=line.quantity, now=now):
            return True, False, False
    if line.from_allocation:
        taken = reservations.reserve_from_allocation(
            connection, lineup_item_id=line.lineup_item_id, sku_id=line.sku_id, quantity=line.quantity, now=now
        )
    else:
        taken = reservations.reserve_available(connection, sku_id=line.sku_id, quantity=line.quantity, now=now)
    return True, True, taken


def _check_taken(position: int, line: PlannedLine, buyer_counted: bool, sale_taken: bool, units_taken: bool) -> None:
    """Stop the order at the first line that could not have its units."""
    if not buyer_counted:
        raise BuyerLimitReached(
            field=f"lines.{line.index}.quantity", limit=line.flash_sale.per_buyer_limit, sku_id=line.sku_id
        )
    if not sale_taken:
        raise FlashSaleSoldOut(field=f"lines.{line.index}.quantity", sku_id=line.sku_id)
    if not units_taken:
        if line.from_allocation:
            raise _AllocationShort(position)
        raise InsufficientStock(field=f"lines.{line.index}.quantity", sku_id=line.sku_id)


def _lines_of(session: Session, order_id: int, actor: Actor) -> list[Any]:
    statement = select(_line_table).where(_line_table.c.order_id == order_id).order_by(_line_table.c.id)
    scope = _line_scope(actor)
    if scope is not None:
        statement = statement.where(scope)
    return list(session.execute(statement))


def _view_of(session: Session, actor: Actor, order_row: Any) -> OrderView:
    """The order with the lines the actor sees; 404 for an order outside the actor's scope."""
    _require_own_stream(session, actor, order_row)
    lines = _lines_of(session, order_row.id, actor)
    if _line_scope(actor) is not None and not lines:
        raise NotFound()
    return OrderView(order=order_row, lines=lines)


def _require_own_stream(session: Session, actor: Actor, order_row: Any) -> None:
    """Hide (404) from a host an order not taken in one of their streams."""
    if actor.role != Role.HOST:
        return
    stream_id = order_row.stream_id
    host = session.scalar(select(Stream.host_user_id).where(Stream.id == stream_id)) if stream_id else None
    if host != actor.user_id:
        raise NotFound()


def _order_row(session: Session, order_id: int):
    row = session.execute(select(_order_table).where(_order_table.c.id == order_id)).first()
    if row is None:
        raise NotFound()
    return row


def get_order(session: Session, *, actor: Actor, order_id: int) -> OrderView:
    """One order, with only the caller's own lines for a firm."""
    require_role(actor, *ORDER_PLACERS)
    return _view_of(session, actor, _order_row(session, order_id))


def list_orders(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    status: OrderStatus | None = None,
    stream_id: int | None = None,
    channel: str | None = None,
) -> Page[OrderView]:
    """Orders oldest first; a firm sees the orders holding its lines, and only those lines."""
    require_role(actor, *ORDER_PLACERS)
    statement = select(_order_table)
    if status is not None:
        statement = statement.where(_order_table.c.status == status.value)
    if stream_id is not None:
        statement = statement.where(_order_table.c.stream_id == stream_id)
    if channel is not None:
        statement = statement.where(_order_table.c.channel == channel)
    scope = _order_scope(actor)
    if scope is not None:
        statement = statement.where(scope)
    page = fetch_page(session, statement, id_column=_order_table.c.id, limit=limit, after=after, as_rows=True)
    ids = [row.id for row in page.items]
    lines: dict[int, list[Any]] = {order_id: [] for order_id in ids}
    if ids:
        line_statement = select(_line_table).where(among(session, _line_table.c.order_id, ids))
        line_scope = _line_scope(actor)
        if line_scope is not None:
            line_statement = line_statement.where(line_scope)
        for line in session.execute(line_statement.order_by(_line_table.c.id)):
            lines[line.order_id].append(line)
    return Page(items=[OrderView(order=row, lines=lines[row.id]) for row in page.items], next_after=page.next_after)


def _order_for_change(session: Session, actor: Actor, order_id: int):
    """The order to change, if the actor sees it; a firm (or a cluster's staff) may change only
    orders made up wholly of lines it sees."""
    require_role(actor, *ORDER_PLACERS)
    row = _order_row(session, order_id)
    _require_own_stream(session, actor, row)
    statement = select(_line_table).where(_line_table.c.order_id == order_id).order_by(_line_table.c.sku_id)
    scope = _line_scope(actor)
    if scope is not None:
        statement = statement.add_columns(scope.label("seen"))
    lines = list(session.execute(statement))
    if scope is not None:
        seen = sum(1 for line in lines if line.seen)
        if not seen:
            raise NotFound()
        if seen != len(lines):
            raise Forbidden()
    return row, lines


def cancel_order(session: Session, *, actor: Actor, order_id: int, now: datetime | None = None) -> OrderView:
    """Cancel an order not yet shipped; its units return exactly once (to the stream if it is still live)."""
    now = now or utcnow()
    with write_transaction(session):
        row, lines = _order_for_change(session, actor, order_id)
        changed = session.execute(
            update(_order_table)
            .where(_order_table.c.id == order_id, _order_table.c.status.in_([status.value for status in CANCELLABLE]))
            .values(status=OrderStatus.CANCELLED.value, cancelled_at=now)
        ).rowcount
        if changed != 1:
            raise InvalidStatusTransition(current=row.status, target=OrderStatus.CANCELLED.value)
        stream_live = False
        if row.stream_id is not None:
            stream_live = session.scalar(select(Stream.status).where(Stream.id == row.stream_id)) == StreamStatus.LIVE
        key = buyer_key(row.channel, row.buyer_id, row.buyer_name)
        movements = []
        for line in lines:
            # The sale's row first, as an order of the sale locks it first: neither waits for the other in a circle.
            if line.flash_sale_id is not None:
                flash_sales.give_back(session, sale_id=line.flash_sale_id, buyer_key=key, quantity=line.quantity)
            back_to_stream = line.from_allocation and stream_live
            reservations.release_reservation(
                session,
                sku_id=line.sku_id,
                quantity=line.quantity,
                now=now,
                from_lineup_item_id=line.lineup_item_id if line.from_allocation else None,
                back_to_stream=back_to_stream,
            )
            movements.append(
                reservations.movement(
                    line.sku_id,
                    MovementKind.ORDER_CANCELLED,
                    reference=f"order:{order_id}",
                    actor_user_id=actor.user_id,
                    reserved=-line.quantity,
                    allocated=line.quantity if back_to_stream else 0,
                    now=now,
                )
            )
        reservations.record(session, movements)
        audit.record(session, actor=actor, entity="order", entity_id=order_id, action="cancelled", changes={})
    return get_order(session, actor=actor, order_id=order_id)


def record_progress(
    session: Session, *, actor: Actor, order_id: int, status: OrderStatus, at: datetime | None = None
) -> OrderView:
    """Record that an order was paid, shipped (its units leave stock) or cleared customs, and when."""
    now = utcnow()
    at = at or now
    if at > now + timedelta(minutes=5):
        raise TimeInFuture(field="at")
    allowed, column = PROGRESS[status]
    with write_transaction(session):
        row, lines = _order_for_change(session, actor, order_id)
        changed = session.execute(
            update(_order_table)
            .where(_order_table.c.id == order_id, _order_table.c.status.in_([value.value for value in allowed]))
            .values(status=status.value, **{column: at})
        ).rowcount
        if changed != 1:
            raise InvalidStatusTransition(current=row.status, target=status.value)
        if status == OrderStatus.SHIPPED:
            for line in lines:
                reservations.ship_reserved(session, sku_id=line.sku_id, quantity=line.quantity, now=now)
            reservations.record(
                session,
                [
                    reservations.movement(
                        line.sku_id,
                        MovementKind.ORDER_SHIPPED,
                        reference=f"order:{order_id}",
                        actor_user_id=actor.user_id,
                        on_hand=-line.quantity,
                        reserved=-line.quantity,
                        now=now,
                    )
                    for line in lines
                ],
            )
        audit.record(
            session,
            actor=actor,
            entity="order",
            entity_id=order_id,
            action=status.value,
            changes={"at": at.isoformat()},
        )
    return get_order(session, actor=actor, order_id=order_id)
