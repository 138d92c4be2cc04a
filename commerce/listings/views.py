"""HTTP edge of marketplace sync: accounts, listings, sync health and webhooks from marketplaces."""

from __future__ import annotations

from datetime import timedelta

from flask import request
from pydantic import BaseModel, ConfigDict

from commerce.listings import service, webhooks
from commerce.listings.models import (
    ChannelAccount,
    ChannelAccountCreate,
    ChannelAccountPublic,
    ListingCreate,
    ListingPublic,
    ListingStatus,
    SyncHealth,
)
from commerce.secrets import unseal
from commerce.validation import Identifier
from commerce.web.auth import current_actor
from commerce.web.database import current_deployment, current_settings, db_session
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, page_of
from commerce.web.responses import respond, respond_json
from integrations.marketplaces import marketplace

bp = api_blueprint("listings", __name__, tag="Marketplaces", description="Marketplace accounts and listings")
webhooks_bp = api_blueprint(
    "webhooks", __name__, tag="Marketplaces", description="Webhooks signed by the marketplaces", public=True
)


class ProductPath(BaseModel):
    product_id: Identifier


class ListingPath(BaseModel):
    listing_id: Identifier


class WebhookPath(BaseModel):
    platform: str
    channel_account_id: Identifier


class ListingQuery(ListQuery):
    product_id: Identifier | None = None
    status: ListingStatus | None = None
    channel_account_id: Identifier | None = None


class HealthList(BaseModel):
    items: list[SyncHealth]


class WebhookReceived(BaseModel):
    model_config = ConfigDict(extra="allow")

    received: int
    duplicates: int


def account_public(account: ChannelAccount) -> ChannelAccountPublic:
    return ChannelAccountPublic(
        id=account.id,
        platform=account.platform,
        name=account.name,
        settings=account.settings,
        credential_fields=list(marketplace(account.platform).credential_fields),
        created_at=account.created_at,
    )


def listing_public(listing) -> ListingPublic:
    return ListingPublic.model_validate(listing, from_attributes=True)


@bp.post("/channel-accounts", responses={201: ChannelAccountPublic})
def create_account(body: ChannelAccountCreate):
    """Connect a marketplace account (admin); credentials are sealed at rest and never returned."""
    settings = current_settings()
    account = service.create_account(
        db_session(), actor=current_actor(), data=body, secret_key=settings.secret_key, public_url=settings.public_url
    )
    return respond(account_public(account), 201, {"Location": f"{API_PREFIX}/channel-accounts/{account.id}"})


@bp.get("/channel-accounts", responses={200: ItemList[ChannelAccountPublic]})
def list_accounts(query: ListQuery):
    """Marketplace accounts (admin)."""
    page = service.list_accounts(db_session(), actor=current_actor(), limit=query.limit, after=query.cursor)
    return respond(page_of(ChannelAccountPublic, page, [account_public(account) for account in page.items]))


@bp.get("/channel-accounts/health", responses={200: HealthList})
def sync_health():
    """Per account: listings by status, sync jobs queued, failing and dead, rate-limit hits, last error (admin)."""
    return respond(HealthList(items=service.sync_health(db_session(), actor=current_actor())))


@bp.post("/products/<int:product_id>/listings", responses={202: ListingPublic})
def publish_product(path: ProductPath, body: ListingCreate):
    """Publish an approved product to a marketplace account: 202 with the listing in ``pending``."""
    listing = service.publish_product(
        db_session(), actor=current_actor(), product_id=path.product_id, channel_account_id=body.channel_account_id
    )
    return respond(listing_public(listing), 202, {"Location": f"{API_PREFIX}/listings/{listing.id}"})


@bp.get("/listings", responses={200: ItemList[ListingPublic]})
def list_listings(query: ListingQuery):
    """Listings, oldest first; a firm sees its own."""
    page = service.list_listings(
        db_session(),
        actor=current_actor(),
        limit=query.limit,
        after=query.cursor,
        product_id=query.product_id,
        status=query.status,
        channel_account_id=query.channel_account_id,
    )
    return respond(page_of(ListingPublic, page, [listing_public(listing) for listing in page.items]))


@bp.get("/listings/<int:listing_id>", responses={200: ListingPublic})
def get_listing(path: ListingPath):
    """One listing: our status, the marketplace's own review status, attempts and the last error."""
    return respond(listing_public(service.get_listing(db_session(), actor=current_actor(), listing_id=path.listing_id)))


@bp.post("/listings/<int:listing_id>/withdraw", responses={202: ListingPublic})
def withdraw_listing(path: ListingPath):
    """Take a listing off the marketplace; a worker does it and the listing becomes ``withdrawn``."""
    listing = service.request_withdrawal(db_session(), actor=current_actor(), listing_id=path.listing_id)
    return respond(listing_public(listing), 202)


@webhooks_bp.post("/webhooks/<platform>/<int:channel_account_id>", responses={200: WebhookReceived})
def receive_webhook(path: WebhookPath):
    """A marketplace's webhook: signature checked per platform (401 and nothing stored if it fails).

    A repeated event id answers 200 and repeats nothing.
    """
    settings = current_settings()
    secret_key = settings.secret_key
    fresh, repeated = webhooks.receive_webhook(
        db_session(),
        platform=path.platform,
        channel_account_id=path.channel_account_id,
        headers=request.headers,
        body=request.get_data(cache=False),
        unseal_credentials=lambda account: unseal(secret_key, account.credentials_sealed),
        held=current_deployment().marketplace_clients.webhook_accounts,
        after_sale_delay=timedelta(seconds=settings.after_sale_fold_seconds),
    )
    body = {"received": fresh, "duplicates": repeated}
    if path.platform == "douyin":
        body = {"code": 0, "msg": "success", **body}  # the answer Douyin's message push expects
    return respond_json(body)
