"""A batch's life after forming: submission (messages built, frozen and sent in lanes; the batch
immutable from then on).

``draft -> submitted -> accepted | rejected -> cleared``, per declaration; a batch's status
follows its declarations. Customs' results are recorded in ``result_recording``: each once (by
its receipt key), every change in the audit trail, and orders become ``cleared`` when every
declaration holding them is."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.models import Enterprise
from commerce.customs import claiming, messages, scope
from commerce.customs.codes import UnmappedCode
from commerce.customs.consolidation import HEADER_KEY, LINE_KEY
from commerce.customs.errors import (
    BatchNotDraft,
    MessageFieldTooLong,
    UnmappedCustomsCode,
)
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsMessage,
    CustomsPlatform,
    CustomsStatus,
    DeclarationKind,
)
from commerce.db import utcnow, write_transaction
from commerce.errors import NotFound
from commerce.jobs import service as jobs
from commerce.sql import bulk_insert

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_message = CustomsMessage.__table__


log = logging.getLogger(__name__)


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
