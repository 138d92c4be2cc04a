"""Customs' results applied once each: a declaration accepted, numbered, rejected or cleared by
receipt key (a late or repeated result changes nothing), cleared lists numbered in the order
their clearance was recorded, orders cleared with their last declaration, batches settled.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor
from commerce.audit import service as audit
from commerce.customs import calendar, claiming, scope
from commerce.customs.errors import (
    InventoryNumberInvalid,
    ReceiptNotApplicable,
)
from commerce.customs.lifecycle import log
from commerce.customs.models import (
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsPlatform,
    CustomsReceipt,
    CustomsStatus,
    DeclarationKind,
)
from commerce.db import utcnow, write_transaction
from commerce.errors import NotFound
from commerce.orders.models import OrderLine, OrderStatus, SalesOrder

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_receipt = CustomsReceipt.__table__
_order = SalesOrder.__table__
_order_line = OrderLine.__table__
_source = CustomsLineSource.__table__


# Results that may follow a status; a result that may not (a late one) changes nothing.
NEXT = {
    CustomsStatus.SUBMITTED: {CustomsStatus.ACCEPTED, CustomsStatus.REJECTED, CustomsStatus.CLEARED},
    CustomsStatus.ACCEPTED: {CustomsStatus.REJECTED, CustomsStatus.CLEARED},
}


@dataclass(frozen=True, slots=True)
class Result:
    """One customs result for a declaration, as the gateway or an operator reports it."""

    declaration_id: int
    status: CustomsStatus
    entry_id: str | None
    message: str | None
    at: datetime
    key: str
    source: str
    # The summary application's number customs gave (CEB702), which its result (CEB792) names.
    summary_no: str | None = None


# Customs' number of a released inventory list: 4-digit customs office, 4-digit year, the export
# or import flag and a 9-digit sequence (export.xsd, invtNo).
INVENTORY_NUMBER = re.compile(r"^[0-9]{4}[0-9]{4}[EI][0-9]{9}$")


def record_results(
    session: Session, *, actor: Actor, results: Sequence[Result], strict: bool, batch_id: int | None = None
) -> tuple[int, int]:
    """Apply customs results once each; returns (applied, repeated).

    ``strict`` (an operator's entry) refuses a result that does not follow the declaration's
    status; from the gateway such a late result is kept in the history and changes nothing.
    """
    applied = repeated = 0
    with write_transaction(session):
        if batch_id is not None:
            scope.check_batch(session, actor, session.get(CustomsBatch, batch_id))
        touched_batches: set[int] = set()
        # A receipt sent twice in one request is a repeat (its key says so); each declaration is
        # locked and read once however many of its receipts a request holds.
        seen: set[str] = set()
        locked: dict[int, CustomsDeclaration | None] = {}
        for result in results:
            if result.key in seen:
                repeated += 1
                continue
            seen.add(result.key)
            if result.declaration_id not in locked:
                locked[result.declaration_id] = session.get(
                    CustomsDeclaration, result.declaration_id, with_for_update=True
                )
            declaration = locked[result.declaration_id]
            if declaration is None or (batch_id is not None and declaration.batch_id != batch_id):
                raise NotFound()
            if (
                declaration.kind == DeclarationKind.INVENTORY_LIST
                and result.entry_id
                and not INVENTORY_NUMBER.match(result.entry_id)
            ):
                if strict:
                    raise InventoryNumberInvalid(field="entry_id", declaration=declaration.cop_no)
                log.warning("receipt %s gives list %s a malformed number", result.key, declaration.cop_no)
                continue
            if not record_receipt(session, actor, result):
                repeated += 1
                continue
            current = CustomsStatus(declaration.status)
            if result.summary_no and declaration.sum_no != result.summary_no:
                declaration.sum_no = result.summary_no
                session.add(declaration)
            if result.status == current and result.entry_id in (None, declaration.entry_id):
                applied += 1
                continue
            if result.status == current and not strict:
                # Customs' number came after the status (a summary's result after its receipt).
                _number(session, actor, declaration, result)
                applied += 1
                continue
            if result.status not in NEXT.get(current, set()):
                if strict:
                    raise ReceiptNotApplicable(
                        declaration=declaration.cop_no, status=current.value, target=result.status.value
                    )
                applied += 1
                continue
            apply_result(session, actor, declaration, result)
            touched_batches.add(declaration.batch_id)
            applied += 1
        for touched in sorted(touched_batches):
            settle_batch(session, actor, touched, now=utcnow())
    return applied, repeated


def record_receipt(session: Session, actor: Actor, result: Result) -> bool:
    """Keep the result in the declaration's history; False if this receipt was recorded before."""
    try:
        with session.begin_nested():
            session.execute(
                insert(_receipt).values(
                    receipt_key=result.key,
                    declaration_id=result.declaration_id,
                    status=result.status.value,
                    entry_id=result.entry_id,
                    message=result.message,
                    source=result.source,
                    recorded_by=actor.user_id,
                    at=result.at,
                    received_at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


def apply_result(session: Session, actor: Actor, declaration: CustomsDeclaration, result: Result) -> None:
    """The declaration takes the result's status (and customs' number and note), in the audit trail."""
    before = declaration.status
    declaration.status = result.status.value
    if result.entry_id:
        declaration.entry_id = result.entry_id
    if result.message is not None:
        declaration.customs_note = result.message
    if result.status == CustomsStatus.ACCEPTED:
        declaration.accepted_at = result.at
    if result.status == CustomsStatus.CLEARED:
        declaration.cleared_at = result.at
        if declaration.kind == DeclarationKind.INVENTORY_LIST:
            declaration.clearance_no = _next_clearance_no(session, declaration.platform_id)
            declaration.cleared_period = calendar.period_of(result.at)
    session.add(declaration)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="customs_declaration",
        entity_id=declaration.id,
        action=result.status.value,
        changes={
            "from": before,
            "entry_id": declaration.entry_id,
            "source": result.source,
            "at": result.at.isoformat(),
        },
    )
    if result.status == CustomsStatus.CLEARED:
        _clear_orders(session, actor, declaration, result.at)


def _number(session: Session, actor: Actor, declaration: CustomsDeclaration, result: Result) -> None:
    before = declaration.entry_id
    declaration.entry_id = result.entry_id
    session.add(declaration)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="customs_declaration",
        entity_id=declaration.id,
        action="numbered",
        changes={"entry_id": [before, result.entry_id], "source": result.source, "at": result.at.isoformat()},
    )


def _next_clearance_no(session: Session, platform_id: int) -> int:
    """Number a list's clearance; the platform row stays locked until commit, so numbers commit in order."""
    platform = CustomsPlatform.__table__
    return session.execute(
        update(platform)
        .where(platform.c.id == platform_id)
        .values(clearance_counter=platform.c.clearance_counter + 1)
        .returning(platform.c.clearance_counter)
    ).scalar_one()


def _clear_orders(session: Session, actor: Actor, declaration: CustomsDeclaration, at: datetime) -> None:
    """Orders whose every declaration in their current batch has cleared become ``cleared``."""
    for order_id in claiming.orders_of_declarations(session, [declaration.id]):
        holder = session.get(CustomsBatchOrder, order_id)
        if holder is None or holder.batch_id != declaration.batch_id:
            continue
        if not _all_cleared(session, order_id, declaration.batch_id):
            continue
        changed = session.execute(
            update(_order)
            .where(_order.c.id == order_id, _order.c.status == OrderStatus.SHIPPED.value)
            .values(status=OrderStatus.CLEARED.value, cleared_at=at)
        ).rowcount
        if changed:
            audit.record(
                session,
                actor=actor,
                entity="order",
                entity_id=order_id,
                action=OrderStatus.CLEARED.value,
                changes={"at": at.isoformat(), "declaration_id": declaration.id},
            )


def _all_cleared(session: Session, order_id: int, batch_id: int) -> bool:
    by_list = select(_declaration.c.status).where(
        _declaration.c.batch_id == batch_id, _declaration.c.order_id == order_id
    )
    by_source = (
        select(_declaration.c.status)
        .select_from(
            _declaration.join(_line, _line.c.declaration_id == _declaration.c.id)
            .join(_source, _source.c.declaration_line_id == _line.c.id)
            .join(_order_line, _order_line.c.id == _source.c.order_line_id)
        )
        .where(_declaration.c.batch_id == batch_id, _order_line.c.order_id == order_id)
    )
    statuses = set(session.scalars(by_list)) | set(session.scalars(by_source))
    return statuses == {CustomsStatus.CLEARED.value}


def batch_status(counts: dict[str, int]) -> CustomsStatus:
    """A batch's status from its declarations': any rejected, else all cleared, else all at least
    accepted; cancelled lists are left aside (a batch of nothing else is cancelled)."""
    if counts.get(CustomsStatus.DRAFT, 0):
        return CustomsStatus.DRAFT
    if counts.get(CustomsStatus.REJECTED, 0):
        return CustomsStatus.REJECTED
    total = sum(counts.values()) - counts.get(CustomsStatus.CANCELLED, 0)
    if total == 0:
        return CustomsStatus.CANCELLED
    if counts.get(CustomsStatus.CLEARED, 0) == total:
        return CustomsStatus.CLEARED
    if counts.get(CustomsStatus.CLEARED, 0) + counts.get(CustomsStatus.ACCEPTED, 0) == total:
        return CustomsStatus.ACCEPTED
    return CustomsStatus.SUBMITTED


def settle_batch(session: Session, actor: Actor, batch_id: int, *, now: datetime) -> None:
    counts = dict(
        session.execute(
            select(_declaration.c.status, func.count())
            .where(_declaration.c.batch_id == batch_id)
            .group_by(_declaration.c.status)
        ).all()
    )
    batch = session.get(CustomsBatch, batch_id, with_for_update=True)
    status = batch_status(counts)
    if status.value == batch.status:
        return
    before = batch.status
    batch.status = status.value
    batch.status_changed_at = now
    session.add(batch)
    audit.record(
        session, actor=actor, entity="customs_batch", entity_id=batch_id, action=status.value, changes={"from": before}
    )


def api_result_key(declaration_id: int, status: str, entry_id: str | None, at: datetime | None) -> str:
    """An operator's result is the same result when repeated with the same facts (a retried request)."""
    moment = at.astimezone(UTC).isoformat() if at is not None else ""
    return f"api:{declaration_id}:{status}:{entry_id or ''}:{moment}"[:80]


def declarations_by(session: Session, number: str, values: Sequence[str]) -> dict[str, int]:
    """Declarations' ids by one of the numbers that name them (``cop_no``, ours; ``sum_no``, customs')."""
    if not values:
        return {}
    column = _declaration.c[number]
    rows = session.execute(select(column, _declaration.c.id).where(column.in_(list(values))))
    return dict(rows.all())
