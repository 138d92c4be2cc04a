"""Stock levels: every change is one conditional UPDATE plus a ledger row, in the caller's unit of work."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlmodel import Session

from commerce import events
from commerce.actors import Actor, Role, require_role
from commerce.catalog.models import Sku
from commerce.clusters.permissions import require_own_enterprise, require_reachable_firm
from commerce.db import utcnow, write_transaction
from commerce.errors import N_, Conflict, NotFound
from commerce.inventory.models import MovementKind, StockLevel, StockMovement
from commerce.sql import bulk_insert


class StockBelowCommitted(Conflict):
    code = "stock_below_reserved"
    message = N_("On-hand stock cannot fall below what is reserved and allocated ({committed}).")


def open_levels(
    session: Session, rows: Iterable[tuple[int, int]], *, kind: MovementKind, actor: Actor, reference: str | None = None
) -> None:
    """Create the stock level of new SKUs, given (sku_id, on_hand) pairs, with their first movements."""
    rows = list(rows)
    if not rows:
        return
    now = utcnow()
    bulk_insert(
        session,
        StockLevel.__table__,
        [
            {
                "sku_id": sku_id,
                "on_hand": on_hand,
                "reserved": 0,
                "allocated": 0,
                "available": on_hand,
                "updated_at": now,
            }
            for sku_id, on_hand in rows
        ],
    )
    movements = [
        {
            "sku_id": sku_id,
            "at": now,
            "kind": kind.value,
            "on_hand_delta": on_hand,
            "reserved_delta": 0,
            "allocated_delta": 0,
            "reason": "",
            "reference": reference,
            "actor_user_id": actor.user_id,
        }
        for sku_id, on_hand in rows
        if on_hand
    ]
    if movements:
        bulk_insert(session, StockMovement.__table__, movements)


def change_on_hand(
    session: Session,
    *,
    sku_id: int,
    delta: int,
    kind: MovementKind,
    reason: str,
    actor: Actor,
    reference: str | None = None,
) -> StockLevel:
    """Add ``delta`` to on-hand stock unless that would go below reserved plus allocated."""
    if delta:
        result = session.execute(
            update(StockLevel)
            .where(
                StockLevel.sku_id == sku_id, StockLevel.on_hand + delta >= StockLevel.reserved + StockLevel.allocated
            )
            .values(on_hand=StockLevel.on_hand + delta, available=StockLevel.available + delta, updated_at=utcnow())
        )
        if result.rowcount != 1:
            level = session.get(StockLevel, sku_id)
            if level is None:
                raise NotFound()
            raise StockBelowCommitted(field="delta", committed=level.reserved + level.allocated)
        session.add(
            StockMovement(
                sku_id=sku_id,
                kind=kind.value,
                on_hand_delta=delta,
                reason=reason,
                reference=reference,
                actor_user_id=actor.user_id,
            )
        )
        events.publish(session, events.StockChanged((sku_id,)), actor=actor)
    level = session.scalars(
        select(StockLevel).where(StockLevel.sku_id == sku_id).execution_options(populate_existing=True)
    ).one()
    return level


def adjust_stock(session: Session, *, actor: Actor, sku_id: int, delta: int, reason: str) -> StockLevel:
    """A firm counts, receives or writes off stock of one of its SKUs."""
    require_role(actor, Role.SME)
    with write_transaction(session):
        sku = session.get(Sku, sku_id)
        if sku is None:
            raise NotFound()
        require_own_enterprise(actor, sku.enterprise_id)
        return change_on_hand(
            session, sku_id=sku_id, delta=delta, kind=MovementKind.ADJUSTMENT, reason=reason, actor=actor
        )


def movements_of(session: Session, *, actor: Actor, sku_id: int, limit: int = 200) -> list[StockMovement]:
    """The newest ledger rows of one SKU, newest first (the firm and the roles serving it)."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise NotFound()
    require_reachable_firm(session, actor, sku.enterprise_id)
    return list(
        session.scalars(
            select(StockMovement).where(StockMovement.sku_id == sku_id).order_by(StockMovement.id.desc()).limit(limit)
        )
    )
