"""Orders a stream could not take: refused for want of stock, of the flash sale's units or limit, or at an
old price. The host's report counts them per item and per firm; each marketplace order once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.catalog.models import Sku
from commerce.db import write_transaction
from commerce.live.models import LineupItem, StreamRefusal

# The refusals a host wants to know of: the buyer wanted it, the stream could not sell it.
COUNTED = frozenset({"insufficient_stock", "flash_sale_sold_out", "buyer_limit_reached", "price_changed"})


def note_refusal(
    session: Session,
    *,
    stream_id: int,
    channel: str,
    external_id: str,
    sku_id: int,
    quantity: int,
    code: str,
    now: datetime,
) -> None:
    """Record that a stream's order was refused (once per channel and external id)."""
    if code not in COUNTED:
        return
    with write_transaction(session):
        sku = session.get(Sku, sku_id)
        if sku is None:
            return
        item_id = session.scalars(
            select(LineupItem.id).where(
                LineupItem.stream_id == stream_id,
                LineupItem.product_id == sku.product_id,
                LineupItem.removed_at.is_(None),
            )
        ).first()
        refusal = StreamRefusal(
            stream_id=stream_id,
            lineup_item_id=item_id,
            enterprise_id=sku.enterprise_id,
            sku_id=sku_id,
            channel=channel,
            external_id=external_id,
            code=code,
            quantity=quantity,
            refused_at=now,
        )
        try:
            with session.begin_nested():
                session.add(refusal)
                session.flush()
        except IntegrityError:
            pass  # this order was refused before: it counts once
