"""Queued work of the listings area: publish, check, push stock, withdraw, events, order polling.

Every handler reads the state it needs when it runs (never what the queue remembered), talks
to the marketplace, then records the outcome in one short transaction; run twice, it does
the same thing twice to the same effect.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from commerce.catalog.models import Product, ProductStatus
from commerce.db import Database, utcnow, write_transaction
from commerce.deployment import Deployment
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.listings import orders_in
from commerce.listings.content import available_stock, digest, listing_content, sku_id_of
from commerce.listings.models import SYNCED_STATUSES, ChannelAccount, Listing, ListingStatus, rate_key
from commerce.listings.service import (
    ACCOUNT_ROW,
    POLL_AFTER_SALES,
    PRIORITY_CHECK,
    PRIORITY_RECONCILE,
    PRIORITY_STOCK,
    PUSH_STOCK,
    queue_listing_job,
)
from integrations.base import IntegrationError, RetryableError, TerminalError
from integrations.marketplace import (
    EventKind,
    ListingContent,
    ListingNotFound,
    MarketplaceClient,
    RemoteListing,
    ReviewState,
    StaleStock,
    StockLine,
)

log = logging.getLogger(__name__)


_listing = Listing.__table__
_account = ChannelAccount.__table__
_LISTING = select(_listing).where(_listing.c.id == bindparam("listing_id"))
_PRODUCT = select(Product.__table__).where(Product.__table__.c.id == bindparam("product_id"))


def _load(database: Database, listing_id: int):
    """The listing, its account and its product as plain rows (this runs for every sync job)."""
    with database.session() as session:
        return _load_in(session, listing_id)


def _load_in(session: Session, listing_id: int):
    connection = session.connection()
    listing = connection.execute(_LISTING, {"listing_id": listing_id}).first()
    if listing is None:
        return None
    account = connection.execute(ACCOUNT_ROW, {"account_id": listing.channel_account_id}).first()
    product = connection.execute(_PRODUCT, {"product_id": listing.product_id}).first()
    return listing, account, product


def _client(deployment: Deployment, account: ChannelAccount) -> MarketplaceClient:
    return deployment.marketplace_clients.client(deployment.database, deployment.settings, account)


def _record(database: Database, listing_id: int, **values) -> None:
    with database.session() as session:
        _record_in(session, listing_id, **values)


def _record_in(session: Session, listing_id: int, **values) -> None:
    with write_transaction(session):
        session.execute(update(_listing).where(_listing.c.id == listing_id).values(updated_at=utcnow(), **values))


def _throttled(error: IntegrationError) -> bool:
    """A rate limit met (ours or the marketplace's): not a failure of the account or the listing."""
    return isinstance(error, RetryableError) and error.throttled


def _account_outcome(deployment: Deployment, account_id: int, error: IntegrationError | None) -> None:
    """Keep the account's last success (every few seconds at most) or last error for the sync health view."""
    if error is not None and _throttled(error):
        return
    if error is None and not deployment.marketplace_clients.success_note_due(account_id):
        return
    now = utcnow()
    values = {"last_success_at": now} if error is None else {"last_error": str(error)[:2000], "last_error_at": now}
    with deployment.database.session() as session, write_transaction(session):
        session.execute(update(_account).where(_account.c.id == account_id).values(**values))


def _failed_attempt(database: Database, job: Job, listing: Listing, error: IntegrationError) -> None:
    """Note a failed attempt on the listing; its last attempt (or a terminal error) fails it.

    A rate limit (ours, or a marketplace's 429) means nothing reached the marketplace: the
    attempt is taken back, so the next one does not look for a product it cannot have made.
    """
    if _throttled(error):
        _record(database, listing.id, attempts=listing.attempts)
        return
    final = isinstance(error, TerminalError) or job.attempts >= job.max_attempts
    values: dict = {"last_error": str(error)[:2000]}
    if final and listing.status in (ListingStatus.PENDING, ListingStatus.PUBLISHING):
        values["status"] = ListingStatus.FAILED.value
    _record(database, listing.id, **values)


def _differences(content: ListingContent, remote: RemoteListing) -> list[str]:
    """What the marketplace holds that differs from what we sent (quantities aside)."""
    found = []
    if remote.title != content.title:
        found.append(f"title is {remote.title!r}")
    for sku in content.skus:
        price = remote.prices.get(sku.seller_sku)
        if price is None:
            found.append(f"{sku.seller_sku} is missing")
        elif price != sku.price:
            found.append(f"{sku.seller_sku} price is {price}")
    return found


def publish_listing(deployment: Deployment, job: Job) -> None:
    """Send the product's current content to the marketplace (create, or full-state update)."""
    database, settings = deployment.database, deployment.settings
    # Reading the listing and its content and counting the attempt share one transaction.
    with database.session() as session:
        loaded = _load_in(session, int(job.payload["listing_id"]))
        if loaded is None:
            return
        listing, account, product = loaded
        if listing.status == ListingStatus.WITHDRAWN:
            return
        if product.status == ProductStatus.APPROVED:
            content, with_mark = listing_content(
                session,
                product,
                account,
                today=utcnow().date(),
                public_url=settings.public_url,
                media=deployment.media_store,
            )
            _record_in(
                session,
                listing.id,
                attempts=_listing.c.attempts + 1,
                status=ListingStatus.PUBLISHING.value if listing.status == ListingStatus.PENDING else listing.status,
            )
    if product.status == ProductStatus.RETIRED:
        return withdraw_listing(deployment, job)
    if product.status != ProductStatus.APPROVED:
        return  # back in review: the approval queues the publish again
    earlier_attempts = listing.attempts
    client = _client(deployment, account)
    try:
        try:
            published = client.publish(content, external_id=listing.external_id, may_exist=earlier_attempts > 0)
        except ListingNotFound:
            # Deleted on the marketplace's side: list it again.
            published = client.publish(content, external_id=None, may_exist=True)
        if published.applied is not None and (problems := _differences(content, published.applied)):
            raise RetryableError("the marketplace accepted the edit but did not apply it: " + "; ".join(problems))
    except IntegrationError as error:
        _failed_attempt(database, job, listing, error)
        _account_outcome(deployment, account.id, error)
        raise
    verified = published.applied is not None and published.review == ReviewState.APPROVED
    now = utcnow()
    with database.session() as session, write_transaction(session):
        session.execute(
            update(_listing)
            .where(_listing.c.id == listing.id, _listing.c.status != ListingStatus.WITHDRAWN.value)
            .values(
                external_id=published.external_id,
                platform_status=published.platform_status[:60],
                status=(ListingStatus.LIVE if verified else ListingStatus.PUBLISHING).value,
                remote_skus=dict(published.sku_ids),
                pushed_stock={sku.seller_sku: sku.quantity for sku in content.skus},
                published_digest=digest(content),
                with_mark=with_mark,
                review_note=None,
                last_error=None,
                synced_at=now,
                updated_at=now,
            )
        )
        if not verified:
            queue_listing_job(
                session,
                "listings.check",
                listing_id=listing.id,
                channel_account_id=account.id,
                priority=PRIORITY_CHECK,
                run_at=now + timedelta(seconds=settings.review_check_seconds),
            )
        # Stock that moved while the content was on its way is pushed after it.
        current = available_stock(session, [sku_id_of(sku.seller_sku) for sku in content.skus])
        if any(current.get(sku_id_of(sku.seller_sku), 0) != sku.quantity for sku in content.skus):
            queue_listing_job(
                session,
                PUSH_STOCK,
                listing_id=listing.id,
                channel_account_id=account.id,
                priority=PRIORITY_STOCK,
            )
    _account_outcome(deployment, account.id, None)


def check_listing(deployment: Deployment, job: Job) -> None:
    """Read the listing back: the marketplace's review outcome, and whether what we sent was applied."""
    _check(deployment, int(job.payload["listing_id"]))


def _check(deployment: Deployment, listing_id: int) -> None:
    loaded = _load(deployment.database, listing_id)
    if loaded is not None:
        _check_loaded(deployment, loaded)


def _check_loaded(deployment: Deployment, loaded) -> None:
    database, settings = deployment.database, deployment.settings
    listing, account, product = loaded
    # A live listing was verified when it went live; later drift is the reconciliation's business.
    if listing.external_id is None or listing.status != ListingStatus.PUBLISHING:
        return
    try:
        remote = _client(deployment, account).read(listing.external_id)
    except IntegrationError as error:
        _account_outcome(deployment, account.id, error)
        raise
    now = utcnow()
    values: dict = {
        "platform_status": remote.platform_status[:60],
        "synced_at": now,
        "remote_skus": dict(remote.sku_ids),
    }
    follow_up = None
    if remote.review == ReviewState.IN_REVIEW:
        follow_up = ("listings.check", now + timedelta(seconds=settings.review_check_seconds))
    elif remote.review == ReviewState.REJECTED:
        values.update(status=ListingStatus.REJECTED.value, review_note=(remote.review_note or "")[:1000] or None)
    elif remote.review == ReviewState.OFFLINE:
        values.update(status=ListingStatus.REJECTED.value, review_note="taken off sale by the marketplace")
    with database.session() as session:
        if remote.review == ReviewState.APPROVED:
            content, _with_mark = listing_content(
                session,
                product,
                account,
                today=now.date(),
                public_url=settings.public_url,
                media=deployment.media_store,
            )
            problems = _differences(content, remote) if digest(content) == listing.published_digest else []
            if problems:
                values["last_error"] = "the marketplace accepted the edit but did not apply it: " + "; ".join(problems)
                follow_up = ("listings.publish", now)
            else:
                values.update(status=ListingStatus.LIVE.value, review_note=None)
        with write_transaction(session):
            session.execute(
                update(_listing)
                .where(_listing.c.id == listing.id, _listing.c.status.in_(SYNCED_STATUSES))
                .values(updated_at=now, **values)
            )
            if follow_up is not None:
                kind, run_at = follow_up
                queue_listing_job(
                    session,
                    kind,
                    listing_id=listing.id,
                    channel_account_id=account.id,
                    priority=PRIORITY_CHECK,
                    run_at=run_at,
                )
    _account_outcome(deployment, account.id, None)


def push_stock(deployment: Deployment, job: Job) -> None:
    """Set the marketplace's quantities to our available stock, with compare-and-set where offered."""
    database = deployment.database
    loaded = _load(database, int(job.payload["listing_id"]))
    if loaded is None:
        return
    listing, account, _product = loaded
    if listing.external_id is None or listing.status not in SYNCED_STATUSES:
        return
    client = _client(deployment, account)
    by_sku = {sku_id_of(seller): (seller, remote) for seller, remote in listing.remote_skus.items()}
    with database.session() as session:
        available = available_stock(session, [sku_id for sku_id in by_sku if sku_id is not None])
    expected = dict(listing.pushed_stock)
    if job.payload.get("verify"):
        expected = dict(client.read(listing.external_id).quantities)
    lines = [
        StockLine(seller, remote, available.get(sku_id, 0), expected.get(seller))
        for sku_id, (seller, remote) in sorted(by_sku.items(), key=lambda item: item[1][0])
        if sku_id is not None
    ]
    changed = [line for line in lines if line.expected != line.quantity]
    if not changed:
        return
    # The same push retried keeps its idempotency id; another push (a new job, or new values) gets a new one.
    values = [(line.seller_sku, line.quantity) for line in changed]
    key = hashlib.sha256(f"{listing.id}:{job.id}:{values}".encode()).hexdigest()[:32]
    try:
        client.push_stock(listing.external_id, changed, idempotency_key=key)
    except StaleStock:
        # A sale on the marketplace we have not heard of yet: take its quantities as the new
        # baseline and push again once the order has had time to arrive.
        actual = client.read(listing.external_id).quantities
        _record(database, listing.id, pushed_stock=dict(actual))
        raise
    except IntegrationError as error:
        _account_outcome(deployment, account.id, error)
        raise
    pushed = {**listing.pushed_stock, **{line.seller_sku: line.quantity for line in changed}}
    _record(database, listing.id, pushed_stock=pushed, synced_at=utcnow())


def withdraw_listing(deployment: Deployment, job: Job) -> None:
    """Take the listing off sale on the marketplace."""
    database = deployment.database
    loaded = _load(database, int(job.payload["listing_id"]))
    if loaded is None:
        return
    listing, account, _product = loaded
    if listing.status == ListingStatus.WITHDRAWN:
        return
    if listing.external_id is not None:
        try:
            _client(deployment, account).withdraw(listing.external_id)
        except ListingNotFound:
            pass
        except IntegrationError as error:
            _account_outcome(deployment, account.id, error)
            raise
    _record(database, listing.id, status=ListingStatus.WITHDRAWN.value, synced_at=utcnow(), last_error=None)


def handle_event(deployment: Deployment, job: Job) -> None:
    """A webhook said an order or a listing changed: fetch it as it is now and follow."""
    database = deployment.database
    account_id = int(job.payload["channel_account_id"])
    subject = str(job.payload["subject_id"])
    if job.payload["kind"] == EventKind.ORDER.value:
        with database.session() as session:
            account = session.get(ChannelAccount, account_id)
        if account is None:
            return
        remote = _client(deployment, account).fetch_order(subject)
        with database.session() as session:
            orders_in.ingest(session, account=account, remote=remote)
        return
    # Only listings waiting for the marketplace's review need reading back now; live ones are
    # the echo of our own writes, and drift on them is caught by the stock reconciliation.
    with database.session() as session:
        listing_id = session.scalar(
            select(Listing.id).where(
                Listing.channel_account_id == account_id,
                Listing.external_id == subject,
                Listing.status == ListingStatus.PUBLISHING.value,
            )
        )
        loaded = _load_in(session, listing_id) if listing_id is not None else None
    if loaded is not None:
        _check_loaded(deployment, loaded)


def subscribe_webhooks(deployment: Deployment, job: Job) -> None:
    """Have the marketplace send the account's webhooks to the service (those held are kept)."""
    with deployment.database.session() as session:
        account = session.get(ChannelAccount, int(job.payload["channel_account_id"]))
    if account is None:
        return
    created = _client(deployment, account).subscribe_webhooks(job.payload["uri"])
    log.info("webhooks subscribed", extra={"channel_account_id": account.id, "topics": created})


def poll_orders(deployment: Deployment, job: Job) -> None:
    """Fetch orders, then refunds and returns, changed since the last poll (catches what lost
    webhooks missed)."""
    database, settings = deployment.database, deployment.settings
    with database.session() as session:
        account = session.get(ChannelAccount, int(job.payload["channel_account_id"]))
    if account is None:
        return
    started = utcnow()
    since = account.orders_polled_until or started - timedelta(hours=settings.order_poll_lookback_hours)
    client = _client(deployment, account)
    cursor = None
    while True:
        page = client.fetch_orders(updated_since=since, cursor=cursor)
        for remote in page.orders:
            with database.session() as session:
                orders_in.ingest(session, account=account, remote=remote)
        cursor = page.next_cursor
        if cursor is None:
            break
    # Refunds and returns changed over the same stretch are read by a job of their own.
    with database.session() as session, write_transaction(session):
        jobs.enqueue(
            session,
            kind=POLL_AFTER_SALES,
            key=f"account:{account.id}:poll_after_sales:{since.isoformat()}",
            payload={"channel_account_id": account.id, "since": since.isoformat()},
            priority=job.priority,
            rate_key=rate_key(account.id),
        )
    # The next poll starts a minute before this one did: changes committed late on the
    # marketplace's side are read again, and reading an order twice changes nothing.
    with database.session() as session, write_transaction(session):
        session.execute(
            update(_account)
            .where(_account.c.id == account.id)
            .values(orders_polled_until=started - timedelta(seconds=60), last_success_at=utcnow())
        )


def reconcile_stock(deployment: Deployment, job: Job) -> None:
    """Queue a stock push for every synced listing of the account that reads the marketplace first."""
    database = deployment.database
    account_id = int(job.payload["channel_account_id"])
    with database.session() as session, write_transaction(session):
        listing_ids = session.scalars(
            select(Listing.id).where(
                Listing.channel_account_id == account_id,
                Listing.status.in_(SYNCED_STATUSES),
                Listing.external_id.is_not(None),
            )
        ).all()
        for listing_id in listing_ids:
            queue_listing_job(
                session,
                PUSH_STOCK,
                listing_id=listing_id,
                channel_account_id=account_id,
                priority=PRIORITY_RECONCILE,
                verify=True,
            )


def queue_for_accounts(session: Session, kind: str, *, priority: int) -> int:
    """Queue one job of a kind per marketplace account (the scheduler's periodic work)."""
    with write_transaction(session):
        account_ids = session.scalars(select(ChannelAccount.id).order_by(ChannelAccount.id)).all()
        for account_id in account_ids:
            jobs.enqueue(
                session,
                kind=kind,
                key=f"account:{account_id}:{kind.split('.')[-1]}",
                payload={"channel_account_id": account_id},
                priority=priority,
                rate_key=rate_key(account_id),
            )
    return len(account_ids)
