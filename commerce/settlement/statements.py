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

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import delete, exists, select, union
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, require_role
from commerce.aftersales.models import AfterSale
from commerce.audit import service as audit
from commerce.clusters.models import FIRM_KINDS, Enterprise
from commerce.clusters.permissions import require_reachable_firm, within_reach
from commerce.clusters.service import require_enterprise
from commerce.customs.calendar import china_today, period_bounds
from commerce.db import row_for_update, utcnow, write_transaction
from commerce.errors import NotFound
from commerce.orders.models import OrderLine, SalesOrder
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
from commerce.settlement.payout_models import MarketplaceTransaction
from commerce.settlement.sources import Source, fee_conditions, refund_conditions, sale_conditions, waiting
from commerce.sql import among, bulk_insert, exact_sum
from commerce.validation import currency_places

# Which figure of a statement each kind of line's amount adds to.
AMOUNT_FIGURES = {
    LineKind.SALE: "gross",
    LineKind.REFUND: "refunds",
    LineKind.MARKETPLACE_FEE: "marketplace_fees",
}
# The figures summed from the lines' shares, whatever their kind.
SHARE_FIGURES = ("host_commission", "platform_fee")
FIGURES = (*AMOUNT_FIGURES.values(), *SHARE_FIGURES)
_settled = StatementLine.__table__


def _rounded(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-currency_places(currency)), rounding=ROUND_HALF_UP)


def statement_lines(
    enterprise_id: int,
    terms: Terms,
    sold: Iterable[Source],
    refunded: Iterable[Source],
    charged: Iterable[Source] = (),
) -> list[dict]:
    """The lines of a firm's sources: each sale less the commission and the fee taken from it, each
    refund with the commission and the fee on the refunded money given back, and each line's share
    of the marketplace's fee on its order (no commission and no fee on it)."""
    lines = []
    # (sign, kind, sources, whether the host's commission and the platform's fee are taken from it)
    for sign, kind, sources, shared in (
        (1, LineKind.SALE, sold, True),
        (-1, LineKind.REFUND, refunded, True),
        (1, LineKind.MARKETPLACE_FEE, charged, False),
    ):
        for source in sources:
            day = china_today(source.placed_at)
            amount = sign * source.amount
            host = platform = None
            if not shared:
                amount = _rounded(amount, source.currency)
            else:
                if source.host_user_id is not None:
                    host = terms.host_commission(
                        host_user_id=source.host_user_id,
                        stream_id=source.stream_id,
                        product_id=source.product_id,
                        day=day,
                    )
                platform = terms.platform_fee(enterprise_id=enterprise_id, day=day)
            host_commission = _share(amount, host, source.currency)
            platform_fee = _share(amount, platform, source.currency)
            lines.append(
                {
                    "kind": kind.value,
                    "order_id": source.order_id,
                    "order_line_id": source.order_line_id,
                    "after_sale_id": source.after_sale_id,
                    "stream_id": source.stream_id,
                    "amount": amount,
                    "host_agreement_id": host.id if host is not None else None,
                    "host_rate": host.rate if host is not None else None,
                    "host_commission": host_commission,
                    "platform_agreement_id": platform.id if platform is not None else None,
                    "platform_rate": platform.rate if platform is not None else None,
                    "platform_fee": platform_fee,
                    "net": amount + host_commission + platform_fee,
                    "at": source.at,
                    "currency": source.currency,
                }
            )
    return lines


def _share(amount: Decimal, agreement, currency: str) -> Decimal:
    """What an agreement takes from an amount (given back, from a negative one), to the minor unit."""
    if agreement is None:
        return Decimal(0)
    return -_rounded(amount * agreement.rate, currency)


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
            computed = _compute(session, actor, firms, period, end, now)
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
    """The firms the actor reaches with a sale, a refund or a marketplace fee not settled by the end
    of the month, or a draft of it."""
    candidates = union(
        select(OrderLine.enterprise_id)
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(*sale_conditions(end)),
        select(AfterSale.enterprise_id)
        .join(SalesOrder, SalesOrder.id == AfterSale.order_id)
        .where(*refund_conditions(end)),
        select(OrderLine.enterprise_id)
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(
            *fee_conditions(end),
            exists().where(MarketplaceTransaction.order_id == OrderLine.order_id, MarketplaceTransaction.fee != 0),
        ),
        select(Statement.enterprise_id).where(
            Statement.period == period, Statement.status == StatementStatus.DRAFT.value
        ),
    ).subquery()
    statement = select(Enterprise.id).where(Enterprise.id.in_(select(candidates)), Enterprise.kind.in_(FIRM_KINDS))
    return list(session.scalars(within_reach(statement, actor, Enterprise.id).order_by(Enterprise.id)))


def _compute(
    session: Session, actor: Actor, firms: list[int], period: str, end: datetime, now: datetime
) -> list[Statement]:
    """The firms' drafts of the month, their lines written anew from one read of the sources."""
    if not firms:
        return []
    statements = {
        (statement.enterprise_id, statement.currency): statement
        for statement in session.scalars(
            select(Statement)
            .where(among(session, Statement.enterprise_id, firms), Statement.period == period)
            .order_by(Statement.id)
            .with_for_update()
        )
    }
    drafts = {key: item for key, item in statements.items() if item.status == StatementStatus.DRAFT.value}
    if drafts:
        draft_ids = [item.id for item in drafts.values()]
        session.execute(
            delete(StatementLine).where(among(session, StatementLine.statement_id, draft_ids)),
            execution_options={"synchronize_session": False},
        )

    def statement_for(firm_id: int, currency: str) -> int | None:
        key = (firm_id, currency)
        if key in statements and key not in drafts:
            # A settled month holds no more: what it did not hold waits for the next month's statement.
            return None
        if key not in drafts:
            drafts[key] = statements[key] = Statement(enterprise_id=firm_id, period=period, currency=currency)
            session.add(drafts[key])
            session.flush()
        return drafts[key].id

    terms = _terms_of_firms(session, firms)
    for firm in waiting(session, firms, end):
        rows = []
        for line in statement_lines(
            firm.enterprise_id, terms[firm.enterprise_id], firm.sold, firm.refunded, firm.charged
        ):
            statement_id = statement_for(firm.enterprise_id, line.pop("currency"))
            if statement_id is not None:
                line["statement_id"] = statement_id
                rows.append(line)
        bulk_insert(session, _settled, rows)
    figures = _figures(session, [item.id for item in drafts.values()])
    computed = []
    for _key, statement in sorted(drafts.items()):
        sums = figures.get(statement.id)
        if sums is None:
            session.delete(statement)
            continue
        for name in FIGURES:
            setattr(statement, name, sums[name])
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

    rows = session.execute(
        select(
            StatementLine.statement_id,
            StatementLine.kind,
            exact_sum(StatementLine.amount),
            *(exact_sum(getattr(StatementLine, name)) for name in SHARE_FIGURES),
        )
        .where(among(session, StatementLine.statement_id, statement_ids))
        .group_by(StatementLine.statement_id, StatementLine.kind)
    )
    figures: dict[int, dict[str, Decimal]] = {}
    for statement_id, kind, amount, *shares in rows:
        sums = figures.setdefault(statement_id, dict.fromkeys(FIGURES, Decimal(0)))
        sums[AMOUNT_FIGURES[LineKind(kind)]] += amount
        for name, share in zip(SHARE_FIGURES, shares, strict=True):
            sums[name] += share
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
