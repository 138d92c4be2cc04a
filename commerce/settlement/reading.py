"""Reading statements: a statement, a page of them or of a statement's lines, and everything a
statement's file holds. The platform's staff read their cluster's firms' statements, each firm its
own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Row, Select, func, select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.clusters.models import Enterprise
from commerce.clusters.permissions import within_reach
from commerce.errors import NotFound
from commerce.orders.models import SalesOrder
from commerce.pagination import Page, fetch_page
from commerce.settlement.models import Statement, StatementLine, StatementStatus

# Who reads statements: the platform's staff, and each firm its own.
READERS = (Role.TRADE_OPERATOR, Role.SME)
_settled = StatementLine.__table__


def _readable(actor: Actor, statement: Select) -> Select:
    """A select of statements kept to those the actor reads."""
    require_role(actor, *READERS)
    return within_reach(statement, actor, Statement.enterprise_id)


def get_statement(session: Session, *, actor: Actor, statement_id: int) -> Statement:
    found = session.scalars(_readable(actor, select(Statement).where(Statement.id == statement_id))).first()
    if found is None:
        raise NotFound()
    return found


def list_statements(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    period: str | None = None,
    enterprise_id: int | None = None,
    status: StatementStatus | None = None,
) -> Page[Statement]:
    statement = _readable(actor, select(Statement))
    if period is not None:
        statement = statement.where(Statement.period == period)
    if enterprise_id is not None:
        statement = statement.where(Statement.enterprise_id == enterprise_id)
    if status is not None:
        statement = statement.where(Statement.status == status.value)
    return fetch_page(session, statement, id_column=Statement.id, limit=limit, after=after)


def lines_of(session: Session, *, statement: Statement, limit: int, after: int | None) -> Page[Row]:
    """A page of the lines of a statement read with ``get_statement``, each row with its order's
    ``channel`` and ``external_id``."""
    lines = (
        select(_settled, SalesOrder.channel, SalesOrder.external_id)
        .join(SalesOrder, SalesOrder.id == _settled.c.order_id)
        .where(_settled.c.statement_id == statement.id)
    )
    return fetch_page(session, lines, id_column=_settled.c.id, limit=limit, after=after, as_rows=True)


@dataclass(frozen=True, slots=True)
class FileLine:
    """A statement line as its file shows it: with the order's channel and number."""

    at: datetime
    kind: str
    channel: str
    external_id: str
    order_line_id: int
    after_sale_id: int
    stream_id: int | None
    amount: Decimal
    host_rate: Decimal | None
    host_commission: Decimal
    platform_rate: Decimal | None
    platform_fee: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class StatementDocument:
    """What a statement's file holds: the statement, its firm, and every line in order."""

    statement: Statement
    firm: Enterprise
    lines: list[FileLine]


def statement_document(session: Session, *, actor: Actor, statement_id: int) -> StatementDocument:
    statement = get_statement(session, actor=actor, statement_id=statement_id)
    rows = session.execute(
        select(
            StatementLine.at,
            StatementLine.kind,
            SalesOrder.channel,
            SalesOrder.external_id,
            StatementLine.order_line_id,
            StatementLine.after_sale_id,
            StatementLine.stream_id,
            StatementLine.amount,
            StatementLine.host_rate,
            StatementLine.host_commission,
            StatementLine.platform_rate,
            StatementLine.platform_fee,
            StatementLine.net,
        )
        .join(SalesOrder, SalesOrder.id == StatementLine.order_id)
        .where(StatementLine.statement_id == statement.id)
        .order_by(StatementLine.id)
    )
    firm = session.get(Enterprise, statement.enterprise_id)
    return StatementDocument(statement, firm, [FileLine(*row) for row in rows])


def line_counts(session: Session, statement_ids: list[int]) -> dict[int, int]:
    """How many lines each statement has."""
    if not statement_ids:
        return {}
    rows = session.execute(
        select(StatementLine.statement_id, func.count())
        .where(StatementLine.statement_id.in_(statement_ids))
        .group_by(StatementLine.statement_id)
    )
    return dict(rows.all())
