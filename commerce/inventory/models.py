"""Stock levels per SKU and the ledger of every movement."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from commerce.db import UTCDateTime, utcnow
from commerce.validation import Input


class MovementKind(StrEnum):
    INITIAL = "initial"
    ADJUSTMENT = "adjustment"
    IMPORT = "import"
    ORDER_PLACED = "order_placed"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_SHIPPED = "order_shipped"
    STREAM_ALLOCATED = "stream_allocated"
    STREAM_RELEASED = "stream_released"
    AFTER_SALE_RELEASED = "after_sale_released"
    RETURN_RESTOCKED = "return_restocked"
    RETURN_WRITTEN_OFF = "return_written_off"


class StockLevel(SQLModel, table=True):
    """On hand, reserved by open orders, allocated to streams, and what is left to sell."""

    __tablename__ = "stock_level"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="stock_on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="stock_reserved_not_negative"),
        CheckConstraint("allocated >= 0", name="stock_allocated_not_negative"),
        CheckConstraint("available >= 0", name="stock_available_not_negative"),
        CheckConstraint("available = on_hand - reserved - allocated", name="stock_available_consistent"),
    )

    sku_id: int = Field(foreign_key="sku.id", primary_key=True)
    on_hand: int = Field(default=0)
    reserved: int = Field(default=0)
    allocated: int = Field(default=0)
    available: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class StockMovement(SQLModel, table=True):
    """One change of a stock level, with its reason and what caused it."""

    __tablename__ = "stock_movement"
    __table_args__ = (Index("stock_movement_sku", "sku_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    sku_id: int = Field(foreign_key="sku.id")
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    kind: str = Field(max_length=20)
    on_hand_delta: int = Field(default=0)
    reserved_delta: int = Field(default=0)
    allocated_delta: int = Field(default=0)
    reason: str = Field(default="", max_length=500)
    reference: str | None = Field(default=None, max_length=120)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id")


class StreamAllocation(SQLModel, table=True):
    """Units of one SKU ring-fenced for one lineup item of a stream, and how many of them were sold."""

    __tablename__ = "stream_allocation"
    __table_args__ = (
        CheckConstraint("remaining >= 0", name="stream_allocation_remaining_not_negative"),
        CheckConstraint("sold >= 0", name="stream_allocation_sold_not_negative"),
        Index("stream_allocation_of_stream", "stream_id"),
    )

    lineup_item_id: int = Field(foreign_key="lineup_item.id", primary_key=True)
    sku_id: int = Field(foreign_key="sku.id", primary_key=True)
    stream_id: int = Field(foreign_key="stream.id")
    remaining: int = Field(default=0)
    sold: int = Field(default=0)


class StockPublic(BaseModel):
    on_hand: int
    reserved: int
    allocated: int
    available: int


class StockAdjustment(Input):
    delta: int = PydanticField(ge=-10_000_000, le=10_000_000)
    reason: str = PydanticField(min_length=1, max_length=500)


class StockMovementPublic(BaseModel):
    id: int
    sku_id: int
    at: datetime
    kind: str
    on_hand_delta: int
    reserved_delta: int
    allocated_delta: int
    reason: str
    reference: str | None
    actor_user_id: int | None
