"""Orders and their lines (one per SKU, each owned by the firm that makes it), and the API shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.db import ExactDecimal, UTCDateTime, utcnow
from commerce.validation import CountryCode, CurrencyCode, DecimalText, Identifier, Input, Money


class OrderStatus(StrEnum):
    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    CLEARED = "cleared"
    CANCELLED = "cancelled"


class CustomsMode(StrEnum):
    CROSS_BORDER_B2C = "9610"
    CROSS_BORDER_B2B_DIRECT = "9710"
    CROSS_BORDER_B2B_WAREHOUSE = "9810"
    MARKET_PROCUREMENT = "1039"
    GENERAL_TRADE = "0110"


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="order_once_per_channel"),
        CheckConstraint(
            "status IN ('placed', 'paid', 'shipped', 'cleared', 'cancelled')", name="sales_order_status_known"
        ),
        Index("sales_order_of_stream", "stream_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    external_id: str = Field(max_length=128)
    stream_id: int | None = Field(default=None, foreign_key="stream.id")
    status: str = Field(default=OrderStatus.PLACED, max_length=12)
    buyer_id: str | None = Field(default=None, max_length=128)
    buyer_name: str = Field(max_length=200)
    buyer_country: str | None = Field(default=None, max_length=2)
    currency: str = Field(max_length=3)
    total_amount: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    customs_mode: str | None = Field(default=None, max_length=4)
    destination_country: str | None = Field(default=None, max_length=2)
    trade_terms: str | None = Field(default=None, max_length=3)
    waybill_no: str | None = Field(default=None, max_length=64)
    logistics_code: str | None = Field(default=None, max_length=64)
    arrival_country: str | None = Field(default=None, max_length=2)
    exit_port: str | None = Field(default=None, max_length=4)
    traf_mode: str | None = Field(default=None, max_length=2)
    placed_by: int | None = Field(default=None, foreign_key="user_account.id")
    # What the order was taken from (SHA-256 of its request), to tell a repeat from a different order under the same id.
    request_digest: str | None = Field(default=None, max_length=64)
    placed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# What after-sales have done to a line, kept on the line so that constraints bound them: a new
# line starts with all of them 0 (intake never writes them).
AFTER_SALE_COLUMNS = (
    "refund_claimed_amount",
    "refunded_amount",
    "release_requested_quantity",
    "released_quantity",
    "shipped_quantity",
    "returned_quantity",
)
# The constraints after-sales answer to (``aftersales.errors`` names the answer to each).
REFUND_WITHIN_PAID = "order_line_refund_within_paid"
REFUNDED_WITHIN_CLAIMED = "order_line_refunded_within_claimed"
UNITS_ACCOUNTED = "order_line_units_accounted"
RETURN_WITHIN_SHIPPED = "order_line_return_within_shipped"


class OrderLine(SQLModel, table=True):
    """One SKU of an order, owned by the firm that makes it.

    After-sales count on the line: ``refund_claimed_amount`` is what after-sales not refused give
    back (at most what the line was paid) and ``refunded_amount`` what of it has been paid back;
    ``release_requested_quantity`` and ``released_quantity`` the units a refund before shipping
    asks back and has freed, ``shipped_quantity`` the units that left (never counting a unit
    released or asked back), ``returned_quantity`` the units returns bring back (at most those
    shipped).
    """

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="order_line_quantity_positive"),
        CheckConstraint(
            "refund_claimed_amount >= 0 AND refund_claimed_amount <= unit_price * quantity", name=REFUND_WITHIN_PAID
        ),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= refund_claimed_amount", name=REFUNDED_WITHIN_CLAIMED
        ),
        CheckConstraint(
            "release_requested_quantity >= 0 AND released_quantity >= 0 AND shipped_quantity >= 0 "
            "AND release_requested_quantity + released_quantity + shipped_quantity <= quantity",
            name=UNITS_ACCOUNTED,
        ),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= shipped_quantity", name=RETURN_WITHIN_SHIPPED),
        UniqueConstraint("order_id", "sku_id", name="order_line_sku_once"),
        Index("order_line_of_firm", "enterprise_id", "order_id"),
        Index("order_line_of_lineup_item", "lineup_item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id")
    sku_id: int = Field(foreign_key="sku.id")
    product_id: int = Field(foreign_key="product.id")
    enterprise_id: int = Field(foreign_key="enterprise.id")
    quantity: int
    unit_price: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    lineup_item_id: int | None = Field(default=None, foreign_key="lineup_item.id")
    flash_sale_id: int | None = Field(default=None, foreign_key="flash_sale.id")
    from_allocation: bool = Field(default=False)
    refund_claimed_amount: Decimal = Field(
        default=Decimal(0), sa_type=ExactDecimal(4), nullable=False, sa_column_kwargs={"server_default": "0"}
    )
    refunded_amount: Decimal = Field(
        default=Decimal(0), sa_type=ExactDecimal(4), nullable=False, sa_column_kwargs={"server_default": "0"}
    )
    release_requested_quantity: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    released_quantity: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    shipped_quantity: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    returned_quantity: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as stored (a ``sales_order`` row): what services hand on, read or just written.

    A plain record rather than a ``SalesOrder`` instance: order intake answers with it, and
    building one costs a tenth of a model. A test keeps its fields those of the table.
    """

    id: int
    channel: str
    external_id: str
    stream_id: int | None
    status: str
    buyer_id: str | None
    buyer_name: str
    buyer_country: str | None
    currency: str
    total_amount: Decimal
    customs_mode: str | None
    destination_country: str | None
    trade_terms: str | None
    waybill_no: str | None
    logistics_code: str | None
    arrival_country: str | None
    exit_port: str | None
    traf_mode: str | None
    placed_by: int | None
    request_digest: str | None
    placed_at: datetime
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    cleared_at: datetime | None = None
    cancelled_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LineRecord:
    """An order line as stored (an ``order_line`` row)."""

    id: int
    order_id: int
    sku_id: int
    product_id: int
    enterprise_id: int
    quantity: int
    unit_price: Decimal
    lineup_item_id: int | None
    flash_sale_id: int | None
    from_allocation: bool
    refund_claimed_amount: Decimal = Decimal(0)
    refunded_amount: Decimal = Decimal(0)
    release_requested_quantity: int = 0
    released_quantity: int = 0
    shipped_quantity: int = 0
    returned_quantity: int = 0


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order with the lines the reader may see."""

    order: OrderRecord
    lines: list[LineRecord] = field(default_factory=list)


Channel = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]


class BuyerInput(Input):
    id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = PydanticField(
        default=None, description="The buyer's identity on the channel; flash-sale limits count per identity"
    )
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    country: CountryCode | None = None


class OrderLineInput(Input):
    sku_id: Identifier
    quantity: int = PydanticField(ge=1, le=100_000)
    unit_price: DecimalText | None = PydanticField(
        default=None, description="In the order's currency; stream orders are priced by the stream when omitted"
    )


class ExportInput(Input):
    customs_mode: CustomsMode
    destination_country: CountryCode
    trade_terms: Literal["FOB", "CIF", "CFR", "EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS"] = "FOB"
    waybill_no: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    logistics_code: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    arrival_country: CountryCode | None = PydanticField(
        default=None,
        description="Country of arrival (运抵国) when the goods first arrive elsewhere than the destination",
    )
    exit_port: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")] | None = PydanticField(
        default=None, description="4-digit exit customs (出境关别); the platform's first exit port when omitted"
    )
    transport_mode: Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]$")] | None = PydanticField(
        default=None,
        description="Customs transport mode code (e.g. 2 waterway, 5 air); the platform's first when omitted",
    )


class OrderCreate(Input):
    channel: Channel
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
    stream_id: Identifier | None = None
    buyer: BuyerInput
    currency: CurrencyCode
    lines: list[OrderLineInput] = PydanticField(min_length=1, max_length=100)
    export: ExportInput | None = None


class StatusInput(Input):
    status: Literal["paid", "shipped", "cleared"]
    at: AwareDatetime | None = None


class OrderLinePublic(BaseModel):
    id: int
    sku_id: int
    product_id: int
    enterprise_id: int
    quantity: int
    unit_price: Money
    lineup_item_id: int | None
    flash_sale_id: int | None
    refund_claimed: Money = PydanticField(description="What after-sales not refused give back on this line")
    refunded: Money = PydanticField(description="What of it has been paid back")
    released_quantity: int = PydanticField(description="Units freed by refunds before shipping")
    shipped_quantity: int
    returned_quantity: int = PydanticField(description="Units returns bring back")


class BuyerPublic(BaseModel):
    id: str | None
    name: str
    country: str | None


class ExportPublic(BaseModel):
    customs_mode: str
    destination_country: str
    trade_terms: str
    waybill_no: str | None
    logistics_code: str | None
    arrival_country: str | None
    exit_port: str | None
    transport_mode: str | None


class OrderPublic(BaseModel):
    id: int
    channel: str
    external_id: str
    stream_id: int | None
    status: OrderStatus
    buyer: BuyerPublic
    currency: str
    total: Money = PydanticField(description="Of the lines the caller may see")
    lines: list[OrderLinePublic]
    export: ExportPublic | None
    placed_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    cleared_at: datetime | None
    cancelled_at: datetime | None
