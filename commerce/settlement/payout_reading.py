"""Reading imported payouts: the account's payouts with their differences counted, one payout's
transactions, and the differences listed for an account. The marketplace accounts are the
administrator's, and so are their payouts."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.errors import NotFound
from commerce.pagination import Page, fetch_page
from commerce.settlement.payout_models import (
    DifferenceKind,
    MarketplacePayout,
    MarketplaceTransaction,
    PayoutDifference,
)


def difference_counts(session: Session, payout_ids: list[int]) -> dict[int, int]:
    if not payout_ids:
        return {}
    return dict(
        session.execute(
            select(PayoutDifference.payout_id, func.count())
            .where(PayoutDifference.payout_id.in_(payout_ids))
            .group_by(PayoutDifference.payout_id)
        ).all()
    )


def list_payouts(
    session: Session, *, actor: Actor, channel_account_id: int | None, limit: int, after: int | None
) -> Page[MarketplacePayout]:
    require_role(actor, Role.ADMIN)
    statement = select(MarketplacePayout)
    if channel_account_id is not None:
        statement = statement.where(MarketplacePayout.channel_account_id == channel_account_id)
    return fetch_page(session, statement, id_column=MarketplacePayout.id, limit=limit, after=after)


def get_payout(session: Session, *, actor: Actor, payout_id: int) -> MarketplacePayout:
    require_role(actor, Role.ADMIN)
    payout = session.get(MarketplacePayout, payout_id)
    if payout is None:
        raise NotFound()
    return payout


def transactions_of(
    session: Session, *, actor: Actor, payout_id: int, limit: int, after: int | None
) -> tuple[MarketplacePayout, Page[MarketplaceTransaction]]:
    """A payout and a page of the transactions it carried."""
    payout = get_payout(session, actor=actor, payout_id=payout_id)
    statement = select(MarketplaceTransaction).where(MarketplaceTransaction.payout_id == payout_id)
    return payout, fetch_page(session, statement, id_column=MarketplaceTransaction.id, limit=limit, after=after)


def differences(
    session: Session,
    *,
    actor: Actor,
    channel_account_id: int | None = None,
    payout_id: int | None = None,
    kind: DifferenceKind | None = None,
    limit: int,
    after: int | None,
) -> Page[PayoutDifference]:
    require_role(actor, Role.ADMIN)
    statement = select(PayoutDifference)
    if channel_account_id is not None:
        statement = statement.where(PayoutDifference.channel_account_id == channel_account_id)
    if payout_id is not None:
        statement = statement.where(PayoutDifference.payout_id == payout_id)
    if kind is not None:
        statement = statement.where(PayoutDifference.kind == kind.value)
    return fetch_page(session, statement, id_column=PayoutDifference.id, limit=limit, after=after)
