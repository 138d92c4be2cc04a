"""Flash sales: creating them within the marketplaces' bounds, and counting their units and buyers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.catalog.models import Sku
from commerce.db import utcnow, write_transaction
from commerce.inventory.errors import InsufficientStock
from commerce.inventory.models import StockLevel, StreamAllocation
from commerce.live.errors import (
    CurrencyMismatch,
    DealPriceTooHigh,
    FlashSaleOutOfBounds,
    FlashSaleOverlaps,
    ItemNotInLineup,
    LimitAboveQuantity,
    SkuNotOfProduct,
    StreamNotLive,
)
from commerce.live.models import FlashSale, FlashSaleBuyer, FlashSaleCreate, LineupItem, StreamStatus
from commerce.live.service import stream_for
from commerce.sql import dialect_insert, prebuilt
from commerce.validation import money_text


@dataclass(frozen=True, slots=True)
class FlashSaleBounds:
    """The countdown and duration a flash sale may have (the marketplaces' ranges, configurable)."""

    countdown_min: int = 10
    countdown_max: int = 300
    duration_min: int = 60
    duration_max: int = 1200
    # The highest deal price, as a share of the item's live price (of the SKU's list price without one).
    max_price_ratio: Decimal = Decimal("1")


def state_of(sale: Any, now: datetime) -> str:
    if now < sale.starts_at:
        return "upcoming"
    return "running" if now < sale.ends_at else "ended"


def create_flash_sale(
    session: Session, *, actor: Actor, stream_id: int, data: FlashSaleCreate, bounds: FlashSaleBounds
) -> FlashSale:
    """Announce a deal on one SKU of a lineup item: it starts after the countdown and runs for its duration."""
    for field, value, minimum, maximum in (
        ("countdown_seconds", data.countdown_seconds, bounds.countdown_min, bounds.countdown_max),
        ("duration_seconds", data.duration_seconds, bounds.duration_min, bounds.duration_max),
    ):
        if not minimum <= value <= maximum:
            raise FlashSaleOutOfBounds(field=field, minimum=minimum, maximum=maximum)
    if data.per_buyer_limit > data.quantity:
        raise LimitAboveQuantity(field="per_buyer_limit")
    with write_transaction(session):
        stream = stream_for(session, actor, stream_id, for_update=True)
        if stream.status != StreamStatus.LIVE.value:
            raise StreamNotLive(status=stream.status)
        item = session.get(LineupItem, data.item_id)
        if item is None or item.stream_id != stream.id or item.removed_at is not None:
            raise ItemNotInLineup(field="item_id", item_id=data.item_id)
        sku = session.get(Sku, data.sku_id)
        if sku is None or sku.product_id != item.product_id:
            raise SkuNotOfProduct(field="sku_id", sku_id=data.sku_id, product_id=item.product_id)
        if data.price.currency != stream.currency:
            raise CurrencyMismatch(field="price.currency", currency=stream.currency)
        reference = item.live_price_amount if item.live_price_amount is not None else sku.price_amount
        highest = (reference * bounds.max_price_ratio).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if data.price.amount > highest:
            raise DealPriceTooHigh(
                field="price.amount",
                highest=money_text(highest, stream.currency),
                live_price=money_text(reference, stream.currency),
            )
        now = utcnow()
        starts_at = now + timedelta(seconds=data.countdown_seconds)
        ends_at = starts_at + timedelta(seconds=data.duration_seconds)
        overlapping = session.scalars(
            select(FlashSale.id).where(
                FlashSale.stream_id == stream.id,
                FlashSale.sku_id == data.sku_id,
                FlashSale.starts_at < ends_at,
                FlashSale.ends_at > starts_at,
            )
        ).first()
        if overlapping is not None:
            raise FlashSaleOverlaps(sku_id=data.sku_id)
        allocated = session.scalars(
            select(StreamAllocation.remaining).where(
                StreamAllocation.lineup_item_id == item.id, StreamAllocation.sku_id == data.sku_id
            )
        ).first()
        available = session.scalars(select(StockLevel.available).where(StockLevel.sku_id == data.sku_id)).first()
        if (allocated or 0) + (available or 0) < data.quantity:
            raise InsufficientStock(field="quantity", sku_id=data.sku_id)
        sale = FlashSale(
            stream_id=stream.id,
            item_id=item.id,
            sku_id=data.sku_id,
            price_amount=data.price.amount,
            quantity=data.quantity,
            per_buyer_limit=data.per_buyer_limit,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(sale)
        session.flush()
        return sale


SALE = FlashSale.__table__
BUYER = FlashSaleBuyer.__table__

# The sale runs and has room for ``:units``.
HAS_ROOM = (
    SALE.c.id == bindparam("sale"),
    SALE.c.sold + bindparam("units") <= SALE.c.quantity,
    SALE.c.starts_at <= bindparam("now"),
    SALE.c.ends_at > bindparam("now"),
)
TAKE_UNITS = SALE.update().where(*HAS_ROOM).values(sold=SALE.c.sold + bindparam("units"))
_GIVE_BACK_UNITS = SALE.update().where(SALE.c.id == bindparam("sale")).values(sold=SALE.c.sold - bindparam("units"))
_UNCOUNT_BUYER = (
    BUYER.update()
    .where(BUYER.c.flash_sale_id == bindparam("sale"), BUYER.c.buyer_key == bindparam("buyer"))
    .values(units=BUYER.c.units - bindparam("units"))
)


def _count_buyer(dialect: str):
    """INSERT the buyer's units, or add to them only while the total stays within the limit.

    A row comes back when the units were counted; the row count of an upsert is not reported
    reliably by every driver, RETURNING is.
    """
    statement = dialect_insert(dialect, BUYER).values(
        flash_sale_id=bindparam("sale"), buyer_key=bindparam("buyer"), units=bindparam("units")
    )
    return within_limit(statement)


def within_limit(statement):
    """The buyer's row inserted by ``statement``, or its units added to those already counted only
    while the total stays within ``:limit``; returns the units when they were counted."""
    return statement.on_conflict_do_update(
        index_elements=["flash_sale_id", "buyer_key"],
        set_={"units": BUYER.c.units + statement.excluded.units},
        where=BUYER.c.units + statement.excluded.units <= bindparam("limit"),
    ).returning(BUYER.c.units)


def count_buyer(connection: Connection, *, sale_id: int, buyer_key: str, quantity: int, limit: int) -> bool:
    """Add units to a buyer's count in a sale; False (nothing changed) if that would pass the limit."""
    if quantity > limit:
        return False
    statement = prebuilt(connection, _count_buyer)
    parameters = {"sale": sale_id, "buyer": buyer_key, "units": quantity, "limit": limit}
    return connection.execute(statement, parameters).first() is not None


def take_units(connection: Connection, *, sale_id: int, quantity: int, now: datetime) -> bool:
    """Count units sold at the deal price while the sale runs; False if it is sold out or over."""
    return connection.execute(TAKE_UNITS, {"sale": sale_id, "units": quantity, "now": now}).rowcount == 1


def give_back(session: Session, *, sale_id: int, buyer_key: str, quantity: int) -> None:
    """A cancelled order's units return to the sale and to its buyer's allowance."""
    session.execute(_GIVE_BACK_UNITS, {"sale": sale_id, "units": quantity})
    session.execute(_UNCOUNT_BUYER, {"sale": sale_id, "buyer": buyer_key, "units": quantity})
