"""Marketplace orders become our orders through the same idempotent path as the API.

An order is fetched as it is now whenever a webhook or a poll mentions it, so late, repeated
or reordered news all converge on the marketplace's current state; our status only ever
moves forward.
"""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from commerce.actors import Actor
from commerce.inventory.errors import InsufficientStock
from commerce.listings.content import sku_id_of
from commerce.listings.models import ChannelAccount
from commerce.orders import service as orders
from commerce.orders.models import BuyerInput, OrderCreate, OrderLineInput, OrderStatus
from commerce.validation import without_control_characters
from integrations.base import TerminalError
from integrations.marketplace import RemoteOrder, RemoteOrderStatus

TAKES_STOCK = {RemoteOrderStatus.PAID, RemoteOrderStatus.SHIPPED, RemoteOrderStatus.COMPLETED}


def _order_input(account: ChannelAccount, remote: RemoteOrder) -> OrderCreate:
    lines = []
    for line in remote.lines:
        sku_id = sku_id_of(line.seller_sku)
        if sku_id is None:
            raise TerminalError(
                f"{account.platform} order {remote.external_id}: {line.seller_sku!r} is not one of ours"
            )
        lines.append(OrderLineInput(sku_id=sku_id, quantity=line.quantity, unit_price=str(line.unit_price)))
    return OrderCreate(
        channel=account.platform,
        external_id=remote.external_id,
        buyer=BuyerInput(name=remote.buyer_name[:200].strip() or "buyer", country=remote.buyer_country),
        currency=remote.currency,
        lines=lines,
    )


def ingest(session: Session, *, account: ChannelAccount, remote: RemoteOrder) -> int | None:
    """Bring one marketplace order to its current state here; returns our order id (None if not taken)."""
    # The marketplace's text is taken as it is, less what customs' messages could never carry.
    remote = replace(
        remote,
        external_id=without_control_characters(remote.external_id),
        buyer_name=without_control_characters(remote.buyer_name),
    )
    actor = Actor.system()
    existing = orders.find_order(session, channel=account.platform, external_id=remote.external_id)
    if existing is None:
        if remote.status not in TAKES_STOCK:
            return None  # unpaid orders hold no stock yet; cancelled ones never will
        try:
            view, _created = orders.place_order(session, actor=actor, data=_order_input(account, remote))
        except InsufficientStock as error:
            raise TerminalError(
                f"{account.platform} order {remote.external_id} cannot be served from stock: {error}"
            ) from error
        order_id, status = view.order.id, OrderStatus(view.order.status)
    else:
        order_id, status = existing
    if remote.status == RemoteOrderStatus.CANCELLED and status in orders.CANCELLABLE:
        orders.cancel_order(session, actor=actor, order_id=order_id)
        return order_id
    if remote.status in TAKES_STOCK and status == OrderStatus.PLACED:
        orders.record_progress(session, actor=actor, order_id=order_id, status=OrderStatus.PAID)
        status = OrderStatus.PAID
    if remote.status in (RemoteOrderStatus.SHIPPED, RemoteOrderStatus.COMPLETED) and status == OrderStatus.PAID:
        orders.record_progress(session, actor=actor, order_id=order_id, status=OrderStatus.SHIPPED)
    return order_id
