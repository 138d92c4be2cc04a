"""Reading batches and declarations as the platform's staff and the firms see them: a firm sees
only the declarations holding its goods, and of them only its own lines.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, literal, or_, select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.clusters.models import Enterprise
from commerce.clusters.permissions import is_firm_scoped
from commerce.customs import calendar, claiming, scope
from commerce.customs.consolidation import HEADER_KEY, LINE_KEY
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsReceipt,
    CustomsStatus,
)
from commerce.db import utcnow
from commerce.errors import N_, NotFound
from commerce.orders.models import OrderLine
from commerce.pagination import Page, fetch_page

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_source = CustomsLineSource.__table__
_order_line = OrderLine.__table__


@dataclass(slots=True)
class BatchView:
    batch: CustomsBatch
    declarations: list[Any]
    orders: int
    warnings: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _visible_declarations(actor: Actor):
    """Which declarations a reader sees: a firm only those holding its goods."""
    if not is_firm_scoped(actor):
        return None
    firm = actor.enterprise_id
    own_source = (
        select(literal(1))
        .select_from(
            _source.join(_line, _line.c.id == _source.c.declaration_line_id).join(
                _order_line, _order_line.c.id == _source.c.order_line_id
            )
        )
        .where(_line.c.declaration_id == _declaration.c.id, _order_line.c.enterprise_id == firm)
    )
    return or_(_declaration.c.owner_enterprise_id == firm, exists(own_source))


def _require_reader(actor: Actor) -> None:
    require_role(actor, Role.TRADE_OPERATOR, Role.SME)


def get_batch(session: Session, *, actor: Actor, batch_id: int, now: datetime | None = None) -> BatchView:
    """A batch and the declarations the reader may see (a firm: those holding its goods; 404 if none)."""
    _require_reader(actor)
    batch = scope.check_batch(session, actor, session.get(CustomsBatch, batch_id))
    line_count = (
        select(func.count()).select_from(_line).where(_line.c.declaration_id == _declaration.c.id).scalar_subquery()
    )
    statement = select(
        _declaration.c.id,
        _declaration.c.kind,
        _declaration.c.seq_no,
        _declaration.c.cop_no,
        _declaration.c.status,
        _declaration.c.entry_id,
        _declaration.c.owner_code,
        _declaration.c.arrival_country,
        _declaration.c.order_id,
        line_count.label("lines"),
    ).where(_declaration.c.batch_id == batch_id)
    visible = _visible_declarations(actor)
    if visible is not None:
        statement = statement.where(visible)
    declarations = list(session.execute(statement.order_by(_declaration.c.seq_no)))
    if visible is not None and not declarations:
        raise NotFound()
    orders = session.execute(
        select(func.count()).select_from(CustomsBatchOrder).where(CustomsBatchOrder.batch_id == batch_id)
    ).scalar_one()
    return BatchView(batch=batch, declarations=declarations, orders=orders, warnings=batch_warnings(batch, now))


BATCH_WARNINGS = {
    "summary_overdue": N_("The summary was due on {due_date}."),
    "summary_due_soon": N_("The summary is due on {due_date}."),
}


def batch_warnings(batch: CustomsBatch, now: datetime | None = None) -> list[tuple[str, dict[str, str]]]:
    """What the operator should act on (a summary due soon or overdue): codes of BATCH_WARNINGS and their values."""
    if batch.due_date is None or batch.status != CustomsStatus.DRAFT:
        return []
    today = calendar.china_today(now or utcnow())
    values = {"due_date": batch.due_date.isoformat()}
    if today > batch.due_date:
        return [("summary_overdue", values)]
    if (batch.due_date - today).days <= calendar.DUE_SOON_DAYS:
        return [("summary_due_soon", values)]
    return []


def list_batches(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    customs_mode: str | None = None,
    status: str | None = None,
    period: str | None = None,
) -> Page:
    _require_reader(actor)
    statement = scope.within_platforms(select(CustomsBatch), actor, CustomsBatch.platform_id)
    if customs_mode is not None:
        statement = statement.where(CustomsBatch.customs_mode == customs_mode)
    if status is not None:
        statement = statement.where(CustomsBatch.status == status)
    if period is not None:
        statement = statement.where(CustomsBatch.period == period)
    visible = _visible_declarations(actor)
    if visible is not None:
        statement = statement.where(
            exists(select(literal(1)).where(_declaration.c.batch_id == CustomsBatch.id, visible))
        )
    return fetch_page(session, statement, id_column=CustomsBatch.id, limit=limit, after=after)


@dataclass(slots=True)
class LineView:
    line: Any
    firms: list[tuple[int, list[int], int]]


@dataclass(slots=True)
class DeclarationView:
    declaration: CustomsDeclaration
    lines: list[LineView]
    order_ids: list[int]
    inventory_list_ids: list[int]
    receipts: list[CustomsReceipt]
    firm_names: dict[int, tuple[str, str]] = field(default_factory=dict)


def readable_declaration(
    session: Session, *, actor: Actor, declaration_id: int
) -> tuple[CustomsDeclaration, CustomsBatch]:
    """A declaration the reader may see, with its batch (404 otherwise): a trade operator's platforms',
    a firm's only if it holds the firm's goods."""
    _require_reader(actor)
    statement = select(CustomsDeclaration).where(CustomsDeclaration.id == declaration_id)
    visible = _visible_declarations(actor)
    if visible is not None:
        statement = statement.where(visible)
    declaration = session.scalars(statement).first()
    if declaration is None:
        raise NotFound()
    return declaration, scope.check_batch(session, actor, session.get(CustomsBatch, declaration.batch_id))


def get_declaration(session: Session, *, actor: Actor, declaration_id: int) -> DeclarationView:
    """A declaration: header, the lines the reader may see with the firms and orders in each, receipts."""
    declaration, batch = readable_declaration(session, actor=actor, declaration_id=declaration_id)
    lines = list(
        session.scalars(
            select(CustomsDeclarationLine)
            .where(CustomsDeclarationLine.declaration_id == declaration_id)
            .order_by(CustomsDeclarationLine.line_no)
        )
    )
    if batch.kind == BatchKind.SUMMARY:
        merged = _merged_lists(session, batch, declaration, lines)
        firms = _firms_of_summary_lines(declaration, lines, merged)
        lists = sorted({list_id for list_id, _, _ in merged})
    else:
        firms = _firms_of_lines(session, lines)
        lists = []
    firm = actor.enterprise_id if is_firm_scoped(actor) else None
    views = []
    for line in lines:
        line_firms = firms.get(line.id, [])
        if firm is not None and declaration.owner_enterprise_id != firm:
            line_firms = [entry for entry in line_firms if entry[0] == firm]
            if not line_firms:
                continue
        views.append(LineView(line=line, firms=line_firms))
    order_ids = sorted({order_id for view in views for _, orders, _ in view.firms for order_id in orders})
    receipts = list(
        session.scalars(
            select(CustomsReceipt).where(CustomsReceipt.declaration_id == declaration_id).order_by(CustomsReceipt.id)
        )
    )
    firm_ids = {firm_id for view in views for firm_id, _, _ in view.firms}
    names = {
        row.id: (row.name, row.uscc)
        for row in session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.uscc).where(Enterprise.id.in_(firm_ids))
        )
    }
    return DeclarationView(declaration, views, order_ids, lists if firm is None else [], receipts, names)


def _firms_of_lines(
    session: Session, lines: list[CustomsDeclarationLine]
) -> dict[int, list[tuple[int, list[int], int]]]:
    """Per line of a list or full declaration: (firm, its orders, pieces) from the order lines it declares."""
    line_ids = [line.id for line in lines]
    if not line_ids:
        return {}
    direct = (
        select(_line.c.id, _order_line.c.enterprise_id, _order_line.c.order_id, _order_line.c.quantity)
        .join(_order_line, _order_line.c.id == _line.c.order_line_id)
        .where(_line.c.id.in_(line_ids))
    )
    sourced = (
        select(_source.c.declaration_line_id, _order_line.c.enterprise_id, _order_line.c.order_id, _source.c.quantity)
        .join(_order_line, _order_line.c.id == _source.c.order_line_id)
        .where(_source.c.declaration_line_id.in_(line_ids))
    )
    grouped: dict[int, dict[int, tuple[set[int], int]]] = defaultdict(dict)
    for line_id, enterprise_id, order_id, pieces in [*session.execute(direct), *session.execute(sourced)]:
        orders, count = grouped[line_id].get(enterprise_id, (set(), 0))
        orders.add(order_id)
        grouped[line_id][enterprise_id] = (orders, count + pieces)
    return {
        line_id: [(firm, sorted(orders), count) for firm, (orders, count) in sorted(firms.items())]
        for line_id, firms in grouped.items()
    }


def _line_key(line: Any) -> tuple:
    return tuple(getattr(line, name) for name in LINE_KEY)


def _merged_lists(
    session: Session, batch: CustomsBatch, declaration: CustomsDeclaration, lines: list[CustomsDeclarationLine]
) -> list[tuple[int, int, tuple]]:
    """The lists a summary declaration merges: (list, its order, line key) for each of their lines of its keys."""
    lists = _declaration.alias("inventory")
    rows = session.execute(
        select(lists.c.id, lists.c.order_id, *[_line.c[name] for name in LINE_KEY])
        .join(lists, lists.c.id == _line.c.declaration_id)
        .where(
            *claiming.summary_stretch(lists, batch),
            *[lists.c[name] == getattr(declaration, name) for name in HEADER_KEY],
        )
    )
    keys = {_line_key(line) for line in lines}
    return [(row[0], row[1], tuple(row[2:])) for row in rows if tuple(row[2:]) in keys]


def _firms_of_summary_lines(
    declaration: CustomsDeclaration, lines: list[CustomsDeclarationLine], merged: list[tuple[int, int, tuple]]
) -> dict[int, list[tuple[int, list[int], int]]]:
    """A summary line's firm is the header's producing firm; its orders are those of the lists it merges."""
    orders: dict[tuple, set[int]] = defaultdict(set)
    for _, order_id, key in merged:
        orders[key].add(order_id)
    return {
        line.id: [(declaration.owner_enterprise_id, sorted(orders[_line_key(line)]), int(line.quantity))]
        for line in lines
    }
