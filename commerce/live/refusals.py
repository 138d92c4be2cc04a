"""Orders a stream could not take: refused for want of stock, of the flash sale's units or limit, or at an
old price. The host's report counts them per item and per firm; each marketplace order once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, bindparam, select
from sqlmodel import Session

from commerce.catalog.models import Sku
from commerce.db import UTCDateTime, single_statement
from commerce.live.models import LineupItem, StreamRefusal
from commerce.sql import dialect_insert, prebuilt

# The refusals a host wants to know of: the buyer wanted it, the stream could not sell it.
COUNTED = frozenset({"insufficient_stock", "flash_sale_sold_out", "buyer_limit_reached", "price_changed"})
_refusal = StreamRefusal.__table__


def _build_note(dialect: str):
    """INSERT ... SELECT of a refusal: the SKU's firm and the stream's lineup item of its product come
    from their rows; a refusal of the same (stream, channel, external id) is already counted."""
    stream_id = bindparam("stream_id", type_=Integer)
    source = (
        select(
            stream_id,
            LineupItem.id,
            Sku.enterprise_id,
            Sku.id,
            bindparam("channel", type_=String),
            bindparam("external_id", type_=String),
            bindparam("code", type_=String),
            bindparam("quantity", type_=Integer),
            bindparam("refused_at", type_=UTCDateTime),
        )
        .select_from(Sku)
        .outerjoin(
            LineupItem,
            (LineupItem.stream_id == stream_id)
            & (LineupItem.product_id == Sku.product_id)
            & LineupItem.removed_at.is_(None),
        )
        .where(Sku.id == bindparam("sku_id"))
    )
    columns = [
        "stream_id",
        "lineup_item_id",
        "enterprise_id",
        "sku_id",
        "channel",
        "external_id",
        "code",
        "quantity",
        "refused_at",
    ]
    return (
        dialect_insert(dialect, _refusal)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=["stream_id", "channel", "external_id"])
    )


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
    """Record that a stream's order was refused (once per channel and external id), in one statement:
    refusals come by the thousand when a flash sale sells out."""
    if code not in COUNTED:
        return
    parameters = {
        "stream_id": stream_id,
        "channel": channel,
        "external_id": external_id,
        "sku_id": sku_id,
        "quantity": quantity,
        "code": code,
        "refused_at": now,
    }
    with single_statement(session) as connection:
        connection.execute(prebuilt(connection, _build_note), parameters)
