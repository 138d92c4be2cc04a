"""What the month's statements mean for the others of a sale: each host's commission on their
streams, and the platform's own account, what it holds and for whom.

Both are read from the statements' lines and figures, so they agree with the statements to the
cent: a host's commission is what the lines of their streams took from the firms; the platform
holds what the buyers paid (sales less refunds, less what the marketplaces kept) until it pays the
firms, and of what it holds it owes the firms their net payable, the hosts their commission, and
keeps its fee.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.clusters.permissions import within_reach
from commerce.live.models import Stream
from commerce.settlement.agreements import KEEPERS
from commerce.settlement.models import Statement, StatementLine, StatementStatus
from commerce.sql import exact_sum

SETTLED = (StatementStatus.APPROVED.value, StatementStatus.PAID.value)


def _total(column):
    return exact_sum(column, or_zero=True)


@dataclass(frozen=True, slots=True)
class HostCommission:
    """A host's commission on one stream's sales of a month, in one currency."""

    host_user_id: int
    stream_id: int
    stream_title: str
    currency: str
    sales: Decimal  # what the lines with a commission sold, less what they refunded
    commission: Decimal  # what the host is owed: the commission taken, less what refunds gave back
    settled: Decimal  # of it, on statements approved or paid


def host_commissions(
    session: Session, *, actor: Actor, period: str, host_user_id: int | None = None
) -> list[HostCommission]:
    """Each host's commission per stream in the month's statements: a host reads their own, the
    platform's staff every host's on the firms they reach."""
    require_role(actor, Role.HOST, *KEEPERS)
    line = StatementLine
    statement = (
        select(
            Stream.host_user_id,
            Stream.id,
            Stream.title,
            Statement.currency,
            _total(line.amount),
            _total(-line.host_commission),
            _total(case((Statement.status.in_(SETTLED), -line.host_commission), else_=0)),
        )
        .join(Statement, Statement.id == line.statement_id)
        .join(Stream, Stream.id == line.stream_id)
        .where(Statement.period == period, line.host_agreement_id.is_not(None))
        .group_by(Stream.host_user_id, Stream.id, Stream.title, Statement.currency)
        .order_by(Stream.host_user_id, Stream.id, Statement.currency)
    )
    if actor.role == Role.HOST:
        statement = statement.where(Stream.host_user_id == actor.user_id)
    else:
        statement = within_reach(statement, actor, Statement.enterprise_id)
    if host_user_id is not None:
        statement = statement.where(Stream.host_user_id == host_user_id)
    return [HostCommission(*row) for row in session.execute(statement)]


@dataclass(frozen=True, slots=True)
class PlatformAccount:
    """The platform's account of a month in one currency, from its statements."""

    currency: str
    collected: Decimal  # what buyers paid: sales less refunds
    marketplace_fees: Decimal  # what the marketplaces kept of it (negative)
    paid_to_firms: Decimal  # net payable of the statements paid
    owed_to_firms: Decimal  # net payable of the statements not paid yet
    owed_to_hosts: Decimal  # the hosts' commission
    platform_fee: Decimal  # the platform's own

    @property
    def held(self) -> Decimal:
        """What the platform holds of the month: for the firms, the hosts and itself."""
        return self.owed_to_firms + self.owed_to_hosts + self.platform_fee


def platform_account(session: Session, *, actor: Actor, period: str) -> list[PlatformAccount]:
    """The platform's account of a month per currency, over the firms the actor reaches."""
    require_role(actor, *KEEPERS)
    paid = Statement.status == StatementStatus.PAID.value
    statement = (
        select(
            Statement.currency,
            _total(Statement.gross + Statement.refunds),
            _total(Statement.marketplace_fees),
            _total(case((paid, Statement.net_payable), else_=0)),
            _total(case((paid, 0), else_=Statement.net_payable)),
            _total(-Statement.host_commission),
            _total(-Statement.platform_fee),
        )
        .where(Statement.period == period)
        .group_by(Statement.currency)
        .order_by(Statement.currency)
    )
    return [PlatformAccount(*row) for row in session.execute(within_reach(statement, actor, Statement.enterprise_id))]
