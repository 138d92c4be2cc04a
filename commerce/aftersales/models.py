"""After-sales (售后): a buyer's refund or return on one order line, and the API shapes.

Three kinds: a refund before shipping frees the line's reserved units (``refund_only``), a
return brings shipped units back and refunds them (``return_and_refund``), a partial refund
gives money back on the line and nothing else (``partial_refund``, a price adjustment).

Each goes ``requested -> approved -> refunded``, a return through ``received`` and
``inspected`` between approval and refund; a request may be ``refused`` with a reason. What the
after-sales of a line may add up to is bounded by the line's own constraints
(``orders.models.OrderLine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.db import ExactDecimal, UTCDateTime, utcnow
from commerce.errors import N_
from commerce.validation import DecimalText, Identifier, Input, Money


class AfterSaleKind(StrEnum):
    REFUND_ONLY = "refund_only"
    RETURN_AND_REFUND = "return_and_refund"
    PARTIAL_REFUND = "partial_refund"


class AfterSaleStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class Step:
    """A step of an after-sale: the status it starts from for each kind that takes it, the status
    it leads to and the time it records."""

    starts_from: dict[AfterSaleKind, AfterSaleStatus]
    leads_to: AfterSaleStatus
    stamps: str


STEPS: dict[str, Step] = {
    "approve": Step(dict.fromkeys(AfterSaleKind, AfterSaleStatus.REQUESTED), AfterSaleStatus.APPROVED, "decided_at"),
    "refuse": Step(dict.fromkeys(AfterSaleKind, AfterSaleStatus.REQUESTED), AfterSaleStatus.REFUSED, "decided_at"),
    "receive": Step(
        {AfterSaleKind.RETURN_AND_REFUND: AfterSaleStatus.APPROVED}, AfterSaleStatus.RECEIVED, "received_at"
    ),
    "inspect": Step(
        {AfterSaleKind.RETURN_AND_REFUND: AfterSaleStatus.RECEIVED}, AfterSaleStatus.INSPECTED, "inspected_at"
    ),
    "refund": Step(
        {
            AfterSaleKind.REFUND_ONLY: AfterSaleStatus.APPROVED,
            AfterSaleKind.PARTIAL_REFUND: AfterSaleStatus.APPROVED,
            AfterSaleKind.RETURN_AND_REFUND: AfterSaleStatus.INSPECTED,
        },
        AfterSaleStatus.REFUNDED,
        "refunded_at",
    ),
}


class AfterSale(SQLModel, table=True):
    __tablename__ = "after_sale"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="after_sale_once_per_channel"),
        CheckConstraint("kind IN ('refund_only', 'return_and_refund', 'partial_refund')", name="after_sale_kind_known"),
        CheckConstraint(
            "status IN ('requested', 'approved', 'refused', 'received', 'inspected', 'refunded')",
            name="after_sale_status_known",
        ),
        CheckConstraint(
            "(kind = 'partial_refund' AND quantity = 0) OR (kind <> 'partial_refund' AND quantity > 0)",
            name="after_sale_quantity_of_kind",
        ),
        CheckConstraint("amount >= 0", name="after_sale_amount_not_negative"),
        CheckConstraint(
            "restocked_quantity >= 0 AND written_off_quantity >= 0 "
            "AND restocked_quantity + written_off_quantity IN (0, quantity)",
            name="after_sale_inspection_whole",
        ),
        Index("after_sale_of_order", "order_id"),
        Index("after_sale_of_firm", "enterprise_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id")
    order_line_id: int = Field(foreign_key="order_line.id")
    sku_id: int = Field(foreign_key="sku.id")
    # The firm whose line it is: who decides, and whose statement it lands on.
    enterprise_id: int = Field(foreign_key="enterprise.id")
    # Where the request came from (the order's channel) and its id there, if it has one.
    channel: str = Field(max_length=32)
    external_id: str | None = Field(default=None, max_length=128)
    kind: str = Field(max_length=20)
    status: str = Field(default=AfterSaleStatus.REQUESTED, max_length=12)
    quantity: int = Field(default=0)
    amount: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    currency: str = Field(max_length=3)
    reason: str = Field(default="", max_length=500)
    refusal_reason: str | None = Field(default=None, max_length=500)
    restocked_quantity: int = Field(default=0)
    written_off_quantity: int = Field(default=0)
    requested_by: int | None = Field(default=None, foreign_key="user_account.id")
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    inspected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refunded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the marketplace paid the buyer back itself (a return refunded there before the firm
    # inspected it here): the firm's inspection then records the refund.
    channel_refunded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class AfterSaleCreate(Input):
    order_id: Identifier
    order_line_id: Identifier
    kind: AfterSaleKind
    quantity: int = PydanticField(
        default=0, ge=0, le=100_000, description="Units refunded or returned; 0 for a partial refund"
    )
    amount: DecimalText | None = PydanticField(
        default=None,
        description="In the order's currency; a refund or a return gives back the units' price when omitted, "
        "a partial refund must give it",
    )
    reason: Reason
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] | None = (
        PydanticField(default=None, description="The request's id on its channel: the same id again is one request")
    )

    @model_validator(mode="after")
    def _quantity_of_kind(self) -> AfterSaleCreate:
        if self.kind == AfterSaleKind.PARTIAL_REFUND:
            if self.quantity:
                raise ValueError(N_("A partial refund takes no quantity; give its amount."))
            if self.amount is None:
                raise ValueError(N_("Give the amount of a partial refund."))
        elif self.quantity < 1:
            raise ValueError(N_("Give the number of units refunded or returned."))
        return self


class RefusalInput(Input):
    reason: Reason


class InspectionInput(Input):
    restocked: int = PydanticField(ge=0, le=100_000, description="Units back in sellable stock")
    written_off: int = PydanticField(ge=0, le=100_000, description="Units that cannot be sold again")


class AfterSalePublic(BaseModel):
    id: int
    order_id: int
    order_line_id: int
    sku_id: int
    enterprise_id: int
    channel: str
    external_id: str | None
    kind: AfterSaleKind
    status: AfterSaleStatus
    quantity: int
    amount: Money
    reason: str
    refusal_reason: str | None
    restocked_quantity: int
    written_off_quantity: int
    requested_at: datetime
    decided_at: datetime | None
    received_at: datetime | None
    inspected_at: datetime | None
    refunded_at: datetime | None
    channel_refunded_at: datetime | None = PydanticField(
        description="When the marketplace paid the buyer back, where it did so before the firm's inspection"
    )

    @classmethod
    def of(cls, after_sale: AfterSale) -> AfterSalePublic:
        values = after_sale.model_dump()
        values["amount"] = Money.of(after_sale.amount, after_sale.currency)
        return cls.model_validate(values)


def default_amount(kind: AfterSaleKind, quantity: int, unit_price: Decimal) -> Decimal | None:
    """What a refund or a return gives back when the request names no amount: its units' price."""
    return None if kind == AfterSaleKind.PARTIAL_REFUND else unit_price * quantity
