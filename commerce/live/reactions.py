"""How livestreams react to events of other areas."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.audit import service as audit
from commerce.catalog.models import Product
from commerce.db import utcnow
from commerce.events import MembershipLapsed
from commerce.live.models import LineupItem, Stream, StreamStatus
from commerce.live.service import take_off_lineup


def upcoming_marked_lineup(session: Session, *, enterprise_id: int, trademark_id: int) -> list[Row]:
    """A firm's products under a mark in the lineups of streams not yet live (item, stream and product ids)."""
    return list(
        session.execute(
            select(LineupItem.id, LineupItem.stream_id, LineupItem.product_id)
            .join(Product, Product.id == LineupItem.product_id)
            .join(Stream, Stream.id == LineupItem.stream_id)
            .where(
                Product.enterprise_id == enterprise_id,
                Product.trademark_id == trademark_id,
                Stream.status == StreamStatus.SCHEDULED.value,
                LineupItem.removed_at.is_(None),
            )
            .order_by(LineupItem.stream_id, LineupItem.id)
        )
    )


def leave_upcoming_lineups(session: Session, event: MembershipLapsed, *, actor: Actor) -> None:
    """Products shown under a mark the maker may no longer use leave the lineups of streams not yet live."""
    rows = upcoming_marked_lineup(session, enterprise_id=event.enterprise_id, trademark_id=event.trademark_id)
    now = utcnow()
    by_stream: dict[int, list[int]] = {}
    for row in rows:
        by_stream.setdefault(row.stream_id, []).append(row.id)
    for stream_id, item_ids in by_stream.items():
        take_off_lineup(session, stream_id=stream_id, item_ids=item_ids, actor=actor, now=now)
    for row in rows:
        audit.record(
            session,
            actor=actor,
            entity="stream",
            entity_id=row.stream_id,
            action="lineup_item_withdrawn",
            changes={"product_id": row.product_id, "membership_id": event.membership_id},
        )
