"""Exports that come back after release, under customs' export return regime (announcement 2020
No. 44): goods declared for export and released return within a year of their export, in their
original state, through a return declaration of their own.

A return is recorded against the declaration line its goods left on: a full declaration's line,
or for 9610 parcels the monthly summary line that holds their list (the line rebates are claimed
on). A line never takes back more than it exported: ``returned_quantity`` on the line, bounded by a
constraint, is raised in the same statement that records the return. The goods returned leave
the rebate claims computed afterwards, and a rebate already refunded on them is owed back
(``rebates.ledger``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.permissions import is_firm_scoped
from commerce.customs import reading, scope
from commerce.customs.calendar import china_today
from commerce.customs.errors import (
    DeclarationNotCleared,
    NotOriginalState,
    ReturnExceedsExported,
    ReturnOnSummary,
    ReturnOutsideWindow,
    UnknownLine,
)
from commerce.customs.models import (
    CustomsDeclarationLine,
    CustomsStatus,
    DeclarationKind,
    ExportReturn,
)
from commerce.customs.shapes import ExportReturnCreate
from commerce.db import utcnow, violated_check, write_transaction
from commerce.errors import NotFound
from commerce.orders.errors import TimeInFuture

_line = CustomsDeclarationLine.__table__


def last_return_day(exported_on: date) -> date:
    """The last day goods exported on ``exported_on`` may come back: the same day a year later
    (28 February for an export of 29 February)."""
    try:
        return exported_on.replace(year=exported_on.year + 1)
    except ValueError:
        return exported_on.replace(year=exported_on.year + 1, day=28)


def record_return(
    session: Session, *, actor: Actor, declaration_id: int, data: ExportReturnCreate, now: datetime | None = None
) -> ExportReturn:
    """Record goods of a released declaration line that came back within a year, in their original state."""
    require_role(actor, Role.TRADE_OPERATOR)
    now = now or utcnow()
    try:
        with write_transaction(session):
            declaration = scope.locked_declaration(session, actor, declaration_id)
            if declaration.kind == DeclarationKind.INVENTORY_LIST.value:
                raise ReturnOnSummary(field="declaration_id")
            if declaration.status != CustomsStatus.CLEARED.value or declaration.cleared_at is None:
                raise DeclarationNotCleared(status=declaration.status)
            if not data.original_state:
                raise NotOriginalState(field="original_state")
            if data.returned_on > china_today(now):
                raise TimeInFuture(field="returned_on")
            exported_on = china_today(declaration.cleared_at)
            last_day = last_return_day(exported_on)
            if not exported_on <= data.returned_on <= last_day:
                raise ReturnOutsideWindow(
                    field="returned_on", exported_on=exported_on.isoformat(), last_day=last_day.isoformat()
                )
            line = session.execute(
                select(_line.c.id, _line.c.quantity).where(
                    _line.c.declaration_id == declaration.id, _line.c.line_no == data.line_no
                )
            ).first()
            if line is None:
                raise UnknownLine(field="line_no", line_no=data.line_no)
            # The line's constraint bounds what all its returns add up to.
            session.execute(
                update(_line)
                .where(_line.c.id == line.id)
                .values(returned_quantity=_line.c.returned_quantity + data.quantity)
            )
            returned = ExportReturn(
                declaration_id=declaration.id,
                declaration_line_id=line.id,
                enterprise_id=declaration.owner_enterprise_id,
                quantity=data.quantity,
                returned_on=data.returned_on,
                reference=data.reference,
                reason=data.reason,
                recorded_by=actor.user_id,
                recorded_at=now,
            )
            session.add(returned)
            session.flush()
            audit.record(
                session,
                actor=actor,
                entity="export_return",
                entity_id=returned.id,
                action="recorded",
                changes={"declaration_id": declaration.id, "line_no": data.line_no, "quantity": str(data.quantity)},
            )
    except IntegrityError as error:
        if violated_check(error) == "customs_line_return_within_exported":
            exported = format(line.quantity.normalize(), "f")
            raise ReturnExceedsExported(field="quantity", line_no=data.line_no, quantity=exported) from None
        raise
    return returned


def returns_of(session: Session, *, actor: Actor, declaration_id: int) -> list[tuple[ExportReturn, int]]:
    """A declaration's returns with their line numbers, oldest first: the platform's staff, or the
    firm whose goods they are."""
    declaration, _batch = reading.readable_declaration(session, actor=actor, declaration_id=declaration_id)
    if is_firm_scoped(actor) and declaration.owner_enterprise_id != actor.enterprise_id:
        raise NotFound()
    rows = session.execute(
        select(ExportReturn, CustomsDeclarationLine.line_no)
        .join(CustomsDeclarationLine, CustomsDeclarationLine.id == ExportReturn.declaration_line_id)
        .where(ExportReturn.declaration_id == declaration_id)
        .order_by(ExportReturn.id)
    )
    return [(returned, line_no) for returned, line_no in rows]
