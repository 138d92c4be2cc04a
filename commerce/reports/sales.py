"""Sales, gross and net: what the orders placed in a range of months sold, what after-sales paid
back of it, and the refund rate, in total, per firm and per host, in each order's currency.

The figures of ``orders.figures``, as a stream's report counts them (a request still waiting
changes nothing), over every order of the firms the caller reaches: a firm its own, a cluster's
staff their cluster's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session

from commerce.accounts.models import User
from commerce.actors import Actor, Role, require_role
from commerce.clusters.models import Enterprise
from commerce.clusters.permissions import reach
from commerce.customs.calendar import period_bounds
from commerce.live.models import Stream
from commerce.orders import figures
from commerce.orders.models import OrderLine, SalesOrder


@dataclass(frozen=True, slots=True)
class SalesFigures:
    """Gross and net of one firm, one host, or all, in one currency."""

    key: int | None  # the firm's or the host's id; None for the total
    name: str
    currency: str
    orders: int
    gross: Decimal
    refunds: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunds


@dataclass(frozen=True, slots=True)
class SalesReport:
    start: str
    end: str
    totals: list[SalesFigures]
    firms: list[SalesFigures]
    hosts: list[SalesFigures]


def sales_report(session: Session, *, actor: Actor, start: str, end: str) -> SalesReport:
    """Gross, refunds and net of the orders placed from the month ``start`` to the month ``end``."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    begins, _ = period_bounds(start)
    _, ends = period_bounds(end)
    conditions = [
        figures.COUNTED,
        SalesOrder.placed_at >= begins,
        SalesOrder.placed_at < ends,
    ]
    scope = reach(actor, OrderLine.enterprise_id)
    if scope is not None:
        conditions.append(scope)

    def summed(named: tuple = (), *joins) -> list[SalesFigures]:
        """The figures per currency, and per the key and name columns ``named`` when given."""
        statement = select(
            *named,
            SalesOrder.currency,
            func.count(func.distinct(SalesOrder.id)),
            figures.gross(),
            figures.refunds(),
        ).join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        for target, on in joins:
            statement = statement.join(target, on)
        statement = statement.where(*conditions).group_by(*named, SalesOrder.currency)
        rows = session.execute(statement.order_by(*named, SalesOrder.currency))
        if not named:
            return [SalesFigures(None, "", *row) for row in rows]
        return [SalesFigures(*row) for row in rows]

    return SalesReport(
        start=start,
        end=end,
        totals=summed(),
        firms=summed((Enterprise.id, Enterprise.name), (Enterprise, Enterprise.id == OrderLine.enterprise_id)),
        hosts=summed(
            (User.id, func.coalesce(User.display_name, User.email)),
            (Stream, Stream.id == SalesOrder.stream_id),
            (User, User.id == Stream.host_user_id),
        ),
    )
