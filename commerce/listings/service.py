"""Marketplace accounts, publishing products to them, their listings, webhooks in and sync health."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.catalog.models import Product, ProductStatus
from commerce.clusters.permissions import is_firm_scoped, require_own_enterprise
from commerce.db import utcnow, write_transaction
from commerce.errors import NotFound
from commerce.jobs import service as jobs
from commerce.jobs.models import Job, JobStatus
from commerce.jobs.pacing import open_allowance
from commerce.listings.errors import (
    AccountNameTaken,
    AccountSettingsInvalid,
    CredentialsIncomplete,
    ProductNotApproved,
    UnknownChannelAccount,
    UnsupportedApiVersion,
)
from commerce.listings.models import (
    ChannelAccount,
    ChannelAccountCreate,
    Listing,
    ListingStatus,
    SyncHealth,
    rate_key,
)
from commerce.pagination import Page, fetch_page
from commerce.secrets import seal
from integrations.base import TerminalError
from integrations.marketplace import EventKind
from integrations.marketplaces import marketplace

# Queue priorities: stock of SKUs in a live stream first, then other stock, then catalogue work.
PRIORITY_LIVE_STOCK = 10
PRIORITY_STOCK = 50
PRIORITY_EVENT = 60
PRIORITY_PUBLISH = 100
PRIORITY_CHECK = 120
PRIORITY_RECONCILE = 200


def content_key(listing_id: int) -> str:
    """Publishing and withdrawing share one key: the newest intent for a listing is the one that runs."""
    return f"listing:{listing_id}:content"


# The job that sends a listing's stock to its marketplace, and its key: one pending push per
# listing, into which changes while it waits fold.
PUSH_STOCK = "listings.push_stock"
STOCK_KEY = "listing:{}:stock"


# The jobs that follow a marketplace's refunds and returns (handled by ``aftersales.marketplace``):
# one for an order a webhook named, one reading those changed since the last order poll.
FOLLOW_AFTER_SALES = "aftersales.follow"
POLL_AFTER_SALES = "aftersales.poll"
# Which job a marketplace event queues.
EVENT_JOBS = {
    EventKind.ORDER: "listings.event",
    EventKind.LISTING: "listings.event",
    EventKind.AFTER_SALE: FOLLOW_AFTER_SALES,
}


def stock_key(listing_id: int) -> str:
    """One pending stock push per listing: changes while it waits fold into it."""
    return STOCK_KEY.format(listing_id)


def check_key(listing_id: int) -> str:
    return f"listing:{listing_id}:check"


_KEYS = {
    "listings.publish": content_key,
    "listings.withdraw": content_key,
    "listings.check": check_key,
    PUSH_STOCK: stock_key,
}


def queue_listing_job(
    session: Session,
    kind: str,
    *,
    listing_id: int,
    channel_account_id: int,
    priority: int,
    run_at: datetime | None = None,
    **payload: Any,
) -> int:
    """Queue work on one listing under its kind's key and its account's rate allowance."""
    return jobs.enqueue(
        session,
        kind=kind,
        key=_KEYS[kind](listing_id),
        payload={"listing_id": listing_id, **payload},
        priority=priority,
        run_at=run_at,
        rate_key=rate_key(channel_account_id),
    )


def create_account(
    session: Session, *, actor: Actor, data: ChannelAccountCreate, secret_key: str, public_url: str | None = None
) -> ChannelAccount:
    """Connect a marketplace account; its credentials are sealed before they are stored. Where the
    marketplace takes webhook subscriptions through its API and the service has a public address,
    subscribing is queued with it."""
    require_role(actor, Role.ADMIN)
    needed = marketplace(data.platform).credential_fields
    missing = [name for name in needed if not (data.credentials.get(name) or "").strip()]
    if missing:
        raise CredentialsIncomplete(field="credentials", platform=data.platform, missing=", ".join(missing))
    version = (data.credentials.get("api_version") or "").strip()
    supported = marketplace(data.platform).api_versions(utcnow().date())
    if version and supported and version not in supported:
        raise UnsupportedApiVersion(
            field="credentials.api_version", platform=data.platform, version=version, supported=", ".join(supported)
        )
    settings = data.settings.model_dump(mode="json", exclude_none=True)
    try:
        # Building the client reads the settings it needs (it makes no call).
        marketplace(data.platform).client(dict(data.credentials), settings).close()
    except TerminalError as error:
        raise AccountSettingsInvalid(field="settings", platform=data.platform, reason=str(error)) from None
    account = ChannelAccount(
        platform=data.platform,
        name=data.name,
        credentials_sealed=seal(secret_key, {name: data.credentials[name] for name in data.credentials}),
        settings=settings,
        rate_limit_per_second=data.settings.rate_limit_per_second,
    )
    try:
        with write_transaction(session):
            session.add(account)
            session.flush()
            open_allowance(session, rate_key(account.id), rate_per_second=account.rate_limit_per_second)
            if public_url and marketplace(data.platform).subscribes_webhooks:
                jobs.enqueue(
                    session,
                    kind="listings.subscribe_webhooks",
                    key=f"account:{account.id}:webhooks",
                    payload={"channel_account_id": account.id, "uri": webhook_address(public_url, account)},
                    rate_key=rate_key(account.id),
                )
            audit.record(
                session,
                actor=actor,
                entity="channel_account",
                entity_id=account.id,
                action="created",
                changes={"platform": data.platform, "name": data.name, "settings": settings},
            )
    except IntegrityError:
        raise AccountNameTaken(field="name", platform=data.platform) from None
    return account


def webhook_address(public_url: str, account: ChannelAccount) -> str:
    """Where a marketplace sends an account's webhooks."""
    return f"{public_url.rstrip('/')}/api/v1/webhooks/{account.platform}/{account.id}"


def list_accounts(session: Session, *, actor: Actor, limit: int, after: int | None) -> Page[ChannelAccount]:
    require_role(actor, Role.ADMIN)
    return fetch_page(session, select(ChannelAccount), id_column=ChannelAccount.id, limit=limit, after=after)


def _account(session: Session, account_id: int) -> ChannelAccount:
    account = session.get(ChannelAccount, account_id)
    if account is None:
        raise UnknownChannelAccount(field="channel_account_id")
    return account


def publish_product(session: Session, *, actor: Actor, product_id: int, channel_account_id: int) -> Listing:
    """List an approved product on a marketplace account: the listing waits in ``pending`` for a worker.

    Asking again for a listing that exists changes nothing unless it had ended (withdrawn,
    failed or rejected), in which case it is published afresh.
    """
    require_role(actor, Role.SME)
    with write_transaction(session):
        product = session.get(Product, product_id)
        if product is None:
            raise NotFound()
        require_own_enterprise(actor, product.enterprise_id)
        if product.status != ProductStatus.APPROVED:
            raise ProductNotApproved()
        _account(session, channel_account_id)
        listing = session.scalars(
            select(Listing).where(Listing.product_id == product_id, Listing.channel_account_id == channel_account_id)
        ).first()
        ended = {ListingStatus.WITHDRAWN, ListingStatus.FAILED, ListingStatus.REJECTED}
        if listing is not None and ListingStatus(listing.status) not in ended:
            return listing
        if listing is None:
            listing = Listing(
                product_id=product_id, channel_account_id=channel_account_id, enterprise_id=product.enterprise_id
            )
        else:
            listing.status = ListingStatus.PENDING.value
            listing.attempts = 0
            listing.last_error = None
            listing.updated_at = utcnow()
        session.add(listing)
        session.flush()
        queue_listing_job(
            session,
            "listings.publish",
            listing_id=listing.id,
            channel_account_id=channel_account_id,
            priority=PRIORITY_PUBLISH,
        )
        audit.record(
            session,
            actor=actor,
            entity="listing",
            entity_id=listing.id,
            action="publish_requested",
            changes={"product_id": product_id, "channel_account_id": channel_account_id},
        )
    return listing


def list_listings(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    product_id: int | None = None,
    status: ListingStatus | None = None,
    channel_account_id: int | None = None,
) -> Page[Listing]:
    """Listings, oldest first; a firm sees its own."""
    require_role(actor, Role.SME)
    statement = select(Listing)
    if is_firm_scoped(actor):
        statement = statement.where(Listing.enterprise_id == actor.enterprise_id)
    if product_id is not None:
        statement = statement.where(Listing.product_id == product_id)
    if status is not None:
        statement = statement.where(Listing.status == status.value)
    if channel_account_id is not None:
        statement = statement.where(Listing.channel_account_id == channel_account_id)
    return fetch_page(session, statement, id_column=Listing.id, limit=limit, after=after)


def get_listing(session: Session, *, actor: Actor, listing_id: int) -> Listing:
    """One listing the actor may see (a firm its own; 404 otherwise)."""
    require_role(actor, Role.SME)
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise NotFound()
    require_own_enterprise(actor, listing.enterprise_id)
    return listing


def request_withdrawal(session: Session, *, actor: Actor, listing_id: int) -> Listing:
    """Ask for a listing to be taken off its marketplace (a worker does it)."""
    with write_transaction(session):
        listing = get_listing(session, actor=actor, listing_id=listing_id)
        if listing.status != ListingStatus.WITHDRAWN:
            queue_listing_job(
                session,
                "listings.withdraw",
                listing_id=listing.id,
                channel_account_id=listing.channel_account_id,
                priority=PRIORITY_PUBLISH,
            )
            audit.record(session, actor=actor, entity="listing", entity_id=listing.id, action="withdraw_requested")
    return listing


# An account as a plain row, built once: every webhook delivery and every sync job reads it.
ACCOUNT_ROW = select(ChannelAccount.__table__).where(ChannelAccount.__table__.c.id == bindparam("account_id"))


def sync_health(session: Session, *, actor: Actor) -> list[SyncHealth]:
    """Per account: listings by status, the sync jobs queued, failing and dead, rate-limit hits, last error."""
    require_role(actor, Role.ADMIN)
    accounts = list(session.scalars(select(ChannelAccount).order_by(ChannelAccount.id)))
    by_status: dict[int, Counter] = {account.id: Counter() for account in accounts}
    for account_id, status, count in session.execute(
        select(Listing.channel_account_id, Listing.status, func.count()).group_by(
            Listing.channel_account_id, Listing.status
        )
    ):
        by_status[account_id][status] = count
    queued: Counter = Counter()
    failing: Counter = Counter()
    dead: Counter = Counter()
    open_jobs = session.execute(
        select(Job.rate_key, Job.status, Job.last_error.is_not(None), func.count())
        .where(Job.kind.like("listings.%"), Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DEAD]))
        .group_by(Job.rate_key, Job.status, Job.last_error.is_not(None))
    )
    for key, status, has_error, count in open_jobs:
        if status == JobStatus.DEAD:
            dead[key] += count
            continue
        queued[key] += count
        if has_error:
            failing[key] += count
    return [
        SyncHealth(
            channel_account_id=account.id,
            platform=account.platform,
            name=account.name,
            listings={status.value: by_status[account.id].get(status.value, 0) for status in ListingStatus},
            jobs_queued=queued[rate_key(account.id)],
            jobs_failing=failing[rate_key(account.id)],
            jobs_dead=dead[rate_key(account.id)],
            rate_limit_per_second=account.rate_limit_per_second,
            throttled_count=account.throttled_count,
            last_error=account.last_error,
            last_error_at=account.last_error_at,
            last_success_at=account.last_success_at,
            orders_polled_until=account.orders_polled_until,
        )
        for account in accounts
    ]
