"""Livestreams, their lineups, the pinned item and its history, flash sales, and the shapes the API speaks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from commerce.db import ExactDecimal, UTCDateTime, utcnow
from commerce.validation import CurrencyCode, Identifier, Input, Money, Price


class StreamStatus(StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Stream(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("status IN ('scheduled', 'live', 'ended', 'cancelled')", name="stream_status_known"),
        Index("stream_host_listing", "host_user_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    category: str = Field(max_length=100)
    host_user_id: int = Field(foreign_key="user_account.id")
    channel_account_id: int | None = Field(default=None)
    currency: str = Field(max_length=3)
    scheduled_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default=StreamStatus.SCHEDULED, max_length=12)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class LineupItem(SQLModel, table=True):
    """A product in a stream's shopping bag; removed items keep their row for orders and reports."""

    __tablename__ = "lineup_item"
    __table_args__ = (
        UniqueConstraint("stream_id", "product_id", name="lineup_product_once_per_stream"),
        CheckConstraint("(position IS NULL) = (removed_at IS NOT NULL)", name="lineup_position_while_listed"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    product_id: int = Field(foreign_key="product.id", index=True)
    position: int | None = Field(default=None)
    live_price_amount: Decimal | None = Field(default=None, sa_type=ExactDecimal(4))
    added_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StreamRefusal(SQLModel, table=True):
    """An order of a stream refused for want of stock or of its deal: what the host did not sell.
    Each marketplace order counts once, however often it is sent again."""

    __tablename__ = "stream_refusal"
    __table_args__ = (UniqueConstraint("stream_id", "channel", "external_id", name="stream_refusal_once"),)

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    lineup_item_id: int | None = Field(default=None, foreign_key="lineup_item.id")
    enterprise_id: int = Field(foreign_key="enterprise.id")
    sku_id: int = Field(foreign_key="sku.id")
    channel: str = Field(max_length=32)
    external_id: str = Field(max_length=128)
    code: str = Field(max_length=40)
    quantity: int
    refused_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class StreamPin(SQLModel, table=True):
    """One stretch of time a lineup item was presented; the open one is the pinned item."""

    __tablename__ = "stream_pin"
    __table_args__ = (
        Index(
            "stream_one_open_pin",
            "stream_id",
            unique=True,
            sqlite_where=text("unpinned_at IS NULL"),
            postgresql_where=text("unpinned_at IS NULL"),
        ),
        Index("stream_pin_history", "stream_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    item_id: int = Field(foreign_key="lineup_item.id")
    pinned_by: int | None = Field(default=None, foreign_key="user_account.id")
    pinned_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    unpinned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FlashSale(SQLModel, table=True):
    """A deal price on one SKU of a lineup item, for a quantity and a time window."""

    __tablename__ = "flash_sale"
    __table_args__ = (
        CheckConstraint("sold >= 0 AND sold <= quantity", name="flash_sale_within_quantity"),
        CheckConstraint("per_buyer_limit >= 1", name="flash_sale_limit_positive"),
        CheckConstraint("ends_at > starts_at", name="flash_sale_window"),
        Index("flash_sale_of_stream", "stream_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    item_id: int = Field(foreign_key="lineup_item.id")
    sku_id: int = Field(foreign_key="sku.id")
    price_amount: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    quantity: int
    sold: int = Field(default=0)
    per_buyer_limit: int
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class FlashSaleBuyer(SQLModel, table=True):
    """Units one buyer has bought in one flash sale; the per-buyer limit is checked against it."""

    __tablename__ = "flash_sale_buyer"
    __table_args__ = (CheckConstraint("units >= 0", name="flash_sale_buyer_units_not_negative"),)

    flash_sale_id: int = Field(foreign_key="flash_sale.id", primary_key=True)
    buyer_key: str = Field(primary_key=True, max_length=200)
    units: int = Field(default=0)


Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StreamCreate(Input):
    title: Text200
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    host_user_id: Identifier | None = None
    channel_account_id: Identifier | None = None
    currency: CurrencyCode = "CNY"
    scheduled_start: AwareDatetime


class LineupItemInput(Input):
    product_id: Identifier
    live_price: Price | None = None
    sku_allocations: dict[str, Annotated[int, PydanticField(ge=0, le=10_000_000)]] | None = PydanticField(
        default=None,
        max_length=200,
        description="Units to ring-fence per SKU id; omitted keeps the item's current allocations, {} releases them",
    )


class LineupInput(Input):
    items: list[LineupItemInput] = PydanticField(max_length=1000)


class PinInput(Input):
    item_id: Identifier


class FlashSaleCreate(Input):
    item_id: Identifier
    sku_id: Identifier
    price: Price
    quantity: int = PydanticField(ge=1, le=10_000_000)
    per_buyer_limit: int = PydanticField(ge=1, le=10_000_000)
    countdown_seconds: int = PydanticField(ge=0, le=86_400)
    duration_seconds: int = PydanticField(ge=1, le=86_400)


class FlashSalePublic(BaseModel):
    id: int
    item_id: int
    sku_id: int
    price: Money
    quantity: int
    sold: int
    per_buyer_limit: int
    starts_at: datetime
    ends_at: datetime
    state: str = PydanticField(description="upcoming, running or ended, at the time of the answer")


class LineupItemPublic(BaseModel):
    id: int
    position: int
    product_id: int
    enterprise_id: int
    title: str
    # The product's first photo, small (None until the firm adds one).
    image_url: str | None
    sku_allocations: dict[str, int]
    live_price: Money | None


class StreamPublic(BaseModel):
    id: int
    title: str
    category: str
    host_user_id: int
    channel_account_id: int | None
    currency: str
    scheduled_start: datetime
    status: StreamStatus
    started_at: datetime | None
    ended_at: datetime | None
    lineup: list[LineupItemPublic]
    pinned_item_id: int | None
    flash_sales: list[FlashSalePublic]


class SalesFigures(BaseModel):
    orders: int
    units: int
    gmv: Money = PydanticField(description="Gross: what the orders not cancelled sold")
    refunds: Money = PydanticField(description="What after-sales have paid back")
    net: Money = PydanticField(description="Gross less refunds")
    refund_rate: str = PydanticField(description="Refunds over gross, a fraction with 4 decimals (0.0125 is 1.25%)")
    refused_orders: int = PydanticField(description="Orders refused for want of stock or of the deal (each once)")


class SkuStockLeft(BaseModel):
    sku_id: int
    sku_code: str
    attributes: dict[str, str]
    allocated: int = PydanticField(description="Units still set aside for the stream")
    available: int = PydanticField(description="General available stock")
    stock_left: int


class ItemStats(SalesFigures):
    item_id: int
    position: int | None
    product_id: int
    enterprise_id: int
    title: str
    stock_left: int = PydanticField(description="Units still allocated to the stream plus general available stock")
    skus: list[SkuStockLeft] = PydanticField(description="The same per SKU")


class FirmStats(SalesFigures):
    enterprise_id: int
    name: str


class StreamStats(BaseModel):
    stream_id: int
    status: StreamStatus
    pinned_item_id: int | None
    items: list[ItemStats]
    firms: list[FirmStats]
    totals: SalesFigures


class PinPublic(BaseModel):
    item_id: int
    product_id: int
    pinned_by: int | None
    pinned_at: datetime
    unpinned_at: datetime | None
    seconds: int


class StreamReport(StreamStats):
    started_at: datetime | None
    ended_at: datetime | None
    pins: list[PinPublic]
    flash_sales: list[FlashSalePublic]
