"""HTTP edge of orders: intake, reading, cancellation and progress."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from commerce.orders import service
from commerce.orders.models import (
    BuyerPublic,
    Channel,
    ExportPublic,
    OrderCreate,
    OrderLinePublic,
    OrderPublic,
    OrderStatus,
    OrderView,
    StatusInput,
)
from commerce.validation import Identifier, Money
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, encode_cursor
from commerce.web.responses import respond

bp = api_blueprint("orders", __name__, tag="Orders", description="Order intake, cancellation and progress")


class OrderPath(BaseModel):
    order_id: Identifier


class OrderQuery(ListQuery):
    status: OrderStatus | None = None
    stream_id: Identifier | None = None
    channel: Channel | None = None


def order_public(view: OrderView) -> OrderPublic:
    """The public shape of an order, with the lines the caller may see and their total."""
    order = view.order
    currency = order.currency
    return OrderPublic(
        id=order.id,
        channel=order.channel,
        external_id=order.external_id,
        stream_id=order.stream_id,
        status=order.status,
        buyer=BuyerPublic(id=order.buyer_id, name=order.buyer_name, country=order.buyer_country),
        currency=currency,
        total=Money.of(sum((line.unit_price * line.quantity for line in view.lines), Decimal(0)), currency),
        lines=[
            OrderLinePublic(
                id=line.id,
                sku_id=line.sku_id,
                product_id=line.product_id,
                enterprise_id=line.enterprise_id,
                quantity=line.quantity,
                unit_price=Money.of(line.unit_price, currency),
                lineup_item_id=line.lineup_item_id,
                flash_sale_id=line.flash_sale_id,
                refund_claimed=Money.of(line.refund_claimed_amount, currency),
                refunded=Money.of(line.refunded_amount, currency),
                released_quantity=line.released_quantity,
                shipped_quantity=line.shipped_quantity,
                returned_quantity=line.returned_quantity,
            )
            for line in view.lines
        ],
        export=ExportPublic(
            customs_mode=order.customs_mode,
            destination_country=order.destination_country,
            trade_terms=order.trade_terms,
            waybill_no=order.waybill_no,
            logistics_code=order.logistics_code,
            arrival_country=order.arrival_country,
            exit_port=order.exit_port,
            transport_mode=order.traf_mode,
        )
        if order.customs_mode
        else None,
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        cleared_at=order.cleared_at,
        cancelled_at=order.cancelled_at,
    )


@bp.post("/orders", responses={201: OrderPublic, 200: OrderPublic})
def place_order(body: OrderCreate):
    """Take an order: every line's units are reserved, or none (409 insufficient_stock).

    The same (channel, external_id) again answers 200 with the order already taken and changes nothing.
    """
    view, created = service.place_order(db_session(), actor=current_actor(), data=body)
    headers = {"Location": f"{API_PREFIX}/orders/{view.order.id}"}
    return respond(order_public(view), 201 if created else 200, headers)


@bp.get("/orders", responses={200: ItemList[OrderPublic]})
def list_orders(query: OrderQuery):
    """Orders, oldest first; a firm sees the orders holding its lines, and only those lines."""
    page = service.list_orders(
        db_session(),
        actor=current_actor(),
        limit=query.limit,
        after=query.cursor,
        status=query.status,
        stream_id=query.stream_id,
        channel=query.channel,
    )
    return respond(
        ItemList[OrderPublic](
            items=[order_public(view) for view in page.items], next_cursor=encode_cursor(page.next_after)
        )
    )


@bp.get("/orders/<int:order_id>", responses={200: OrderPublic})
def get_order(path: OrderPath):
    """One order."""
    return respond(order_public(service.get_order(db_session(), actor=current_actor(), order_id=path.order_id)))


@bp.post("/orders/<int:order_id>/cancel", responses={200: OrderPublic})
def cancel_order(path: OrderPath):
    """Cancel an order not yet shipped; its units return to stock exactly once."""
    return respond(order_public(service.cancel_order(db_session(), actor=current_actor(), order_id=path.order_id)))


@bp.post("/orders/<int:order_id>/status", responses={200: OrderPublic})
def record_progress(path: OrderPath, body: StatusInput):
    """Record progress reported by payment, logistics or customs: paid, shipped (stock leaves), cleared."""
    view = service.record_progress(
        db_session(), actor=current_actor(), order_id=path.order_id, status=OrderStatus(body.status), at=body.at
    )
    return respond(order_public(view))
