"""Importing what marketplaces pay out and reconciling it with our orders and refunds.

An import reads an account's payouts issued since a day through the marketplace's API, and the
transactions each carried, and keeps both once (by the marketplace's ids: a payout imported twice
is one payout). Each payout is then reconciled, in a few statements over all its transactions:
its transactions are matched to our orders, its totals summed, and every difference listed again:

* ``payout_short``: the payout pays other than its transactions add up to;
* ``unknown_order``: a sale of an order we do not have;
* ``sale_mismatch``: an order's sales add up to other than our order's total;
* ``unknown_refund``: money back to a buyer we have not recorded, ``refund_mismatch``: an order's
  refunds (over every payout of the account) add up to other than ours;
* ``order_never_paid`` (per account): an order of the marketplace, paid more than a fortnight
  before the account's last payout, that no payout has carried.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, delete, exists, func, insert, literal, select, update
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.db import Database, utcnow, write_transaction
from commerce.deployment import Deployment
from commerce.errors import NotFound
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.listings.models import ChannelAccount, rate_key
from commerce.orders.models import OrderLine, OrderStatus, SalesOrder
from commerce.settlement.payout_models import (
    DifferenceKind,
    MarketplacePayout,
    MarketplaceTransaction,
    PayoutDifference,
    PayoutImport,
)
from commerce.sql import dialect_insert, dialect_of, exact_sum
from commerce.validation import without_control_characters
from integrations.marketplace import RemotePayout, RemoteTransaction, TransactionKind

IMPORT_JOB = "settlement.import_payouts"
LOOKBACK = timedelta(days=90)
# How long after its payment an order may wait for its payout before it is listed as never paid.
PAYOUT_GRACE = timedelta(days=14)
PAID_STATUSES = (OrderStatus.PAID.value, OrderStatus.SHIPPED.value, OrderStatus.CLEARED.value)

_payout = MarketplacePayout.__table__
_transaction = MarketplaceTransaction.__table__
_difference = PayoutDifference.__table__
_order = SalesOrder.__table__
_line = OrderLine.__table__


def request_import(
    session: Session, *, actor: Actor, data: PayoutImport, now: datetime | None = None
) -> tuple[int, datetime]:
    """Queue the import of an account's payouts issued since a day (90 days back by default);
    returns the job's id and the moment the import reads from."""
    require_role(actor, Role.ADMIN)
    account = session.get(ChannelAccount, data.channel_account_id)
    if account is None:
        raise NotFound()
    now = now or utcnow()
    since = datetime.combine(data.since, datetime.min.time(), UTC) if data.since else now - LOOKBACK
    with write_transaction(session):
        job_id = jobs.enqueue(
            session,
            kind=IMPORT_JOB,
            key=f"account:{account.id}:import_payouts",
            payload={"channel_account_id": account.id, "since": since.isoformat()},
            rate_key=rate_key(account.id),
        )
    return job_id, since


def import_payouts(deployment: Deployment, job: Job) -> None:
    """The job: read the payouts and their transactions, keep them once, reconcile each."""
    database = deployment.database
    with database.session() as session:
        account = session.get(ChannelAccount, int(job.payload["channel_account_id"]))
    if account is None:
        return
    client = deployment.marketplace_clients.client(database, deployment.settings, account)
    since = datetime.fromisoformat(job.payload["since"])
    cursor = None
    while True:
        page = client.fetch_payouts(issued_since=since, cursor=cursor)
        for remote in page.payouts:
            payout_id = store_payout(database, account, remote)
            lines = None
            while True:
                found = client.fetch_payout_transactions(remote.external_id, cursor=lines)
                store_transactions(database, account, payout_id, found.transactions)
                lines = found.next_cursor
                if lines is None:
                    break
            with database.session() as session:
                reconcile(session, account, payout_id)
        cursor = page.next_cursor
        if cursor is None:
            break
    with database.session() as session:
        list_never_paid(session, account)


def _clean(text: str, length: int) -> str:
    """A marketplace's id or word as it can be kept: without control characters, at most ``length``."""
    return without_control_characters(text)[:length]


def store_payout(database: Database, account: ChannelAccount, remote: RemotePayout) -> int:
    """Keep a payout once; a payout read again takes its status and amount as they are now."""
    with database.session() as session, write_transaction(session):
        statement = dialect_insert(dialect_of(session), _payout).values(
            channel_account_id=account.id,
            external_id=_clean(remote.external_id, 64),
            status=_clean(remote.status, 20),
            paid=remote.paid,
            issued_at=remote.issued_at,
            currency=remote.currency,
            net=remote.net,
            sales=0,
            refunds=0,
            fees=0,
            adjustments=0,
            transactions=0,
            imported_at=utcnow(),
        )
        statement = statement.on_conflict_do_update(
            index_elements=[_payout.c.channel_account_id, _payout.c.external_id],
            set_={"status": statement.excluded.status, "paid": statement.excluded.paid, "net": statement.excluded.net},
        )
        return session.execute(statement.returning(_payout.c.id)).scalar_one()


def store_transactions(
    database: Database, account: ChannelAccount, payout_id: int, transactions: Sequence[RemoteTransaction]
) -> int:
    """Keep a page of a payout's transactions, each once; returns how many were new."""
    if not transactions:
        return 0
    rows = [
        {
            "payout_id": payout_id,
            "channel_account_id": account.id,
            "external_id": _clean(line.external_id, 64),
            "kind": line.kind.value,
            "order_external_id": _clean(line.order_external_id, 128) if line.order_external_id else None,
            "order_id": None,
            "amount": line.amount,
            "fee": line.fee,
            "net": line.amount + line.fee,
            "occurred_at": line.occurred_at,
        }
        for line in transactions
    ]
    with database.session() as session, write_transaction(session):
        # One statement for every row (compiled once, cached, sent in batches), a row already kept
        # passed over; the rows it kept answer with their ids.
        statement = (
            dialect_insert(dialect_of(session), _transaction).on_conflict_do_nothing().returning(_transaction.c.id)
        )
        return len(session.execute(statement, rows).all())


def reconcile(session: Session, account: ChannelAccount, payout_id: int, *, now: datetime | None = None) -> int:
    """Match a payout's transactions to our orders, sum them, and list its differences again;
    returns how many differences it has."""
    now = now or utcnow()
    with write_transaction(session):
        ours = (
            select(_order.c.id)
            .where(_order.c.channel == account.platform, _order.c.external_id == _transaction.c.order_external_id)
            .scalar_subquery()
        )
        session.execute(
            update(_transaction)
            .where(
                _transaction.c.payout_id == payout_id,
                _transaction.c.order_id.is_(None),
                _transaction.c.order_external_id.is_not(None),
            )
            .values(order_id=ours)
        )
        payout = session.execute(select(_payout).where(_payout.c.id == payout_id)).one()
        totals = _totals(session, payout_id)
        carried = totals.pop("net")
        session.execute(update(_payout).where(_payout.c.id == payout_id).values(**totals, reconciled_at=now))
        session.execute(delete(_difference).where(_difference.c.payout_id == payout_id))
        found = _differences(session, account, payout, carried)
        if found:
            # Every row names every column (an executemany takes the first row's columns for all).
            blank = dict.fromkeys(("order_id", "order_external_id", "expected", "actual"))
            where = {"channel_account_id": account.id, "payout_id": payout_id, "currency": payout.currency}
            session.execute(insert(_difference), [where | blank | {"found_at": now} | row for row in found])
    return len(found)


def _amounts(kind: TransactionKind, *, negated: bool = False):
    """The sum of the amounts of one kind of transaction, exactly (0 where there is none)."""
    amount = -_transaction.c.amount if negated else _transaction.c.amount
    return exact_sum(case((_transaction.c.kind == kind.value, amount), else_=0), or_zero=True)


def _totals(session: Session, payout_id: int) -> dict:
    sales, refunds, fees, adjustments, count, net = session.execute(
        select(
            _amounts(TransactionKind.SALE),
            _amounts(TransactionKind.REFUND),
            exact_sum(_transaction.c.fee, or_zero=True) + _amounts(TransactionKind.FEE),
            _amounts(TransactionKind.ADJUSTMENT),
            func.count(),
            exact_sum(_transaction.c.net, or_zero=True),
        ).where(_transaction.c.payout_id == payout_id)
    ).one()
    return {
        "sales": sales,
        "refunds": refunds,
        "fees": fees,
        "adjustments": adjustments,
        "transactions": count,
        "net": net,
    }


def _differences(session: Session, account: ChannelAccount, payout, carried: Decimal) -> list[dict]:
    found: list[dict] = []
    if carried != payout.net:
        found.append({"kind": DifferenceKind.PAYOUT_SHORT.value, "expected": carried, "actual": payout.net})
    mine = _transaction.c.payout_id == payout.id
    for external_id, amount in session.execute(
        select(_transaction.c.order_external_id, _transaction.c.amount).where(
            mine, _transaction.c.kind == TransactionKind.SALE.value, _transaction.c.order_id.is_(None)
        )
    ):
        found.append({"kind": DifferenceKind.UNKNOWN_ORDER.value, "order_external_id": external_id, "actual": amount})
    # Sales: this payout's orders, their sales over every payout of the account against our totals.
    account_lines = _transaction.c.channel_account_id == account.id
    touched = select(_transaction.c.order_id).where(mine, _transaction.c.order_id.is_not(None)).distinct()
    sold = (
        select(
            _transaction.c.order_id,
            _amounts(TransactionKind.SALE).label("sold"),
            _amounts(TransactionKind.REFUND, negated=True).label("refunded"),
            func.max(case((and_(mine, _transaction.c.kind == TransactionKind.SALE.value), 1), else_=0)).label(
                "sold_here"
            ),
            func.max(case((and_(mine, _transaction.c.kind == TransactionKind.REFUND.value), 1), else_=0)).label(
                "refunded_here"
            ),
        )
        .where(account_lines, _transaction.c.order_id.in_(touched))
        .group_by(_transaction.c.order_id)
        .subquery()
    )
    refunded_here = (
        select(_line.c.order_id, exact_sum(_line.c.refunded_amount).label("ours"))
        .where(_line.c.order_id.in_(touched))
        .group_by(_line.c.order_id)
        .subquery()
    )
    for order_id, external_id, total, sold_amount, refunded, sold_here, refund_here, ours in session.execute(
        select(
            _order.c.id,
            _order.c.external_id,
            _order.c.total_amount,
            sold.c.sold,
            sold.c.refunded,
            sold.c.sold_here,
            sold.c.refunded_here,
            func.coalesce(refunded_here.c.ours, 0),
        )
        .join(sold, sold.c.order_id == _order.c.id)
        .outerjoin(refunded_here, refunded_here.c.order_id == _order.c.id)
        .order_by(_order.c.id)
    ):
        common = {"order_id": order_id, "order_external_id": external_id}
        if sold_here and sold_amount != total:
            found.append(
                {"kind": DifferenceKind.SALE_MISMATCH.value, "expected": total, "actual": sold_amount, **common}
            )
        if refund_here and refunded != ours:
            kind = DifferenceKind.UNKNOWN_REFUND if ours == 0 else DifferenceKind.REFUND_MISMATCH
            found.append({"kind": kind.value, "expected": ours, "actual": refunded, **common})
    for external_id, amount in session.execute(
        select(_transaction.c.order_external_id, _transaction.c.amount).where(
            mine, _transaction.c.kind == TransactionKind.REFUND.value, _transaction.c.order_id.is_(None)
        )
    ):
        found.append({"kind": DifferenceKind.UNKNOWN_REFUND.value, "order_external_id": external_id, "actual": -amount})
    return found


def list_never_paid(session: Session, account: ChannelAccount, *, now: datetime | None = None) -> int:
    """List again the account's marketplace orders no payout has carried, paid more than a
    fortnight before its last payout; returns how many."""
    now = now or utcnow()
    with write_transaction(session):
        session.execute(
            delete(_difference).where(
                _difference.c.channel_account_id == account.id,
                _difference.c.kind == DifferenceKind.ORDER_NEVER_PAID.value,
            )
        )
        last = session.scalar(select(func.max(_payout.c.issued_at)).where(_payout.c.channel_account_id == account.id))
        if last is None:
            return 0
        carried = exists().where(
            _transaction.c.order_id == _order.c.id, _transaction.c.kind == TransactionKind.SALE.value
        )
        chosen = select(
            literal(account.id, _difference.c.channel_account_id.type),
            literal(DifferenceKind.ORDER_NEVER_PAID.value, _difference.c.kind.type),
            _order.c.id,
            _order.c.external_id,
            _order.c.currency,
            _order.c.total_amount,
            literal(now, _difference.c.found_at.type),
        ).where(
            _order.c.channel == account.platform,
            _order.c.status.in_(PAID_STATUSES),
            _order.c.paid_at < last - PAYOUT_GRACE,
            ~carried,
        )
        return session.execute(
            insert(_difference).from_select(
                ["channel_account_id", "kind", "order_id", "order_external_id", "currency", "expected", "found_at"],
                chosen,
            )
        ).rowcount
