"""Cancelling a 9610 inventory list before the goods leave: the platform asks customs (CEB605) and
customs answers (CEB606): cancelled, or refused with its reason.

A list may be cancelled once customs has entered or released it and given it its number, until a
monthly summary declares it. One request is open at a time; a refused one may be asked again. A
cancelled list is no export: summaries, statistics and rebate claims pass it over. Its order is no
longer cleared, and once every list of the order in its batch is cancelled the order leaves the
batch, to be declared again or refunded. Each answer is applied once, however often it arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.customs import lifecycle, messages, reading, result_recording, scope
from commerce.customs.errors import (
    CancellationPending,
    ListInSummary,
    ListNotCancellable,
    NotAnInventoryList,
)
from commerce.customs.models import (
    BatchKind,
    CancellationStatus,
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsPlatform,
    CustomsStatus,
    DeclarationKind,
    ListCancellation,
)
from commerce.db import row_for_update, utcnow, write_transaction
from commerce.jobs import service as jobs
from commerce.orders.models import OrderStatus, SalesOrder
from integrations.customs import GatewayReceipt

log = logging.getLogger(__name__)

_declaration = CustomsDeclaration.__table__
_cancellation = ListCancellation.__table__
_order = SalesOrder.__table__

# What a list must be for customs to cancel it: entered or released, with its number.
CANCELLABLE = (CustomsStatus.ACCEPTED.value, CustomsStatus.CLEARED.value)
# Cancellations that stand: asked and not answered, or granted.
STANDING = (CancellationStatus.REQUESTED.value, CancellationStatus.CANCELLED.value)
JOB_KIND = "customs.cancel_list"


def _summary_holding(session: Session, declaration: CustomsDeclaration) -> int | None:
    """The current summary batch whose stretch holds the released list, if one does."""
    if declaration.clearance_no is None:
        return None
    return session.scalar(
        select(CustomsBatch.id).where(
            CustomsBatch.platform_id == declaration.platform_id,
            CustomsBatch.kind == BatchKind.SUMMARY.value,
            CustomsBatch.period == declaration.cleared_period,
            CustomsBatch.superseded_by_id.is_(None),
            CustomsBatch.from_clearance < declaration.clearance_no,
            CustomsBatch.to_clearance >= declaration.clearance_no,
        )
    )


def request_cancellation(
    session: Session, *, actor: Actor, declaration_id: int, reason: str, now: datetime | None = None
) -> ListCancellation:
    """Ask customs to cancel a list: the CEB605 is built and kept as it will be sent, and a job sends it."""
    require_role(actor, Role.TRADE_OPERATOR)
    now = now or utcnow()
    try:
        with write_transaction(session):
            declaration = scope.locked_declaration(session, actor, declaration_id)
            if declaration.kind != DeclarationKind.INVENTORY_LIST.value:
                raise NotAnInventoryList(field="declaration_id")
            standing = session.scalar(
                select(ListCancellation.status).where(
                    ListCancellation.declaration_id == declaration.id, ListCancellation.status.in_(STANDING)
                )
            )
            if standing is not None:
                raise CancellationPending(status=standing)
            if declaration.status not in CANCELLABLE or not declaration.entry_id:
                raise ListNotCancellable(status=declaration.status)
            summary = _summary_holding(session, declaration)
            if summary is not None:
                raise ListInSummary(batch=summary)
            platform = session.get(CustomsPlatform, declaration.platform_id)
            built = messages.list_cancellation(declaration, reason, lifecycle.sender_of(session, platform), now=now)
            cancellation = ListCancellation(
                declaration_id=declaration.id,
                platform_id=declaration.platform_id,
                reason=reason,
                guid=built.guid,
                body=built.body,
                requested_by=actor.user_id,
                requested_at=now,
            )
            session.add(cancellation)
            session.flush()
            jobs.enqueue(
                session,
                kind=JOB_KIND,
                key=f"customs-cancellation:{cancellation.id}",
                payload={"cancellation_id": cancellation.id},
            )
            audit.record(
                session,
                actor=actor,
                entity="customs_declaration",
                entity_id=declaration.id,
                action="cancellation_requested",
                changes={"cancellation_id": cancellation.id, "reason": reason},
            )
    except IntegrityError as error:
        if "customs_list_cancellation_one_open" in str(error.orig):
            raise CancellationPending(status=CancellationStatus.REQUESTED.value) from None
        raise
    return cancellation


def cancellations_of(session: Session, *, actor: Actor, declaration_id: int) -> list[ListCancellation]:
    """A list's cancellations, oldest first, for whoever may read the list."""
    reading.get_declaration(session, actor=actor, declaration_id=declaration_id)
    return list(
        session.scalars(
            select(ListCancellation)
            .where(ListCancellation.declaration_id == declaration_id)
            .order_by(ListCancellation.id)
        )
    )


def latest_message(session: Session, declaration_id: int) -> str | None:
    """The CEB605 last asked for a list, as built."""
    return session.scalar(
        select(ListCancellation.body)
        .where(ListCancellation.declaration_id == declaration_id)
        .order_by(ListCancellation.id.desc())
        .limit(1)
    )


def awaited_in_stretch(session: Session, *, platform_id: int, period: str, after: int, upto: int) -> list[str]:
    """The lists of a summary's stretch whose cancellation customs has not answered yet (their copNo)."""
    return list(
        session.scalars(
            select(_declaration.c.cop_no)
            .join(_cancellation, _cancellation.c.declaration_id == _declaration.c.id)
            .where(
                _declaration.c.platform_id == platform_id,
                _declaration.c.cleared_period == period,
                _declaration.c.clearance_no > after,
                _declaration.c.clearance_no <= upto,
                _cancellation.c.status == CancellationStatus.REQUESTED.value,
            )
            .order_by(_declaration.c.clearance_no)
        )
    )


def mark_sent(session: Session, cancellation_id: int, *, now: datetime) -> None:
    with write_transaction(session):
        session.execute(
            update(_cancellation)
            .where(_cancellation.c.id == cancellation_id, _cancellation.c.sent_at.is_(None))
            .values(sent_at=now)
        )


def record_answers(session: Session, answers: Sequence[GatewayReceipt]) -> tuple[int, int]:
    """Apply customs' answers to cancellations (CEB606) once each; returns (applied, passed over).

    An answer is for the list's open request; one arriving again, late, or for a list without an
    open request changes nothing. One still in progress at the E-port is only logged."""
    applied = passed = 0
    actor = Actor.system()
    with write_transaction(session):
        for answer in answers:
            if answer.status is None:
                log.info("cancellation of %s: %s %s", answer.cop_no, answer.return_status, answer.info)
                passed += 1
                continue
            declaration_id = session.scalar(select(_declaration.c.id).where(_declaration.c.cop_no == answer.cop_no))
            declaration = (
                row_for_update(session, CustomsDeclaration, declaration_id) if declaration_id is not None else None
            )
            cancellation = (
                session.scalars(
                    select(ListCancellation)
                    .where(
                        ListCancellation.declaration_id == declaration.id,
                        ListCancellation.status == CancellationStatus.REQUESTED.value,
                    )
                    .with_for_update()
                ).first()
                if declaration is not None
                else None
            )
            if cancellation is None:
                log.info("answer %s names no open cancellation of %s", answer.receipt_id, answer.cop_no)
                passed += 1
                continue
            note = f"{answer.message_type} {answer.return_status} {answer.info}".strip()
            cancellation.status = answer.status
            cancellation.decided_at = answer.at
            cancellation.customs_note = note
            session.add(cancellation)
            audit.record(
                session,
                actor=actor,
                entity="customs_declaration",
                entity_id=declaration.id,
                action=f"cancellation_{answer.status}",
                changes={"cancellation_id": cancellation.id, "note": note, "at": answer.at.isoformat()},
            )
            if answer.status == CancellationStatus.CANCELLED.value:
                _cancel(session, actor, declaration, answer, note)
            applied += 1
    return applied, passed


def _cancel(session: Session, actor: Actor, declaration: CustomsDeclaration, answer: GatewayReceipt, note: str) -> None:
    """The list is no export any more: its status, its history, its order and its batch follow."""
    result = result_recording.Result(
        declaration_id=declaration.id,
        status=CustomsStatus.CANCELLED,
        entry_id=None,
        message=note,
        at=answer.at,
        key=f"gw:{answer.receipt_id}"[:80],
        source="gateway",
    )
    result_recording.record_receipt(session, actor, result)
    result_recording.apply_result(session, actor, declaration, result)
    if declaration.order_id is not None:
        _release_order(session, actor, declaration)
    result_recording.settle_batch(session, actor, declaration.batch_id, now=utcnow())


def _release_order(session: Session, actor: Actor, declaration: CustomsDeclaration) -> None:
    """The order is cleared no more; with every list of it in the batch cancelled it leaves the batch."""
    order_id = declaration.order_id
    uncleared = session.execute(
        update(_order)
        .where(_order.c.id == order_id, _order.c.status == OrderStatus.CLEARED.value)
        .values(status=OrderStatus.SHIPPED.value, cleared_at=None)
    ).rowcount
    standing = session.scalar(
        select(_declaration.c.id).where(
            _declaration.c.batch_id == declaration.batch_id,
            _declaration.c.order_id == order_id,
            _declaration.c.status != CustomsStatus.CANCELLED.value,
        )
    )
    released = 0
    if standing is None:
        holder = CustomsBatchOrder.__table__
        released = session.execute(
            delete(holder).where(holder.c.order_id == order_id, holder.c.batch_id == declaration.batch_id)
        ).rowcount
    if uncleared or released:
        audit.record(
            session,
            actor=actor,
            entity="order",
            entity_id=order_id,
            action="list_cancelled",
            changes={"declaration_id": declaration.id, "uncleared": bool(uncleared), "left_batch": bool(released)},
        )


def open_platforms(session: Session) -> list[int]:
    """Platforms with a cancellation sent and not answered: their receipts are to be collected."""
    return list(
        session.scalars(
            select(_cancellation.c.platform_id)
            .where(_cancellation.c.status == CancellationStatus.REQUESTED.value, _cancellation.c.sent_at.is_not(None))
            .distinct()
        )
    )
