"""A batch's life after forming: submission (messages frozen, batch immutable) and customs results.

``draft -> submitted -> accepted | rejected -> cleared``, per declaration; a batch's status
follows its declarations. Each result is recorded once (by its receipt key), every change is
in the audit trail, and orders become ``cleared`` when every declaration holding them is.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role
from commerce.audit import service as audit
from commerce.clusters.models import Enterprise
from commerce.clusters.permissions import require_role
from commerce.customs import calendar, claiming, messages, scope
from commerce.customs.codes import UnmappedCode
from commerce.customs.consolidation import HEADER_KEY, LINE_KEY
from commerce.customs.errors import (
    BatchNotDraft,
    InventoryNumberInvalid,
    MessageFieldTooLong,
    ReceiptNotApplicable,
    UnmappedCustomsCode,
)
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsMessage,
    CustomsPlatform,
    CustomsReceipt,
    CustomsStatus,
    DeclarationKind,
)
from commerce.db import utcnow, write_transaction
from commerce.errors import NotFound
from commerce.jobs import service as jobs
from commerce.orders.models import OrderLine, OrderStatus, SalesOrder
from commerce.sql import bulk_insert

log = logging.getLogger(__name__)
_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_message = CustomsMessage.__table__
_receipt = CustomsReceipt.__table__
_order = SalesOrder.__table__
_order_line = OrderLine.__table__
_source = CustomsLineSource.__table__

# Results that may follow a status; a result that may not (a late one) changes nothing.
NEXT = {
    CustomsStatus.SUBMITTED: {CustomsStatus.ACCEPTED, CustomsStatus.REJECTED, CustomsStatus.CLEARED},
    CustomsStatus.ACCEPTED: {CustomsStatus.REJECTED, CustomsStatus.CLEARED},
}
# A submitted batch is sent by this many jobs at most, each taking every n-th declaration.
SEND_LANES = 4
# The order a list's messages are sent in: the order, payment and waybill before the list that cites them.
SEND_ORDER = {"CEB303": 0, "CEB403": 1, "CEB505": 2, "CEB603": 3, "CEB701": 4, "DEC": 5}


def sender_of(session: Session, platform: CustomsPlatform) -> messages.Sender:
    name = session.get(Enterprise, platform.enterprise_id).name
    return messages.Sender(
        code=platform.customs_registration,
        name=name,
        dxp_id=platform.dxp_id,
        payment_code=platform.payment_code,
        payment_name=platform.payment_name,
        destination_port=platform.destination_port,
        wrap_type=platform.wrap_type,
        ebp_code=platform.ebp_code or platform.customs_registration,
        ebp_name=platform.ebp_name or name,
    )


def build_messages(
    session: Session, batch: CustomsBatch, declarations: Sequence[Any], *, now: datetime
) -> list[tuple[int, messages.Built]]:
    """The messages customs receives for some declarations of a batch: (declaration id, message)."""
    platform = session.get(CustomsPlatform, batch.platform_id)
    sender = sender_of(session, platform)
    ids = [declaration.id for declaration in declarations]
    lines: dict[int, list[Any]] = defaultdict(list)
    for line in session.execute(select(_line).where(_line.c.declaration_id.in_(ids)).order_by(_line.c.line_no)):
        lines[line.declaration_id].append(line)
    numbers = _inventory_numbers(session, batch, declarations, lines) if batch.kind == BatchKind.SUMMARY else {}
    built: list[tuple[int, messages.Built]] = []
    for index, declaration in enumerate(declarations, start=1):
        own = lines[declaration.id]
        try:
            if declaration.kind == DeclarationKind.INVENTORY_LIST:
                for build in (messages.order, messages.payment, messages.waybill, messages.inventory_list):
                    built.append((declaration.id, build(declaration, own, sender, now=now)))
            elif batch.kind == BatchKind.SUMMARY:
                part = (index, len(declarations))
                message = messages.summary_application(
                    declaration, numbers.get(declaration.id, []), sender, now=now, part=part
                )
                built.append((declaration.id, message))
            else:
                built.append((declaration.id, messages.full_declaration(declaration, own, sender, now=now)))
        except UnmappedCode as error:
            raise UnmappedCustomsCode(order=declaration.cop_no, value=error.value, table=error.table) from None
        except messages.FieldTooLong as error:
            raise MessageFieldTooLong(declaration=declaration.cop_no, element=error.field, limit=error.limit) from None
    return built


def _inventory_numbers(
    session: Session, batch: CustomsBatch, declarations: Sequence[Any], lines: dict[int, list[Any]]
) -> dict[int, list[str]]:
    """Per summary declaration, the customs numbers of the lists with a line of its header and line keys."""
    owners: dict[tuple, int] = {}
    for declaration in declarations:
        header = tuple(getattr(declaration, name) for name in HEADER_KEY)
        for line in lines[declaration.id]:
            owners[header + tuple(getattr(line, name) for name in LINE_KEY)] = declaration.id
    rows = session.execute(
        select(
            *[_declaration.c[name] for name in HEADER_KEY],
            *[_line.c[name] for name in LINE_KEY],
            _declaration.c.entry_id,
        )
        .join(_declaration, _declaration.c.id == _line.c.declaration_id)
        .where(*claiming.summary_stretch(_declaration, batch))
        .distinct()
    )
    numbers: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        declaration_id = owners.get(tuple(row[:-1]))
        if declaration_id is not None and row[-1]:
            numbers[declaration_id].add(row[-1])
    return {key: sorted(value) for key, value in numbers.items()}


def draft_for_change(session: Session, batch_id: int, *, actor: Actor) -> CustomsBatch:
    """A batch locked for a change only a draft may take (404 if unknown or another cluster's, 409
    batch_not_draft once submitted)."""
    batch = scope.check_batch(session, actor, session.get(CustomsBatch, batch_id, with_for_update=True))
    if batch.status != CustomsStatus.DRAFT:
        raise BatchNotDraft(status=batch.status)
    return batch


def submit_batch(session: Session, *, actor: Actor, batch_id: int, now: datetime | None = None) -> None:
    """Freeze a draft batch: its messages are written as they will be sent, and a worker sends them."""
    require_role(actor, Role.TRADE_OPERATOR)
    now = now or utcnow()
    with write_transaction(session):
        batch = draft_for_change(session, batch_id, actor=actor)
        declarations = list(
            session.execute(
                select(_declaration).where(_declaration.c.batch_id == batch_id).order_by(_declaration.c.seq_no)
            )
        )
        built = build_messages(session, batch, declarations, now=now)
        bulk_insert(
            session,
            _message,
            [
                {
                    "declaration_id": declaration_id,
                    "kind": message.kind,
                    "guid": message.guid,
                    "body": message.body,
                    "created_at": now,
                    "sent_at": None,
                }
                for declaration_id, message in built
            ],
        )
        session.execute(
            update(_declaration)
            .where(_declaration.c.batch_id == batch_id)
            .values(status=CustomsStatus.SUBMITTED.value, submitted_at=now)
        )
        batch.status = CustomsStatus.SUBMITTED.value
        batch.submitted_at = now
        batch.status_changed_at = now
        session.add(batch)
        # Lanes of declarations, each its own job, so that several workers share a large batch's signing.
        lanes = min(SEND_LANES, len(declarations)) or 1
        for lane in range(lanes):
            jobs.enqueue(
                session,
                kind="customs.submit",
                key=f"customs-batch:{batch_id}:submit:{lane}",
                payload={"batch_id": batch_id, "lane": lane, "lanes": lanes},
            )
        audit.record(
            session,
            actor=actor,
            entity="customs_batch",
            entity_id=batch_id,
            action="submitted",
            changes={"messages": len(built)},
        )


def message_of(
    session: Session, *, declaration: CustomsDeclaration, kind: str | None, now: datetime | None = None
) -> str:
    """A declaration's message: as sent once submitted, else as it would be built now."""
    default = {"inventory_list": "CEB603"}.get(declaration.kind)
    batch = session.get(CustomsBatch, declaration.batch_id)
    if default is None:
        default = "CEB701" if batch.kind == BatchKind.SUMMARY else "DEC"
    kind = kind or default
    stored = session.execute(
        select(_message.c.body).where(_message.c.declaration_id == declaration.id, _message.c.kind == kind)
    ).scalar_one_or_none()
    if stored is not None:
        return stored
    if declaration.status != CustomsStatus.DRAFT:
        raise NotFound()
    row = session.execute(select(_declaration).where(_declaration.c.id == declaration.id)).one()
    for _, message in build_messages(session, batch, [row], now=now or utcnow()):
        if message.kind == kind:
            return message.body
    raise NotFound()


# Results ------------------------------------------------------------------------------------------


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
        for result in results:
            declaration = session.get(CustomsDeclaration, result.declaration_id, with_for_update=True)
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
            if not _record_once(session, actor, result):
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
            _change(session, actor, declaration, result)
            touched_batches.add(declaration.batch_id)
            applied += 1
        for touched in sorted(touched_batches):
            _settle_batch(session, actor, touched, now=utcnow())
    return applied, repeated


def _record_once(session: Session, actor: Actor, result: Result) -> bool:
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


def _change(session: Session, actor: Actor, declaration: CustomsDeclaration, result: Result) -> None:
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
    """A batch's status from its declarations': any rejected, else all cleared, else all at least accepted."""
    if counts.get(CustomsStatus.DRAFT, 0):
        return CustomsStatus.DRAFT
    if counts.get(CustomsStatus.REJECTED, 0):
        return CustomsStatus.REJECTED
    total = sum(counts.values())
    if counts.get(CustomsStatus.CLEARED, 0) == total:
        return CustomsStatus.CLEARED
    if counts.get(CustomsStatus.CLEARED, 0) + counts.get(CustomsStatus.ACCEPTED, 0) == total:
        return CustomsStatus.ACCEPTED
    return CustomsStatus.SUBMITTED


def _settle_batch(session: Session, actor: Actor, batch_id: int, *, now: datetime) -> None:
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


def unsent_messages(
    session: Session, batch_id: int, *, limit: int, lane: int = 0, lanes: int = 1, from_seq_no: int = 0
) -> list[Any]:
    """Messages of a batch not yet sent, in the order customs needs them, from a declaration on;
    of one lane of ``lanes`` (declarations by their number, so a list's order, payment and waybill
    share its lane). Read along the declarations' numbers: each chunk costs what it holds."""
    rows = session.execute(
        select(_message.c.id, _message.c.kind, _message.c.guid, _message.c.body, _declaration.c.seq_no)
        .join(_declaration, _declaration.c.id == _message.c.declaration_id)
        .where(
            and_(
                _declaration.c.batch_id == batch_id,
                _declaration.c.seq_no >= from_seq_no,
                _message.c.sent_at.is_(None),
                _declaration.c.seq_no % lanes == lane,
            )
        )
        .order_by(_declaration.c.seq_no, _message.c.id)
        .limit(limit)
    )
    return sorted(rows, key=lambda row: (row.seq_no, SEND_ORDER.get(row.kind, 9)))


def mark_sent(session: Session, message_ids: Sequence[int], *, now: datetime) -> None:
    with write_transaction(session):
        session.execute(update(_message).where(_message.c.id.in_(list(message_ids))).values(sent_at=now))
