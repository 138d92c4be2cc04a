"""Taking a batch's orders, or a stretch of cleared lists, once.

Orders are taken by inserting them into ``customs_batch_order`` (its primary key is the order),
with conflicts skipped: two formations running at once never take the same order. A 9610
summary takes a stretch of the month's cleared lists, numbered in the order their clearance
was recorded; the stretch is claimed under a lock on the platform row and a unique index.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exists, func, literal, not_, select, update
from sqlmodel import Session

from commerce.clusters.models import Enterprise
from commerce.customs import calendar
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsPlatform,
    CustomsStatus,
)
from commerce.orders.models import OrderLine, OrderStatus, SalesOrder
from commerce.sql import dialect_insert, dialect_of

_batch_order = CustomsBatchOrder.__table__
_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_source = CustomsLineSource.__table__


def claim_orders(
    session: Session, *, batch_id: int, platform: CustomsPlatform, customs_mode: str, period: str | None
) -> None:
    """Put the eligible orders no batch holds into this batch: shipped export orders of the mode, all
    of whose lines are the cluster's firms' goods (of the period, when one is named)."""
    order = SalesOrder.__table__
    line = OrderLine.__table__
    outside = (
        select(literal(1))
        .select_from(line.join(Enterprise, Enterprise.id == line.c.enterprise_id))
        .where(line.c.order_id == order.c.id, Enterprise.cluster_id != platform.cluster_id)
    )
    conditions = [
        order.c.customs_mode == customs_mode,
        order.c.status == OrderStatus.SHIPPED.value,
        ~exists(select(literal(1)).where(_batch_order.c.order_id == order.c.id)),
        exists(select(literal(1)).where(line.c.order_id == order.c.id)),
        not_(exists(outside)),
    ]
    if period is not None:
        start, end = calendar.period_bounds(period)
        conditions += [order.c.shipped_at >= start, order.c.shipped_at < end]
    chosen = select(order.c.id, literal(batch_id)).where(*conditions)
    statement = dialect_insert(dialect_of(session), _batch_order).from_select(["order_id", "batch_id"], chosen)
    session.execute(statement.on_conflict_do_nothing())


def claim_clearance_range(session: Session, *, platform_id: int, period: str) -> tuple[int, int]:
    """The stretch of the period's cleared lists no current summary holds: (after, up to) clearance numbers.

    The platform row is locked (PostgreSQL) or the database is (SQLite) until the summary is
    written, so no clearance is numbered within the stretch after it is read.
    """
    platform = CustomsPlatform.__table__
    counter = session.execute(
        update(platform)
        .where(platform.c.id == platform_id)
        .values(clearance_counter=platform.c.clearance_counter)
        .returning(platform.c.clearance_counter)
    ).scalar_one()
    taken = session.execute(
        select(func.max(CustomsBatch.to_clearance)).where(
            CustomsBatch.platform_id == platform_id,
            CustomsBatch.kind == BatchKind.SUMMARY.value,
            CustomsBatch.period == period,
            CustomsBatch.superseded_by_id.is_(None),
        )
    ).scalar_one()
    return taken or 0, counter


def summary_stretch(lists: Any, batch: Any) -> tuple:
    """Conditions on the declaration table (or an alias of it) picking the released lists a summary
    batch covers (a list cancelled since its release is no export)."""
    return (
        lists.c.platform_id == batch.platform_id,
        lists.c.status == CustomsStatus.CLEARED.value,
        lists.c.cleared_period == batch.period,
        lists.c.clearance_no > batch.from_clearance,
        lists.c.clearance_no <= batch.to_clearance,
    )


def orders_of_declarations(session: Session, declaration_ids: Sequence[int]) -> list[int]:
    """The orders some declarations declare: an inventory list's order, a full declaration's sourced orders."""
    order_line = OrderLine.__table__
    listed = select(_declaration.c.order_id).where(
        _declaration.c.id.in_(list(declaration_ids)), _declaration.c.order_id.is_not(None)
    )
    sourced = (
        select(order_line.c.order_id)
        .select_from(
            _source.join(_line, _line.c.id == _source.c.declaration_line_id).join(
                order_line, order_line.c.id == _source.c.order_line_id
            )
        )
        .where(_line.c.declaration_id.in_(list(declaration_ids)))
    )
    return sorted(set(session.scalars(listed)) | set(session.scalars(sourced)))
