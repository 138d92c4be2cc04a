"""Use cases of orders: intake (idempotent, all lines or none), cancellation, progress, reading.

Placing an order is the hottest write of the platform. Everything that can be checked is read
and priced first (``planning``); the write then inserts the order, its lines and their ledger
rows and takes the units with conditional UPDATEs last (``writing``, or on PostgreSQL the same
in one statement: ``postgresql``), so row locks on a hot SKU are held only until the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.permissions import is_firm_scoped, reach
from commerce.db import utcnow, violated_check, write_transaction
from commerce.errors import DomainError, Forbidden, InvalidStatusTransition, NotFound
from commerce.inventory import reservations
from commerce.inventory.models import MovementKind
from commerce.live import flash_sales, refusals
from commerce.live.models import Stream, StreamStatus
from commerce.orders import postgresql, writing
from commerce.orders.errors import AfterSalesExist, IdempotencyMismatch, RefundPending, TimeInFuture
from commerce.orders.models import (
    UNITS_ACCOUNTED,
    LineRecord,
    OrderCreate,
    OrderLine,
    OrderRecord,
    OrderStatus,
    OrderView,
    SalesOrder,
)
from commerce.orders.planning import OrderPlan, buyer_key, plan_order, request_digest
from commerce.pagination import Page, fetch_page
from commerce.sql import among, on_postgresql

ORDER_PLACERS = (Role.HOST, Role.TRADE_OPERATOR, Role.SME)
PROGRESS = {
    OrderStatus.PAID: ({OrderStatus.PLACED}, "paid_at"),
    OrderStatus.SHIPPED: ({OrderStatus.PLACED, OrderStatus.PAID}, "shipped_at"),
    OrderStatus.CLEARED: ({OrderStatus.SHIPPED}, "cleared_at"),
}
CANCELLABLE = {OrderStatus.PLACED, OrderStatus.PAID}
_order_table = SalesOrder.__table__
_line_table = OrderLine.__table__
_EXISTING = select(_order_table).where(
    _order_table.c.channel == bindparam("channel"), _order_table.c.external_id == bindparam("external_id")
)


def _line_scope(actor: Actor) -> ColumnElement[bool] | None:
    """Which order lines the actor sees: a firm its own, a cluster's staff their cluster's firms'
    (None: every line)."""
    return reach(actor, _line_table.c.enterprise_id)


def order_scope(actor: Actor) -> ColumnElement[bool] | None:
    """Which orders the actor sees: a host those of their own streams, the others the orders holding
    a line they see (None: every order)."""
    if actor.role == Role.HOST:
        return _order_table.c.stream_id.in_(select(Stream.id).where(Stream.host_user_id == actor.user_id))
    lines = _line_scope(actor)
    return None if lines is None else exists().where(_line_table.c.order_id == _order_table.c.id, lines)


def _existing(session: Session, channel: str, external_id: str) -> OrderRecord | None:
    row = session.connection().execute(_EXISTING, {"channel": channel, "external_id": external_id}).first()
    return OrderRecord(**row._mapping) if row is not None else None


def find_order(session: Session, *, channel: str, external_id: str) -> tuple[int, OrderStatus] | None:
    """The id and status of the order a channel knows by this id, if we have it."""
    row = _existing(session, channel, external_id)
    return (row.id, OrderStatus(row.status)) if row is not None else None


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
    """Plan and write a new order; the unique key answers a repeat that gets as far as the write."""
    plan = plan_order(session, actor, data, now)
    write = postgresql.write_order if on_postgresql(session) else writing.write_order
    while True:
        try:
            written = write(session, plan)
        except writing.AllocationShort as short:
            # The stream's allocation ran short: that line draws on general stock instead.
            session.rollback()
            short.line.from_allocation = False
            continue
        except IntegrityError:
            # The same order arrived concurrently or earlier and was stored first: answer with that one.
            session.rollback()
            earlier = _stored_earlier(session, actor, data)
            if earlier is None:
                raise
            return earlier, False
        return _view_of_written(actor, plan, written), True


def _view_of_written(actor: Actor, plan: OrderPlan, written: writing.WrittenOrder) -> OrderView:
    order = OrderRecord(id=written.order_id, **plan.order)
    lines = [
        LineRecord(id=line_id, order_id=written.order_id, **line.values())
        for line, line_id in zip(plan.lines, written.line_ids, strict=True)
        if not is_firm_scoped(actor) or line.enterprise_id == actor.enterprise_id
    ]
    return OrderView(order=order, lines=lines)


def _lines_of(session: Session, order_id: int, actor: Actor) -> list[LineRecord]:
    statement = select(_line_table).where(_line_table.c.order_id == order_id).order_by(_line_table.c.id)
    scope = _line_scope(actor)
    if scope is not None:
        statement = statement.where(scope)
    return [LineRecord(**row._mapping) for row in session.execute(statement)]


def _view_of(session: Session, actor: Actor, order: OrderRecord) -> OrderView:
    """The order with the lines the actor sees; 404 for an order outside the actor's scope."""
    _require_own_stream(session, actor, order)
    lines = _lines_of(session, order.id, actor)
    if _line_scope(actor) is not None and not lines:
        raise NotFound()
    return OrderView(order=order, lines=lines)


def _require_own_stream(session: Session, actor: Actor, order_row: OrderRecord) -> None:
    """Hide (404) from a host an order not taken in one of their streams."""
    if actor.role != Role.HOST:
        return
    stream_id = order_row.stream_id
    host = session.scalar(select(Stream.host_user_id).where(Stream.id == stream_id)) if stream_id else None
    if host != actor.user_id:
        raise NotFound()


def _order_row(session: Session, order_id: int) -> OrderRecord:
    row = session.execute(select(_order_table).where(_order_table.c.id == order_id)).first()
    if row is None:
        raise NotFound()
    return OrderRecord(**row._mapping)


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
    scope = order_scope(actor)
    if scope is not None:
        statement = statement.where(scope)
    page = fetch_page(session, statement, id_column=_order_table.c.id, limit=limit, after=after, as_rows=True)
    ids = [row.id for row in page.items]
    lines: dict[int, list[LineRecord]] = {order_id: [] for order_id in ids}
    if ids:
        line_statement = select(_line_table).where(among(session, _line_table.c.order_id, ids))
        line_scope = _line_scope(actor)
        if line_scope is not None:
            line_statement = line_statement.where(line_scope)
        for line in session.execute(line_statement.order_by(_line_table.c.id)):
            lines[line.order_id].append(LineRecord(**line._mapping))
    views = [OrderView(order=OrderRecord(**row._mapping), lines=lines[row.id]) for row in page.items]
    return Page(items=views, next_after=page.next_after)


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
        if any(
            line.refund_claimed_amount or line.release_requested_quantity or line.released_quantity for line in lines
        ):
            # The order row locked by the UPDATE above keeps a new after-sale from arriving meanwhile.
            raise AfterSalesExist()
        stream_live = _stream_live(session, row)
        movements = [
            give_back_units(
                session,
                actor,
                row,
                line,
                line.quantity,
                stream_live=stream_live,
                kind=MovementKind.ORDER_CANCELLED,
                reference=writing.order_reference(order_id),
                now=now,
            )
            for line in lines
        ]
        reservations.record(session, movements)
        audit.record(session, actor=actor, entity="order", entity_id=order_id, action="cancelled", changes={})
    return get_order(session, actor=actor, order_id=order_id)


def _stream_live(session: Session, order: OrderRecord) -> bool:
    """Whether the stream the order was taken in is still live."""
    if order.stream_id is None:
        return False
    return session.scalar(select(Stream.status).where(Stream.id == order.stream_id)) == StreamStatus.LIVE


def give_back_units(
    session: Session,
    actor: Actor,
    order: OrderRecord,
    line,
    quantity: int,
    *,
    stream_live: bool | None = None,
    kind: MovementKind,
    reference: str,
    now: datetime,
) -> dict:
    """Give back ``quantity`` reserved units of an order line, not shipped: to its flash sale, and
    to the stream's allocation while the stream is still live, else to general stock. Returns the
    ledger row, for the caller to ``reservations.record``."""
    if stream_live is None:
        stream_live = _stream_live(session, order)
    # The sale's row first, as an order of the sale locks it first: neither waits for the other in a circle.
    if line.flash_sale_id is not None:
        key = buyer_key(order.channel, order.buyer_id, order.buyer_name)
        flash_sales.give_back(session, sale_id=line.flash_sale_id, buyer_key=key, quantity=quantity)
    back_to_stream = line.from_allocation and stream_live
    reservations.release_reservation(
        session,
        sku_id=line.sku_id,
        quantity=quantity,
        now=now,
        from_lineup_item_id=line.lineup_item_id if line.from_allocation else None,
        back_to_stream=back_to_stream,
    )
    return reservations.movement(
        line.sku_id,
        kind,
        reference=reference,
        actor_user_id=actor.user_id,
        reserved=-quantity,
        allocated=quantity if back_to_stream else 0,
        now=now,
    )


def order_line_for_change(
    session: Session, actor: Actor, order_id: int, line_id: int
) -> tuple[OrderRecord, LineRecord]:
    """An order line to change after its order was taken (an after-sale), with its order, whose row
    stays locked until the transaction ends, so that changes of one order take turns; 404 for a
    line the actor does not see."""
    require_role(actor, *ORDER_PLACERS)
    row = session.execute(select(_order_table).where(_order_table.c.id == order_id).with_for_update()).first()
    if row is None:
        raise NotFound()
    order = OrderRecord(**row._mapping)
    _require_own_stream(session, actor, order)
    statement = select(_line_table).where(_line_table.c.id == line_id, _line_table.c.order_id == order_id)
    scope = _line_scope(actor)
    if scope is not None:
        statement = statement.where(scope)
    line = session.execute(statement).first()
    if line is None:
        raise NotFound()
    return order, LineRecord(**line._mapping)


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
            _ship_lines(session, actor, order_id, lines, now)
        audit.record(
            session,
            actor=actor,
            entity="order",
            entity_id=order_id,
            action=status.value,
            changes={"at": at.isoformat()},
        )
    return get_order(session, actor=actor, order_id=order_id)


_SHIP_LINES = (
    update(_line_table)
    .where(_line_table.c.order_id == bindparam("order"))
    .values(shipped_quantity=_line_table.c.quantity - _line_table.c.released_quantity)
)


def _ship_lines(session: Session, actor: Actor, order_id: int, lines, now: datetime) -> None:
    """Every unit of the order's lines leaves but those refunds before shipping freed; a refund
    still waiting for its answer stops the shipment (the line's constraint counts its units)."""
    try:
        session.execute(_SHIP_LINES, {"order": order_id})
    except IntegrityError as error:
        if violated_check(error) == UNITS_ACCOUNTED:
            raise RefundPending() from None
        raise
    shipped = [(line.sku_id, line.quantity - line.released_quantity) for line in lines]
    shipped = [(sku_id, quantity) for sku_id, quantity in shipped if quantity]
    for sku_id, quantity in shipped:
        reservations.ship_reserved(session, sku_id=sku_id, quantity=quantity, now=now)
    reservations.record(
        session,
        [
            reservations.movement(
                sku_id,
                MovementKind.ORDER_SHIPPED,
                reference=writing.order_reference(order_id),
                actor_user_id=actor.user_id,
                on_hand=-quantity,
                reserved=-quantity,
                now=now,
            )
            for sku_id, quantity in shipped
        ],
    )
