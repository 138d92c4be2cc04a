"""Reservations for orders and allocations for streams: each change is one conditional UPDATE.

Every function works in the caller's unit of work and checks the row count of its UPDATE, so
a unit is never taken twice however many transactions race for it; the CHECK constraints on
``stock_level`` and ``stream_allocation`` are the backstop. Statements are built once: these
run on the hottest path of the platform, thousands of times a minute during a stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select
from sqlmodel import Session

from commerce import events
from commerce.actors import Actor
from commerce.db import utcnow
from commerce.inventory.models import MovementKind, StockLevel, StockMovement, StreamAllocation
from commerce.sql import bulk_insert

_level = StockLevel.__table__
_allocation = StreamAllocation.__table__
_movement = StockMovement.__table__


def _level_change(*, guard: str | None = None, **signs: int):
    """An UPDATE of one SKU's stock level moving ``:units`` by the sign given per column.

    With ``guard``, the row changes only while that column holds at least ``:units``.
    """
    statement = _level.update().where(_level.c.sku_id == bindparam("sku"))
    if guard is not None:
        statement = statement.where(_level.c[guard] >= bindparam("units"))
    moves = {
        name: _level.c[name] + bindparam("units") if sign > 0 else _level.c[name] - bindparam("units")
        for name, sign in signs.items()
    }
    return statement.values(**moves, updated_at=bindparam("now"))


TAKE_AVAILABLE = _level_change(available=-1, reserved=+1, guard="available")
ALLOCATED_TO_RESERVED = _level_change(allocated=-1, reserved=+1)
_RESERVED_TO_AVAILABLE = _level_change(reserved=-1, available=+1)
_RESERVED_TO_ALLOCATED = _level_change(reserved=-1, allocated=+1)
_SHIP_RESERVED = _level_change(reserved=-1, on_hand=-1)
_AVAILABLE_TO_ALLOCATED = _level_change(available=-1, allocated=+1, guard="available")
_ALLOCATED_TO_AVAILABLE = _level_change(allocated=-1, available=+1)
TAKE_ALLOCATION = (
    _allocation.update()
    .where(
        _allocation.c.lineup_item_id == bindparam("item"),
        _allocation.c.sku_id == bindparam("sku"),
        _allocation.c.remaining >= bindparam("units"),
    )
    .values(remaining=_allocation.c.remaining - bindparam("units"), sold=_allocation.c.sold + bindparam("units"))
)

_RETURN_TO_ALLOCATION = (
    _allocation.update()
    .where(_allocation.c.lineup_item_id == bindparam("item"), _allocation.c.sku_id == bindparam("sku"))
    .values(remaining=_allocation.c.remaining + bindparam("units"), sold=_allocation.c.sold - bindparam("units"))
)

_UNCOUNT_ALLOCATION_SALE = (
    _allocation.update()
    .where(_allocation.c.lineup_item_id == bindparam("item"), _allocation.c.sku_id == bindparam("sku"))
    .values(sold=_allocation.c.sold - bindparam("units"))
)


def movement(
    sku_id: int,
    kind: MovementKind,
    *,
    reference: str,
    actor_user_id: int | None,
    on_hand: int = 0,
    reserved: int = 0,
    allocated: int = 0,
    now=None,
) -> dict[str, Any]:
    """One ledger row, to be written with ``record``."""
    return {
        "sku_id": sku_id,
        "at": now or utcnow(),
        "kind": kind.value,
        "on_hand_delta": on_hand,
        "reserved_delta": reserved,
        "allocated_delta": allocated,
        "reason": "",
        "reference": reference,
        "actor_user_id": actor_user_id,
    }


def record(session: Session, movements: Sequence[dict[str, Any]]) -> None:
    """Write ledger rows in the caller's unit of work, and tell who follows stock that it moved."""
    if movements:
        write(session, movements)
        announce(session, [row["sku_id"] for row in movements])


def write(session: Session, movements: Sequence[dict[str, Any]]) -> None:
    """Write ledger rows in the caller's unit of work; the caller also calls ``announce``."""
    if movements:
        bulk_insert(session, _movement, list(movements))


def announce(session: Session, sku_ids: Sequence[int]) -> None:
    """Tell who follows stock that these SKUs moved (their ledger rows are written in this unit of work)."""
    events.publish(session, events.StockChanged(tuple(sorted(set(sku_ids)))), actor=Actor.system())


def reserve_available(connection: Connection, *, sku_id: int, quantity: int, now) -> bool:
    """Reserve units of general stock for an order; False (and nothing changed) if too few are available."""
    result = connection.execute(TAKE_AVAILABLE, {"sku": sku_id, "units": quantity, "now": now})
    return result.rowcount == 1


def reserve_from_allocation(connection: Connection, *, lineup_item_id: int, sku_id: int, quantity: int, now) -> bool:
    """Turn units ring-fenced for a stream item into a reservation; False if the allocation is short."""
    taken = connection.execute(TAKE_ALLOCATION, {"item": lineup_item_id, "sku": sku_id, "units": quantity})
    if taken.rowcount != 1:
        return False
    connection.execute(ALLOCATED_TO_RESERVED, {"sku": sku_id, "units": quantity, "now": now})
    return True


def release_reservation(
    session: Session, *, sku_id: int, quantity: int, now, from_lineup_item_id: int | None, back_to_stream: bool
) -> None:
    """Give back an order's reserved units: to the stream they came from if it still runs, else to general stock."""
    parameters = {"item": from_lineup_item_id, "sku": sku_id, "units": quantity, "now": now}
    if from_lineup_item_id is not None and back_to_stream:
        session.execute(_RETURN_TO_ALLOCATION, parameters)
        session.execute(_RESERVED_TO_ALLOCATED, parameters)
        return
    if from_lineup_item_id is not None:
        session.execute(_UNCOUNT_ALLOCATION_SALE, parameters)
    session.execute(_RESERVED_TO_AVAILABLE, parameters)


def ship_reserved(session: Session, *, sku_id: int, quantity: int, now) -> None:
    """Reserved units leave the warehouse: both on-hand and reserved fall."""
    session.execute(_SHIP_RESERVED, {"sku": sku_id, "units": quantity, "now": now})


def allocations_of(session: Session, *, stream_id: int) -> dict[tuple[int, int], StreamAllocation]:
    """The allocations of a stream's items, by (lineup item, SKU)."""
    rows = session.scalars(select(StreamAllocation).where(StreamAllocation.stream_id == stream_id))
    return {(row.lineup_item_id, row.sku_id): row for row in rows}


def set_allocation(
    session: Session,
    *,
    stream_id: int,
    lineup_item_id: int,
    sku_id: int,
    quantity: int,
    current: StreamAllocation | None,
    now,
    actor_user_id: int | None,
) -> tuple[bool, dict[str, Any] | None]:
    """Ring-fence exactly ``quantity`` unsold units for a stream item; (False, None) if stock is short.

    Returns whether it succeeded and the ledger row of the change (None when nothing changed).
    """
    delta = quantity - (current.remaining if current else 0)
    if delta == 0:
        return True, None
    parameters = {"sku": sku_id, "units": abs(delta), "now": now, "item": lineup_item_id}
    if delta > 0:
        if session.execute(_AVAILABLE_TO_ALLOCATED, parameters).rowcount != 1:
            return False, None
    else:
        session.execute(_ALLOCATED_TO_AVAILABLE, parameters)
    if current is None:
        session.execute(
            _allocation.insert(),
            {
                "lineup_item_id": lineup_item_id,
                "sku_id": sku_id,
                "stream_id": stream_id,
                "remaining": quantity,
                "sold": 0,
            },
        )
    else:
        session.execute(
            _allocation.update()
            .where(_allocation.c.lineup_item_id == lineup_item_id, _allocation.c.sku_id == sku_id)
            .values(remaining=_allocation.c.remaining + delta)
        )
        current.remaining += delta
    kind = MovementKind.STREAM_ALLOCATED if delta > 0 else MovementKind.STREAM_RELEASED
    return True, movement(
        sku_id, kind, reference=f"stream:{stream_id}", actor_user_id=actor_user_id, allocated=delta, now=now
    )


def release_allocations(
    session: Session, *, stream_id: int, now, actor_user_id: int | None, lineup_item_ids: Sequence[int] | None = None
) -> None:
    """Return every unsold allocated unit of a stream (or of some of its items) to general stock."""
    statement = select(StreamAllocation).where(StreamAllocation.stream_id == stream_id, StreamAllocation.remaining > 0)
    if lineup_item_ids is not None:
        statement = statement.where(StreamAllocation.lineup_item_id.in_(list(lineup_item_ids)))
    movements = []
    for allocation in session.scalars(statement.order_by(StreamAllocation.sku_id)).all():
        _ok, row = set_allocation(
            session,
            stream_id=stream_id,
            lineup_item_id=allocation.lineup_item_id,
            sku_id=allocation.sku_id,
            quantity=0,
            current=allocation,
            now=now,
            actor_user_id=actor_user_id,
        )
        if row:
            movements.append(row)
    record(session, movements)
