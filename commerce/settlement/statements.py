"""Firms' statements: computed as drafts, approved once the month is over, then paid.

A firm's statement of a month holds every source not settled before whose day is in that month
or earlier: each order line shipped (a sale, with the host's commission and the platform's fee
taken from it), and each refund paid back on a shipped order (with the commission and the fee
on the refunded money given back). A source enters one statement only (a unique key on the
lines), so what was shipped or refunded late, after its month was approved, enters the next
statement: a settled month is never changed. Amounts are rounded to the currency's minor unit
half up, line by line; a statement's figures are the sums of its lines and its net payable the
sum of them all (a constraint holds it so).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, func, select, type_coerce, union
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.aftersales.models import AfterSale
from commerce.audit import service as audit
from commerce.clusters.models import FIRM_KINDS, Enterprise
from commerce.clusters.permissions import reach, require_reachable_firm
from commerce.clusters.service import require_enterprise
from commerce.customs.calendar import china_today, period_bounds
from commerce.db import ExactDecimal, row_for_update, utcnow, write_transaction
from commerce.errors import NotFound
from commerce.orders.models import OrderLine, SalesOrder
from commerce.pagination import Page, fetch_page
from commerce.settlement.agreements import KEEPERS, Terms
from commerce.settlement.errors import (
    PeriodNotOver,
    SettlementCollided,
    StatementNotApproved,
    StatementNotDraft,
)
from commerce.settlement.models import (
    LineKind,
    PaymentInput,
    Statement,
    StatementLine,
    StatementStatus,
)
from commerce.settlement.sources import Source, refund_conditions, refunds, sale_conditions, sales
from commerce.sql import among, bulk_insert
from commerce.validation import currency_places

# Who reads statements: the platform's staff, and each firm its own.
READERS = (Role.TRADE_OPERATOR, Role.SME)
# Which figure of a statement each kind of line adds to.
FIGURES = {
    LineKind.SALE: "gross",
    LineKind.REFUND: "refunds",
    LineKind.MARKETPLACE_FEE: "marketplace_fees",
    LineKind.HOST_COMMISSION: "host_commission",
    LineKind.PLATFORM_FEE: "platform_fee",
}
_settled = StatementLine.__table__


def _rounded(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_places(currency)), rounding=ROUND_HALF_UP)


def statement_lines(enterprise_id: int, terms: Terms, sold: Iterable[Source], refunded: Iterable[Source]) -> list[dict]:
    """The lines of a firm's sources: each sale less the commission and the fee taken from it, each
    refund with the commission and the fee on the refunded money given back."""
    lines = []
    for sign, kind, sources in ((1, LineKind.SALE, sold), (-1, LineKind.REFUND, refunded)):
        for source in sources:
            lines.append(_line(source, kind, source.amount, None, sign * source.amount))
            day = china_today(source.placed_at)
            shares = [(LineKind.PLATFORM_FEE, terms.platform_fee(enterprise_id=enterprise_id, day=day))]
            if source.host_user_id is not None:
                commission = terms.host_commission(
                    host_user_id=source.host_user_id, stream_id=source.stream_id, product_id=source.product_id, day=day
                )
                shares.insert(0, (LineKind.HOST_COMMISSION, commission))
            for share_kind, agreement in shares:
                if agreement is None or not agreement.rate:
                    continue
                amount = -sign * _rounded(source.amount * agreement.rate, source.currency)
                lines.append(_line(source, share_kind, source.amount, agreement, amount))
    return lines


def _line(source: Source, kind: LineKind, base: Decimal, agreement, amount: Decimal) -> dict:
    return {
        "kind": kind.value,
        "order_id": source.order_id,
        "order_line_id": source.order_line_id,
        "after_sale_id": source.after_sale_id,
        "stream_id": source.stream_id,
        "agreement_id": agreement.id if agreement is not None else None,
        "base": base,
        "rate": agreement.rate if agreement is not None else None,
        "amount": amount,
        "at": source.at,
        "currency": source.currency,
    }


def compute_statements(
    session: Session,
    *,
    actor: Actor,
    period: str,
    enterprise_id: int | None = None,
    now: datetime | None = None,
) -> list[Statement]:
    """Compute (again) the draft statements of a month: of one firm, or of every firm the actor
    reaches with something to settle. Approved and paid statements are left as they are."""
    require_role(actor, *KEEPERS)
    now = now or utcnow()
    _start, end = period_bounds(period)
    try:
        with write_transaction(session):
            if enterprise_id is not None:
                require_reachable_firm(session, actor, enterprise_id)
                require_enterprise(session, enterprise_id, field="enterprise_id", kinds=FIRM_KINDS)
                firms = [enterprise_id]
            else:
                firms = _firms_to_settle(session, actor, period, end)
            computed = []
            terms = _terms_of_firms(session, firms)
            for firm_id in firms:
                computed.extend(_compute_firm(session, actor, firm_id, period, end, terms[firm_id], now))
    except IntegrityError:
        raise SettlementCollided() from None
    return computed


def _terms_of_firms(session: Session, firms: list[int]) -> dict[int, Terms]:
    """Each firm's cluster's agreements, read once a cluster."""
    if not firms:
        return {}
    cluster_of = dict(
        session.execute(select(Enterprise.id, Enterprise.cluster_id).where(among(session, Enterprise.id, firms))).all()
    )
    terms = {cluster_id: Terms.of_cluster(session, cluster_id) for cluster_id in set(cluster_of.values())}
    return {firm_id: terms[cluster_id] for firm_id, cluster_id in cluster_of.items()}


def _firms_to_settle(session: Session, actor: Actor, period: str, end: datetime) -> list[int]:
    """The firms the actor reaches with a sale or a refund not settled by the end of the month, or a draft of it."""
    candidates = union(
        select(OrderLine.enterprise_id)
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(*sale_conditions(end)),
        select(AfterSale.enterprise_id)
        .join(SalesOrder, SalesOrder.id == AfterSale.order_id)
        .where(*refund_conditions(end)),
        select(Statement.enterprise_id).where(
            Statement.period == period, Statement.status == StatementStatus.DRAFT.value
        ),
    ).subquery()
    statement = select(Enterprise.id).where(Enterprise.id.in_(select(candidates)), Enterprise.kind.in_(FIRM_KINDS))
    scope = reach(actor, Enterprise.id)
    if scope is not None:
        statement = statement.where(scope)
    return list(session.scalars(statement.order_by(Enterprise.id)))


def write_lines(
    session: Session, firm_id: int, end: datetime, terms: Terms, statement_for: Callable[[str], int | None]
) -> None:
    """Write the lines of a firm's sources waiting to be settled by ``end``, each into the statement
    ``statement_for`` its currency gives (none: that currency's month is settled; they wait)."""
    rows = []
    for line in statement_lines(firm_id, terms, sales(session, firm_id, end), refunds(session, firm_id, end)):
        statement_id = statement_for(line.pop("currency"))
        if statement_id is not None:
            rows.append({**line, "statement_id": statement_id})
    bulk_insert(session, _settled, rows)


def _compute_firm(
    session: Session,
    actor: Actor,
    firm_id: int,
    period: str,
    end: datetime,
    terms: Terms,
    now: datetime,
) -> list[Statement]:
    statements = {
        statement.currency: statement
        for statement in session.scalars(
            select(Statement).where(Statement.enterprise_id == firm_id, Statement.period == period).with_for_update()
        )
    }
    drafts = {currency: item for currency, item in statements.items() if item.status == StatementStatus.DRAFT.value}
    if drafts:
        session.execute(
            delete(StatementLine).where(StatementLine.statement_id.in_([item.id for item in drafts.values()]))
        )

    def statement_for(currency: str) -> int | None:
        if currency in statements and currency not in drafts:
            # A settled month holds no more: what it did not hold waits for the next month's statement.
            return None
        if currency not in drafts:
            drafts[currency] = statements[currency] = Statement(enterprise_id=firm_id, period=period, currency=currency)
            session.add(drafts[currency])
            session.flush()
        return drafts[currency].id

    write_lines(session, firm_id, end, terms, statement_for)
    figures = _figures(session, [item.id for item in drafts.values()])
    computed = []
    for _currency, statement in sorted(drafts.items()):
        sums = figures.get(statement.id)
        if sums is None:
            session.delete(statement)
            continue
        for name in FIGURES.values():
            setattr(statement, name, sums.get(name, Decimal(0)))
        statement.net_payable = sum(sums.values(), Decimal(0))
        statement.computed_at = now
        audit.record(
            session,
            actor=actor,
            entity="settlement_statement",
            entity_id=statement.id,
            action="computed",
            changes={"net_payable": str(statement.net_payable)},
        )
        computed.append(statement)
    session.flush()
    return computed


def _figures(session: Session, statement_ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """Each statement's figures, summed from its lines (statements without a line left out)."""
    if not statement_ids:
        return {}
    total = type_coerce(func.sum(StatementLine.amount), ExactDecimal(4))
    rows = session.execute(
        select(StatementLine.statement_id, StatementLine.kind, total)
        .where(StatementLine.statement_id.in_(statement_ids))
        .group_by(StatementLine.statement_id, StatementLine.kind)
    )
    figures: dict[int, dict[str, Decimal]] = {}
    for statement_id, kind, amount in rows:
        figures.setdefault(statement_id, {})[FIGURES[LineKind(kind)]] = amount
    return figures


def _statement_for_change(session: Session, actor: Actor, statement_id: int) -> Statement:
    require_role(actor, *KEEPERS)
    statement = row_for_update(session, Statement, statement_id)
    if statement is None:
        raise NotFound()
    require_reachable_firm(session, actor, statement.enterprise_id)
    return statement


def approve_statement(session: Session, *, actor: Actor, statement_id: int, now: datetime | None = None) -> Statement:
    """Approve a draft once its month is over; from then on it never changes."""
    now = now or utcnow()
    with write_transaction(session):
        statement = _statement_for_change(session, actor, statement_id)
        if statement.status != StatementStatus.DRAFT.value:
            raise StatementNotDraft(status=statement.status)
        if now < period_bounds(statement.period)[1]:
            raise PeriodNotOver(period=statement.period)
        statement.status = StatementStatus.APPROVED.value
        statement.approved_by = actor.user_id
        statement.approved_at = now
        audit.record(session, actor=actor, entity="settlement_statement", entity_id=statement.id, action="approved")
    return statement


def record_payment(session: Session, *, actor: Actor, statement_id: int, data: PaymentInput) -> Statement:
    """The firm has been paid what an approved statement owes it."""
    with write_transaction(session):
        statement = _statement_for_change(session, actor, statement_id)
        if statement.status != StatementStatus.APPROVED.value:
            raise StatementNotApproved()
        statement.status = StatementStatus.PAID.value
        statement.paid_on = data.paid_on
        statement.payment_reference = data.reference
        audit.record(
            session,
            actor=actor,
            entity="settlement_statement",
            entity_id=statement.id,
            action="paid",
            changes={"paid_on": data.paid_on.isoformat(), "reference": data.reference},
        )
    return statement


def _readable(actor: Actor):
    require_role(actor, *READERS)
    return reach(actor, Statement.enterprise_id)


def get_statement(session: Session, *, actor: Actor, statement_id: int) -> Statement:
    statement = select(Statement).where(Statement.id == statement_id)
    scope = _readable(actor)
    found = session.scalars(statement if scope is None else statement.where(scope)).first()
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
    statement = select(Statement)
    scope = _readable(actor)
    if scope is not None:
        statement = statement.where(scope)
    if period is not None:
        statement = statement.where(Statement.period == period)
    if enterprise_id is not None:
        statement = statement.where(Statement.enterprise_id == enterprise_id)
    if status is not None:
        statement = statement.where(Statement.status == status.value)
    return fetch_page(session, statement, id_column=Statement.id, limit=limit, after=after)


def lines_of(
    session: Session, *, actor: Actor, statement_id: int, limit: int, after: int | None
) -> Page[StatementLine]:
    get_statement(session, actor=actor, statement_id=statement_id)
    statement = select(StatementLine).where(StatementLine.statement_id == statement_id)
    return fetch_page(session, statement, id_column=StatementLine.id, limit=limit, after=after)


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
