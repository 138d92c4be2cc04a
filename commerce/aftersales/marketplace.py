"""Marketplace refunds and returns become our after-sales through the same path as the API.

An after-sale is read from its marketplace as it is now whenever a webhook or a poll mentions it,
so late, repeated or reordered news all converge. Each of its seller SKUs is one after-sale here,
on the order line of that SKU, known by the marketplace's id and the SKU (an amount on the order
as a whole goes on its first line). It is asked for once, then taken forward by the steps a firm
takes on the API: approved or refused, received, refunded. Our status only moves forward: a
refusal after an approval, or a step the line's constraints refuse, is logged and left.

A return the marketplace has paid back before the goods were inspected here waits for the firm's
inspection (restocked or written off) and is refunded with it (``channel_refunded_at``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.aftersales import service as aftersales
from commerce.aftersales.models import AfterSale, AfterSaleCreate, AfterSaleKind, AfterSaleStatus
from commerce.db import write_transaction
from commerce.deployment import Deployment
from commerce.errors import DomainError
from commerce.jobs.models import Job
from commerce.listings import orders_in
from commerce.listings.content import sku_id_of
from commerce.listings.models import ChannelAccount
from commerce.orders import service as orders
from commerce.orders.models import OrderLine, OrderStatus
from commerce.validation import without_control_characters
from integrations.base import RetryableError, TerminalError
from integrations.marketplace import (
    RemoteAfterSale,
    RemoteAfterSaleLine,
    RemoteAfterSaleStatus,
)

log = logging.getLogger(__name__)

# How far each marketplace status takes an after-sale here: the steps in order, for each kind.
PATHS = {
    AfterSaleKind.REFUND_ONLY: (("approve", AfterSaleStatus.REQUESTED), ("refund", AfterSaleStatus.APPROVED)),
    AfterSaleKind.PARTIAL_REFUND: (("approve", AfterSaleStatus.REQUESTED), ("refund", AfterSaleStatus.APPROVED)),
    AfterSaleKind.RETURN_AND_REFUND: (
        ("approve", AfterSaleStatus.REQUESTED),
        ("receive", AfterSaleStatus.APPROVED),
        ("refund", AfterSaleStatus.INSPECTED),
    ),
}
# How many of its kind's steps each marketplace status has taken.
REACHED = {
    RemoteAfterSaleStatus.REQUESTED: 0,
    RemoteAfterSaleStatus.APPROVED: 1,
    RemoteAfterSaleStatus.RETURNED: 2,
    RemoteAfterSaleStatus.REFUNDED: 3,
}
# What an after-sale says when the marketplace gives no reason.
NO_REASON = "marketplace after-sale"


class OrderNotHere(RetryableError):
    """The after-sale's order has not reached us (yet, or ever: an order never paid is not taken)."""


def ingest(session: Session, *, account: ChannelAccount, remote: RemoteAfterSale) -> list[int]:
    """Bring one marketplace after-sale to its current state here; returns our after-sales' ids."""
    found = orders.find_order(session, channel=account.platform, external_id=remote.order_external_id)
    if found is None:
        raise OrderNotHere(f"{account.platform} order {remote.order_external_id} is not here", retry_after=30)
    order_id, order_status = found
    taken = []
    for line in remote.lines:
        external_id = f"{remote.external_id}:{line.seller_sku or 'order'}"[:128]
        after_sale = session.scalars(
            select(AfterSale).where(AfterSale.channel == account.platform, AfterSale.external_id == external_id)
        ).first()
        if after_sale is None:
            if remote.status == RemoteAfterSaleStatus.REFUSED:
                continue  # refused before we heard of it: it never claimed anything
            shipped = order_status in (OrderStatus.SHIPPED, OrderStatus.CLEARED)
            after_sale = _ask(session, account, remote, line, order_id, external_id, shipped=shipped)
        _follow(session, account, after_sale, remote)
        taken.append(after_sale.id)
    return taken


def _order_line(session: Session, order_id: int, seller_sku: str) -> tuple[int, Decimal]:
    """Our order line of a seller SKU (the first line, for an amount on the order as a whole) and
    its unit price."""
    statement = select(OrderLine.id, OrderLine.unit_price).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
    if seller_sku:
        sku_id = sku_id_of(seller_sku)
        if sku_id is None:
            raise TerminalError(f"{seller_sku!r} is not one of ours")
        statement = statement.where(OrderLine.sku_id == sku_id)
    found = session.execute(statement.limit(1)).first()
    if found is None:
        raise TerminalError(f"order {order_id} has no line of {seller_sku!r}")
    return found.id, found.unit_price


def _ask(
    session: Session,
    account: ChannelAccount,
    remote: RemoteAfterSale,
    line: RemoteAfterSaleLine,
    order_id: int,
    external_id: str,
    *,
    shipped: bool,
) -> AfterSale:
    kind = AfterSaleKind(remote.kind.value)
    line_id, unit_price = _order_line(session, order_id, line.seller_sku)
    amount = line.amount if line.amount > 0 else None
    if kind == AfterSaleKind.REFUND_ONLY and shipped:
        # Refunded after the units left: the buyer keeps them, the money alone comes back.
        kind = AfterSaleKind.PARTIAL_REFUND
        amount = amount or unit_price * line.quantity
    partial = kind == AfterSaleKind.PARTIAL_REFUND
    data = AfterSaleCreate(
        order_id=order_id,
        order_line_id=line_id,
        kind=kind,
        quantity=0 if partial else line.quantity,
        amount=format(amount.normalize(), "f") if amount is not None else None,
        reason=without_control_characters(remote.reason).strip()[:500] or NO_REASON,
        external_id=external_id,
    )
    try:
        after_sale, _created = aftersales.request_after_sale(session, actor=Actor.system(), data=data)
    except DomainError as error:
        # The marketplace's after-sale and our order disagree (more refunded than paid, units
        # already shipped): a person has to look, the job says why.
        raise TerminalError(f"{account.platform} after-sale {external_id}: {error.code}") from error
    return after_sale


def _follow(session: Session, account: ChannelAccount, after_sale: AfterSale, remote: RemoteAfterSale) -> None:
    """Take the after-sale forward to where the marketplace has it."""
    actor = Actor.system()
    if remote.status == RemoteAfterSaleStatus.REFUSED:
        if after_sale.status == AfterSaleStatus.REQUESTED:
            aftersales.refuse(
                session,
                actor=actor,
                after_sale_id=after_sale.id,
                reason=f"refused on {account.platform}",
                now=remote.updated_at,
            )
        elif after_sale.status != AfterSaleStatus.REFUSED:
            log.info("%s refused after-sale %s, already %s here", account.platform, after_sale.id, after_sale.status)
        return
    if after_sale.status == AfterSaleStatus.REFUSED:
        log.info("%s after-sale %s moved on, refused here", account.platform, after_sale.id)
        return
    steps = PATHS[AfterSaleKind(after_sale.kind)][: REACHED[remote.status]]
    for step, starts_from in steps:
        session.refresh(after_sale)
        if after_sale.status == starts_from:
            getattr(aftersales, step)(session, actor=actor, after_sale_id=after_sale.id, now=remote.updated_at)
    if (
        remote.status == RemoteAfterSaleStatus.REFUNDED
        and after_sale.kind == AfterSaleKind.RETURN_AND_REFUND
        and after_sale.channel_refunded_at is None
    ):
        _refunded_there(session, after_sale.id, remote.updated_at)


def _refunded_there(session: Session, after_sale_id: int, at: datetime) -> None:
    with write_transaction(session):
        after_sale = session.get(AfterSale, after_sale_id, with_for_update=True)
        after_sale.channel_refunded_at = at
        session.add(after_sale)


def follow(deployment: Deployment, job: Job) -> None:
    """A webhook said an order's refunds or returns changed: read them as they are now and follow,
    the order first if it has not reached us (an order never paid is never taken, nor its after-sales)."""
    database = deployment.database
    order_external_id = str(job.payload["subject_id"])
    with database.session() as session:
        account = session.get(ChannelAccount, int(job.payload["channel_account_id"]))
        here = orders.find_order(session, channel=account.platform, external_id=order_external_id) if account else None
    if account is None:
        return
    client = deployment.marketplace_clients.client(database, deployment.settings, account)
    if here is None:
        remote_order = client.fetch_order(order_external_id)
        with database.session() as session:
            if orders_in.ingest(session, account=account, remote=remote_order) is None:
                return
    for remote in client.fetch_after_sales(order_external_id):
        with database.session() as session:
            ingest(session, account=account, remote=remote)


def poll(deployment: Deployment, job: Job) -> None:
    """Read the after-sales changed since the account's last order poll and follow each (catches
    what lost webhooks missed). One that cannot be followed is logged and passed over, so that it
    does not hold back the others."""
    database = deployment.database
    with database.session() as session:
        account = session.get(ChannelAccount, int(job.payload["channel_account_id"]))
    if account is None:
        return
    since = datetime.fromisoformat(job.payload["since"])
    client = deployment.marketplace_clients.client(database, deployment.settings, account)
    cursor = None
    while True:
        page = client.fetch_changed_after_sales(updated_since=since, cursor=cursor)
        for remote in page.after_sales:
            with database.session() as session:
                try:
                    ingest(session, account=account, remote=remote)
                except OrderNotHere:
                    log.info("%s after-sale %s: its order is not ours", account.platform, remote.external_id)
                except TerminalError as error:
                    log.warning("%s after-sale %s not followed: %s", account.platform, remote.external_id, error)
        cursor = page.next_cursor
        if cursor is None:
            return
