"""Marketplace accounts, listings (product x account), the rate allowance and received webhooks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, CheckConstraint, Column, Float, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.db import UTCDateTime, utcnow
from commerce.validation import Identifier
from integrations.marketplaces import MARKETPLACES


class ListingStatus(StrEnum):
    PENDING = "pending"
    PUBLISHING = "publishing"
    LIVE = "live"
    REJECTED = "rejected"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


# Listings the marketplace holds and we keep in step (content checks, stock pushes).
SYNCED_STATUSES = (ListingStatus.PUBLISHING.value, ListingStatus.LIVE.value)


class MarkLapsePolicy(StrEnum):
    """What a listing does when its maker may no longer use the collective trademark."""

    WITHDRAW = "withdraw"
    REPUBLISH_WITHOUT_MARK = "republish_without_mark"


# The name of an account's shared rate allowance (``rate_key``).
RATE_KEY = "channel_account:{}"


def rate_key(channel_account_id: int) -> str:
    """The name of an account's shared rate allowance."""
    return RATE_KEY.format(channel_account_id)


class ChannelAccount(SQLModel, table=True):
    __tablename__ = "channel_account"
    __table_args__ = (UniqueConstraint("platform", "name", name="channel_account_name_unique"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=20)
    name: str = Field(max_length=100)
    credentials_sealed: str = Field(sa_column=Column(Text, nullable=False))
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rate_limit_per_second: float = Field(sa_column=Column(Float, nullable=False))
    orders_polled_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    throttled_count: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Listing(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("product_id", "channel_account_id", name="listing_once_per_account"),
        CheckConstraint(
            "status IN ('pending', 'publishing', 'live', 'rejected', 'failed', 'withdrawn')",
            name="listing_status_known",
        ),
        Index("listing_account_status", "channel_account_id", "status"),
        # Webhooks and orders name a listing by the marketplace's id.
        Index("listing_account_external", "channel_account_id", "external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    channel_account_id: int = Field(foreign_key="channel_account.id")
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    status: str = Field(default=ListingStatus.PENDING, max_length=12)
    external_id: str | None = Field(default=None, max_length=100)
    platform_status: str | None = Field(default=None, max_length=60)
    review_note: str | None = Field(default=None, max_length=1000)
    with_mark: bool = Field(default=False)
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    remote_skus: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    pushed_stock: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    published_digest: str | None = Field(default=None, max_length=64)
    synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WebhookReceipt(SQLModel, table=True):
    """A marketplace event we accepted; the unique event id makes a second delivery a no-op."""

    __tablename__ = "webhook_receipt"
    __table_args__ = (
        UniqueConstraint("channel_account_id", "event_digest", name="webhook_event_once"),
        UniqueConstraint("channel_account_id", "body_digest", name="webhook_body_once"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_account_id: int = Field(foreign_key="channel_account.id")
    event_id: str = Field(sa_column=Column(Text, nullable=False))  # whole, however long
    event_digest: str = Field(max_length=64)  # SHA-256 of the event id: what makes it once
    # SHA-256 of a body whose signature does not cover its event id (Shopify's headers): the same
    # body sent again under a new id is the same event.
    body_digest: str | None = Field(default=None, max_length=64)
    topic: str = Field(max_length=60)
    kind: str = Field(max_length=10)
    subject_id: str | None = Field(default=None, max_length=100)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class MarketplaceMedia(SQLModel, table=True):
    """A photo an account's marketplace holds: what the marketplace calls it (a URI, a file id,
    an address), so each photo is uploaded to an account once, whichever worker publishes."""

    __tablename__ = "marketplace_media"
    __table_args__ = (UniqueConstraint("channel_account_id", "name", name="marketplace_media_once"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_account_id: int = Field(foreign_key="channel_account.id")
    name: str = Field(max_length=100)
    reference: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# API shapes


class AccountSettings(BaseModel):
    """What tunes an account; unknown keys are kept for the platform's client (``location_id``...)."""

    model_config = ConfigDict(extra="allow")

    base_url: str | None = PydanticField(default=None, max_length=300, pattern=r"^https?://\S+$")
    rate_limit_per_second: float = PydanticField(default=2.0, ge=0.01, le=1000)
    locale: str = PydanticField(default="en", pattern=r"^[a-z]{2}([-_][A-Za-z]{2,4})?$")
    currency: str | None = PydanticField(default=None, pattern=r"^[A-Z]{3}$")
    exchange_rates: dict[str, str] = PydanticField(default_factory=dict, max_length=20)
    on_mark_lapse: MarkLapsePolicy = MarkLapsePolicy.WITHDRAW
    category: str | None = PydanticField(default=None, max_length=60)
    # The marketplace's category by HS code: the longest heading a product's code starts with
    # ({"6110": "601226", "611710": "601301"}); products it does not name go to ``category``.
    categories: dict[str, str] = PydanticField(default_factory=dict, max_length=500)

    @field_validator("categories")
    @classmethod
    def _categories_by_hs_code(cls, categories: dict[str, str]) -> dict[str, str]:
        for heading, category in categories.items():
            if not (heading.isdigit() and 2 <= len(heading) <= 10):
                raise ValueError(f"{heading!r} is not an HS code or heading (2 to 10 digits)")
            if not isinstance(category, str) or not 0 < len(category) <= 60:
                raise ValueError(f"the category for {heading} must be 1 to 60 characters")
        return categories

    @field_validator("exchange_rates")
    @classmethod
    def _rates_are_decimals(cls, rates: dict[str, str]) -> dict[str, str]:
        from decimal import Decimal, InvalidOperation

        for currency, rate in rates.items():
            if len(currency) != 3 or not currency.isupper():
                raise ValueError(f"{currency!r} is not an ISO currency code")
            try:
                if not isinstance(rate, str) or not Decimal(rate).is_finite() or Decimal(rate) <= 0:
                    raise ValueError
            except (InvalidOperation, ValueError):
                raise ValueError(f"the rate for {currency} must be a positive decimal string") from None
        return rates


class ChannelAccountCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str
    name: str = PydanticField(min_length=1, max_length=100)
    credentials: dict[str, str] = PydanticField(max_length=20)
    settings: AccountSettings = PydanticField(default_factory=AccountSettings)

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, platform: str) -> str:
        if platform not in MARKETPLACES:
            raise ValueError(f"unknown platform; one of {', '.join(sorted(MARKETPLACES))}")
        return platform


class ChannelAccountPublic(BaseModel):
    id: int
    platform: str
    name: str
    settings: dict[str, Any]
    credential_fields: list[str]
    created_at: datetime


class SyncHealth(BaseModel):
    channel_account_id: int
    platform: str
    name: str
    listings: dict[str, int]
    jobs_queued: int
    jobs_failing: int
    jobs_dead: int
    rate_limit_per_second: float
    throttled_count: int
    last_error: str | None
    last_error_at: datetime | None
    last_success_at: datetime | None
    orders_polled_until: datetime | None


class ListingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_account_id: Identifier


class ListingPublic(BaseModel):
    id: int
    product_id: int
    channel_account_id: int
    status: ListingStatus
    external_id: str | None
    platform_status: str | None
    review_note: str | None
    with_mark: bool
    attempts: int
    last_error: str | None
    synced_at: datetime | None
    created_at: datetime
