"""Use cases of after-sales: a request on an order line, its answer, the return's receipt and
inspection, and the refund.

Every change of an after-sale first locks its order's row (``orders.service.order_line_for_change``),
so the after-sales, the cancellation and the shipping of one order take turns. What a request
claims is counted on its line at once, by one UPDATE the line's constraints bound (refunds within
what was paid, units refunded before shipping within those not shipped, returns within those
shipped); a request they refuse is answered 409 and nothing is written. A refusal gives its claim
back.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.aftersales.errors import (
    AfterSaleIdTaken,
    InspectionIncomplete,
    OrderNotPaid,
    RefundExceedsPaid,
    ReturnExceedsShipped,
    UnitsAlreadyShipped,
)
from commerce.aftersales.models import (
    STEPS,
    AfterSale,
    AfterSaleCreate,
    AfterSaleKind,
    AfterSaleStatus,
    InspectionInput,
    default_amount,
)
from commerce.audit import service as audit
from commerce.clusters.permissions import reach
from commerce.db import row_for_update, utcnow, violated_check, write_transaction
from commerce.errors import InvalidStatusTransition, NotFound, ValidationFailed
from commerce.inventory import reservations
from commerce.inventory.models import MovementKind
from commerce.inventory.service import change_on_hand
from commerce.orders import service as orders
from commerce.orders.models import (
    REFUND_WITHIN_PAID,
    RETURN_WITHIN_SHIPPED,
    UNITS_ACCOUNTED,
    LineRecord,
    OrderLine,
    OrderRecord,
    OrderStatus,
    SalesOrder,
)
from commerce.orders.planning import MAXIMUM_ORDER_TOTAL
from commerce.pagination import Page, fetch_page
from commerce.validation import RuleViolation, check_amount

# Who asks for an after-sale on a buyer's behalf: whoever may take the order.
REQUESTERS = orders.ORDER_PLACERS
# Who answers: the firm whose line it is, or the trade platform's staff.
DECIDERS = (Role.SME, Role.TRADE_OPERATOR)
# The order statuses an after-sale may be asked in: paid, whether shipped or not.
PAID_STATUSES = {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.CLEARED}
# How the stock ledger names an after-sale: this and its id.
AFTER_SALE_REFERENCE = "after_sale:"
_line = OrderLine.__table__
# The answer to each constraint of a line an after-sale's claim may break.
_REFUSALS = {
    REFUND_WITHIN_PAID: RefundExceedsPaid,
    UNITS_ACCOUNTED: UnitsAlreadyShipped,
    RETURN_WITHIN_SHIPPED: ReturnExceedsShipped,
}
# An after-sale's claim on its line: added when asked, taken back when refused (``sign`` -1).
_CLAIM = (
    update(_line)
    .where(_line.c.id == bindparam("line"))
    .values(
        refund_claimed_amount=_line.c.refund_claimed_amount
        + bindparam("amount", type_=_line.c.refund_claimed_amount.type),
        release_requested_quantity=_line.c.release_requested_quantity + bindparam("release"),
        returned_quantity=_line.c.returned_quantity + bindparam("returned"),
    )
)
_REFUNDED = (
    update(_line)
    .where(_line.c.id == bindparam("line"))
    .values(refunded_amount=_line.c.refunded_amount + bindparam("amount", type_=_line.c.refunded_amount.type))
)
_RELEASED = (
    update(_line)
    .where(_line.c.id == bindparam("line"))
    .values(
        release_requested_quantity=_line.c.release_requested_quantity - bindparam("units"),
        released_quantity=_line.c.released_quantity + bindparam("units"),
    )
)


def after_sale_reference(after_sale_id: int) -> str:
    """How the stock ledger names an after-sale."""
    return f"{AFTER_SALE_REFERENCE}{after_sale_id}"


def request_after_sale(
    session: Session, *, actor: Actor, data: AfterSaleCreate, now: datetime | None = None
) -> tuple[AfterSale, bool]:
    """Ask for a refund or a return on an order line. The same (channel, external id) is one
    request: asked again, it answers the request already made. Returns it and whether it is new.
    Whoever may place an order asks (``orders.order_line_for_change`` holds the role)."""
    now = now or utcnow()
    try:
        with write_transaction(session):
            order, line = orders.order_line_for_change(session, actor, data.order_id, data.order_line_id)
            earlier = _earlier(session, order.channel, data)
            if earlier is not None:
                return earlier, False
            if order.status not in PAID_STATUSES:
                raise OrderNotPaid(status=order.status)
            amount = data.amount
            if amount is None:
                amount = default_amount(data.kind, data.quantity, line.unit_price)
            else:
                _check_amount(amount, order.currency)
            _claim(session, line.id, data.kind, data.quantity, amount)
            after_sale = AfterSale(
                order_id=order.id,
                order_line_id=line.id,
                sku_id=line.sku_id,
                enterprise_id=line.enterprise_id,
                channel=order.channel,
                external_id=data.external_id,
                kind=data.kind.value,
                quantity=data.quantity,
                amount=amount,
                currency=order.currency,
                reason=data.reason,
                requested_by=actor.user_id,
                requested_at=now,
            )
            session.add(after_sale)
            session.flush()
            audit.record(session, actor=actor, entity="after_sale", entity_id=after_sale.id, action="requested")
    except IntegrityError as error:
        # The same request arrived concurrently and was stored first: answer with that one.
        if violated_check(error) is not None or data.external_id is None:
            raise
        session.rollback()
        earlier = _earlier(session, _channel_of(session, data.order_id), data)
        if earlier is None:
            raise
        return earlier, False
    return after_sale, True


def _channel_of(session: Session, order_id: int) -> str:
    return session.scalar(select(SalesOrder.channel).where(SalesOrder.id == order_id))


def _earlier(session: Session, channel: str, data: AfterSaleCreate) -> AfterSale | None:
    """The after-sale already asked under the request's external id, if it is the same request."""
    if data.external_id is None:
        return None
    earlier = session.scalars(
        select(AfterSale).where(AfterSale.channel == channel, AfterSale.external_id == data.external_id)
    ).first()
    if earlier is None:
        return None
    same = (
        earlier.order_id == data.order_id
        and earlier.order_line_id == data.order_line_id
        and earlier.kind == data.kind.value
        and earlier.quantity == data.quantity
        and (data.amount is None or earlier.amount == data.amount)
    )
    if not same:
        raise AfterSaleIdTaken(external_id=data.external_id, after_sale_id=earlier.id)
    return earlier


def _check_amount(amount: Decimal, currency: str) -> None:
    """A refund is more than nothing, in its currency's minor unit, and of an order's size at most."""
    try:
        check_amount(amount, currency, maximum=MAXIMUM_ORDER_TOTAL)
    except RuleViolation as violation:
        raise ValidationFailed.of_rule(violation, field="amount") from None


def _claim(session: Session, line_id: int, kind: AfterSaleKind, quantity: int, amount: Decimal, sign: int = 1) -> None:
    """Count (or with ``sign`` -1 take back) an after-sale's claim on its line; the line's
    constraints refuse a claim beyond what it was paid, what is left unshipped or what was shipped."""
    parameters = {
        "line": line_id,
        "amount": sign * amount,
        "release": sign * quantity if kind == AfterSaleKind.REFUND_ONLY else 0,
        "returned": sign * quantity if kind == AfterSaleKind.RETURN_AND_REFUND else 0,
    }
    try:
        session.execute(_CLAIM, parameters)
    except IntegrityError as error:
        refusal = _REFUSALS.get(violated_check(error))
        if refusal is None:
            raise
        raise refusal(field="amount" if refusal is RefundExceedsPaid else "quantity") from None


def _for_step(
    session: Session, actor: Actor, after_sale_id: int, step: str
) -> tuple[OrderRecord, LineRecord, AfterSale]:
    """The after-sale to take ``step`` on, with its order (locked first) and line; 404 for one the
    actor does not see, 409 for one not in the status the step starts from."""
    require_role(actor, *DECIDERS)
    found = session.get(AfterSale, after_sale_id)
    if found is None:
        raise NotFound()
    order, line = orders.order_line_for_change(session, actor, found.order_id, found.order_line_id)
    after_sale = row_for_update(session, AfterSale, after_sale_id)
    expected = STEPS[step].starts_from.get(AfterSaleKind(after_sale.kind))
    if expected is None or after_sale.status != expected:
        raise InvalidStatusTransition(current=after_sale.status, target=STEPS[step].leads_to.value)
    return order, line, after_sale


def _advance(session: Session, actor: Actor, after_sale: AfterSale, step: str, now: datetime, **changes: Any) -> None:
    """Record a step taken: the after-sale's new status and its time (and who answered), and the audit trail."""
    status, column = STEPS[step].leads_to, STEPS[step].stamps
    after_sale.status = status.value
    setattr(after_sale, column, now)
    if column == "decided_at":
        after_sale.decided_by = actor.user_id
    audit.record(
        session, actor=actor, entity="after_sale", entity_id=after_sale.id, action=status.value, changes=changes
    )


def approve(session: Session, *, actor: Actor, after_sale_id: int, now: datetime | None = None) -> AfterSale:
    """Accept a request. A refund before shipping frees its units at once: back to the flash sale
    and the live stream they came from, else to general stock."""
    now = now or utcnow()
    with write_transaction(session):
        order, line, after_sale = _for_step(session, actor, after_sale_id, "approve")
        if after_sale.kind == AfterSaleKind.REFUND_ONLY:
            session.execute(_RELEASED, {"line": line.id, "units": after_sale.quantity})
            freed = orders.give_back_units(
                session,
                actor,
                order,
                line,
                after_sale.quantity,
                kind=MovementKind.AFTER_SALE_RELEASED,
                reference=after_sale_reference(after_sale.id),
                now=now,
            )
            reservations.record(session, [freed])
        _advance(session, actor, after_sale, "approve", now)
    return after_sale


def refuse(
    session: Session, *, actor: Actor, after_sale_id: int, reason: str, now: datetime | None = None
) -> AfterSale:
    """Turn a request down, saying why; what it claimed on its line is given back."""
    now = now or utcnow()
    with write_transaction(session):
        _order, line, after_sale = _for_step(session, actor, after_sale_id, "refuse")
        _claim(session, line.id, AfterSaleKind(after_sale.kind), after_sale.quantity, after_sale.amount, sign=-1)
        after_sale.refusal_reason = reason
        _advance(session, actor, after_sale, "refuse", now, reason=reason)
    return after_sale


def receive(session: Session, *, actor: Actor, after_sale_id: int, now: datetime | None = None) -> AfterSale:
    """The returned units have arrived back."""
    with write_transaction(session):
        _order, _line, after_sale = _for_step(session, actor, after_sale_id, "receive")
        _advance(session, actor, after_sale, "receive", now or utcnow())
    return after_sale


def refund(session: Session, *, actor: Actor, after_sale_id: int, now: datetime | None = None) -> AfterSale:
    """The money has been paid back to the buyer; the line counts it as refunded."""
    with write_transaction(session):
        _order, line, after_sale = _for_step(session, actor, after_sale_id, "refund")
        session.execute(_REFUNDED, {"line": line.id, "amount": after_sale.amount})
        _advance(session, actor, after_sale, "refund", now or utcnow())
    return after_sale


def inspect(
    session: Session, *, actor: Actor, after_sale_id: int, data: InspectionInput, now: datetime | None = None
) -> AfterSale:
    """What became of each returned unit: back on sale (its stock grows) or written off; both are
    stock movements. A return its marketplace has refunded already is refunded with it."""
    now = now or utcnow()
    with write_transaction(session):
        _order, line, after_sale = _for_step(session, actor, after_sale_id, "inspect")
        if data.restocked + data.written_off != after_sale.quantity:
            raise InspectionIncomplete(field="restocked", quantity=after_sale.quantity)
        reference = after_sale_reference(after_sale.id)
        if data.restocked:
            change_on_hand(
                session,
                sku_id=line.sku_id,
                delta=data.restocked,
                kind=MovementKind.RETURN_RESTOCKED,
                reason=after_sale.reason,
                actor=actor,
                reference=reference,
            )
        if data.written_off:
            written_off = reservations.movement(
                line.sku_id, MovementKind.RETURN_WRITTEN_OFF, reference=reference, actor_user_id=actor.user_id, now=now
            )
            reservations.write(session, [{**written_off, "reason": after_sale.reason}])
        after_sale.restocked_quantity = data.restocked
        after_sale.written_off_quantity = data.written_off
        _advance(session, actor, after_sale, "inspect", now, restocked=data.restocked, written_off=data.written_off)
        if after_sale.channel_refunded_at is not None:
            # The marketplace paid the buyer back already: the inspection completes the return.
            session.execute(_REFUNDED, {"line": line.id, "amount": after_sale.amount})
            _advance(session, actor, after_sale, "refund", now, on_channel=after_sale.channel_refunded_at.isoformat())
    return after_sale


def _scope(actor: Actor):
    """Which after-sales the actor sees: a host those of their streams' orders, a firm its own
    lines', a cluster's staff their cluster's firms' (None: every one)."""
    if actor.role == Role.HOST:
        return AfterSale.order_id.in_(select(SalesOrder.id).where(orders.order_scope(actor)))
    return reach(actor, AfterSale.enterprise_id)


def get_after_sale(session: Session, *, actor: Actor, after_sale_id: int) -> AfterSale:
    require_role(actor, *REQUESTERS)
    statement = select(AfterSale).where(AfterSale.id == after_sale_id)
    scope = _scope(actor)
    if scope is not None:
        statement = statement.where(scope)
    after_sale = session.scalars(statement).first()
    if after_sale is None:
        raise NotFound()
    return after_sale


def list_after_sales(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    order_id: int | None = None,
    status: AfterSaleStatus | None = None,
    kind: AfterSaleKind | None = None,
) -> Page[AfterSale]:
    """After-sales oldest first, those the actor sees."""
    require_role(actor, *REQUESTERS)
    statement = select(AfterSale)
    if order_id is not None:
        statement = statement.where(AfterSale.order_id == order_id)
    if status is not None:
        statement = statement.where(AfterSale.status == status.value)
    if kind is not None:
        statement = statement.where(AfterSale.kind == kind.value)
    scope = _scope(actor)
    if scope is not None:
        statement = statement.where(scope)
    return fetch_page(session, statement, id_column=AfterSale.id, limit=limit, after=after)
