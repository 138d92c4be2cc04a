"""How listings follow the rest of the platform: stock moves, product edits, the collective mark."""

from __future__ import annotations

from sqlalchemy import Select, and_, bindparam, case, exists, literal_column, select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.catalog.models import Product, ProductStatus, Sku
from commerce.db import utcnow
from commerce.events import MembershipLapsed, MembershipReinstated, ProductChanged, StockChanged
from commerce.jobs.models import Job, JobStatus
from commerce.jobs.service import ENQUEUED_COLUMNS, MAX_ATTEMPTS, QUEUED_ONLY, lower_of
from commerce.listings.content import mark_lapse_policy
from commerce.listings.models import RATE_KEY, SYNCED_STATUSES, ChannelAccount, Listing, ListingStatus, MarkLapsePolicy
from commerce.listings.service import (
    PRIORITY_LIVE_STOCK,
    PRIORITY_PUBLISH,
    PRIORITY_STOCK,
    PUSH_STOCK,
    STOCK_KEY,
    queue_listing_job,
)
from commerce.live.models import LineupItem, Stream, StreamStatus
from commerce.sql import among_parameter, dialect_insert, fixed_text, formatted, json_object, prebuilt

_job = Job.__table__


def stock_pushes(dialect: str, sku_ids: Select | None = None):
    """INSERT ... SELECT: a push job per synced listing of the products of the SKUs ``sku_ids``
    selects (by default those of the parameter ``sku_ids``), as ``queue_listing_job`` would queue
    each; a push already queued absorbs the new one, keeping the more urgent priority and time.

    Order intake on PostgreSQL writes it inside its own statement (``orders.postgresql``)."""
    _listing, _sku = Listing.__table__, Sku.__table__
    now = bindparam("now", type_=_job.c.run_at.type)
    lineup, stream = LineupItem.__table__, Stream.__table__
    in_live_stream = exists().where(
        lineup.c.product_id == _listing.c.product_id,
        lineup.c.removed_at.is_(None),
        stream.c.id == lineup.c.stream_id,
        stream.c.status == fixed_text(StreamStatus.LIVE),
    )
    source = (
        select(
            fixed_text(PUSH_STOCK).label("kind"),
            formatted(STOCK_KEY, _listing.c.id).label("key"),
            json_object(dialect, listing_id=_listing.c.id).label("payload"),
            fixed_text(JobStatus.QUEUED).label("status"),
            case((in_live_stream, PRIORITY_LIVE_STOCK), else_=PRIORITY_STOCK).label("priority"),
            literal_column("0").label("attempts"),
            literal_column(str(MAX_ATTEMPTS)).label("max_attempts"),
            formatted(RATE_KEY, _listing.c.channel_account_id).label("rate_key"),
            now.label("run_at"),
            now.label("created_at"),
        )
        .select_from(_listing)
        .where(
            _listing.c.status.in_([fixed_text(status) for status in SYNCED_STATUSES]),
            _listing.c.external_id.is_not(None),
            _listing.c.product_id.in_(
                select(_sku.c.product_id).where(
                    among_parameter(dialect, _sku.c.id, "sku_ids") if sku_ids is None else _sku.c.id.in_(sku_ids)
                )
            ),
        )
    )
    statement = dialect_insert(dialect, _job).from_select(list(ENQUEUED_COLUMNS), source)
    return statement.on_conflict_do_update(
        index_elements=["key"],
        index_where=QUEUED_ONLY,
        set_={
            "priority": lower_of(_job.c.priority, statement.excluded.priority),
            "run_at": lower_of(_job.c.run_at, statement.excluded.run_at),
        },
    )


def queue_stock_pushes(session: Session, event: StockChanged, *, actor: Actor) -> None:  # noqa: ARG001 (every handler is given the actor)
    """One pending stock push per listing of the SKUs' products, in a single prebuilt statement.

    A push already waiting absorbs the change (it reads stock when it runs); SKUs selling in a
    live stream go to the front of the queue. This runs with every stock movement, orders too.
    """
    session.connection().execute(prebuilt(session, stock_pushes), {"now": utcnow(), "sku_ids": list(event.sku_ids)})


def _listings_of(session: Session, *conditions) -> list[Listing]:
    return list(session.scalars(select(Listing).where(*conditions).order_by(Listing.id)))


def _queue(session: Session, listing: Listing, kind: str) -> None:
    queue_listing_job(
        session,
        kind,
        listing_id=listing.id,
        channel_account_id=listing.channel_account_id,
        priority=PRIORITY_PUBLISH,
    )


def follow_product_change(session: Session, event: ProductChanged, *, actor: Actor) -> None:  # noqa: ARG001 (every handler is given the actor)
    """Approved edits reach every listing; a retired product leaves every marketplace.

    A product sent back to review keeps its listings as they were until the mark's owner
    approves the change.
    """
    if event.status == ProductStatus.APPROVED.value:
        for listing in _listings_of(
            session,
            Listing.product_id == event.product_id,
            Listing.status.in_([*SYNCED_STATUSES, ListingStatus.REJECTED.value]),
        ):
            _queue(session, listing, "listings.publish")
    elif event.status == ProductStatus.RETIRED.value:
        for listing in _listings_of(
            session, Listing.product_id == event.product_id, Listing.status != ListingStatus.WITHDRAWN.value
        ):
            _queue(session, listing, "listings.withdraw")


def marked_listings(session: Session, enterprise_id: int, trademark_id: int) -> list[tuple[Listing, ChannelAccount]]:
    """A firm's listings of products under a mark, pending or on a marketplace, with their accounts."""
    return list(
        session.execute(
            select(Listing, ChannelAccount)
            .join(ChannelAccount, ChannelAccount.id == Listing.channel_account_id)
            .join(Product, Product.id == Listing.product_id)
            .where(
                and_(
                    Product.enterprise_id == enterprise_id,
                    Product.trademark_id == trademark_id,
                    Listing.status.in_([ListingStatus.PENDING.value, *SYNCED_STATUSES]),
                )
            )
            .order_by(Listing.id)
        ).all()
    )


def follow_mark_lapse(session: Session, event: MembershipLapsed, *, actor: Actor) -> None:  # noqa: ARG001 (every handler is given the actor)
    """The firm may no longer sell under the mark: each account's policy withdraws or re-publishes unmarked."""
    for listing, account in marked_listings(session, event.enterprise_id, event.trademark_id):
        if mark_lapse_policy(account) == MarkLapsePolicy.WITHDRAW:
            _queue(session, listing, "listings.withdraw")
        else:
            _queue(session, listing, "listings.publish")


def follow_mark_reinstatement(session: Session, event: MembershipReinstated, *, actor: Actor) -> None:  # noqa: ARG001 (every handler is given the actor)
    """The firm may use the mark again: live listings are re-published with it."""
    for listing, _account in marked_listings(session, event.enterprise_id, event.trademark_id):
        _queue(session, listing, "listings.publish")
