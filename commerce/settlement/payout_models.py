"""What marketplaces pay out: each payout of an account, the transactions it carried, and what
reconciling them with our orders and refunds found wrong.

A payout is kept once per account by the marketplace's id, and each of its transactions once by
theirs, so a statement imported twice is one statement. Amounts are in the payout's currency:
a sale positive, a refund negative, a fee negative; a transaction's ``net`` is what it adds to the
payout.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.db import ExactDecimal, UTCDateTime, utcnow
from commerce.errors import N_
from commerce.validation import Identifier, Input, Money


class DifferenceKind(StrEnum):
    PAYOUT_SHORT = "payout_short"  # the payout pays other than its transactions add up to
    UNKNOWN_ORDER = "unknown_order"  # a sale of an order we do not have
    SALE_MISMATCH = "sale_mismatch"  # a sale of another amount than our order's
    UNKNOWN_REFUND = "unknown_refund"  # money back to a buyer we have not recorded
    REFUND_MISMATCH = "refund_mismatch"  # an order's refunds add up to other than ours
    ORDER_NEVER_PAID = "order_never_paid"  # an order of the marketplace no payout has carried


TRANSACTION_KINDS = "kind IN ('sale', 'refund', 'fee', 'adjustment')"


class MarketplacePayout(SQLModel, table=True):
    __tablename__ = "marketplace_payout"
    __table_args__ = (
        UniqueConstraint("channel_account_id", "external_id", name="marketplace_payout_once"),
        Index("marketplace_payout_of_account", "channel_account_id", "issued_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_account_id: int = Field(foreign_key="channel_account.id")
    external_id: str = Field(max_length=64)
    status: str = Field(max_length=20)  # the marketplace's own word
    paid: bool = Field(default=False)
    issued_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    currency: str = Field(max_length=3)
    net: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    # What its transactions add up to, by kind (fees: every fee, on sales or standing alone).
    sales: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    refunds: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    fees: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    adjustments: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    transactions: int = Field(default=0)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    reconciled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MarketplaceTransaction(SQLModel, table=True):
    __tablename__ = "marketplace_transaction"
    __table_args__ = (
        UniqueConstraint("channel_account_id", "external_id", name="marketplace_transaction_once"),
        CheckConstraint(TRANSACTION_KINDS, name="marketplace_transaction_kind_known"),
        CheckConstraint("net = amount + fee", name="marketplace_transaction_net_adds_up"),
        Index("marketplace_transaction_of_payout", "payout_id", "id"),
        Index("marketplace_transaction_of_order", "order_external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    payout_id: int = Field(foreign_key="marketplace_payout.id")
    channel_account_id: int = Field(foreign_key="channel_account.id")
    external_id: str = Field(max_length=64)
    kind: str = Field(max_length=12)
    # The order as the marketplace names it, and ours once matched.
    order_external_id: str | None = Field(default=None, max_length=128)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    amount: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    fee: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    net: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class PayoutDifference(SQLModel, table=True):
    """Something a payout and our records disagree on; found again at every reconciliation."""

    __tablename__ = "payout_difference"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('payout_short', 'unknown_order', 'sale_mismatch', 'unknown_refund', 'refund_mismatch', "
            "'order_never_paid')",
            name="payout_difference_kind_known",
        ),
        Index("payout_difference_of_account", "channel_account_id", "kind"),
        Index("payout_difference_of_payout", "payout_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_account_id: int = Field(foreign_key="channel_account.id")
    payout_id: int | None = Field(default=None, foreign_key="marketplace_payout.id")
    kind: str = Field(max_length=20)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    order_external_id: str | None = Field(default=None, max_length=128)
    currency: str = Field(max_length=3)
    # What our records say, and what the marketplace's do.
    expected: Decimal | None = Field(default=None, sa_type=ExactDecimal(4))
    actual: Decimal | None = Field(default=None, sa_type=ExactDecimal(4))
    found_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# How far back an import may read: two years of payouts.
IMPORT_REACH_DAYS = 730


class PayoutImport(Input):
    channel_account_id: Identifier
    since: date | None = PydanticField(
        default=None, description="Payouts issued on or after this day, at most two years ago; by default 90 days"
    )

    @field_validator("since")
    @classmethod
    def _within_reach(cls, value: date | None) -> date | None:
        today = datetime.now(UTC).date()
        if value is not None and not today - timedelta(days=IMPORT_REACH_DAYS) <= value <= today:
            raise ValueError(N_("Give a day of the last two years, today at the latest."))
        return value


class PayoutPublic(BaseModel):
    id: int
    channel_account_id: int
    external_id: str
    status: str
    paid: bool
    issued_at: datetime
    net: Money
    sales: Money
    refunds: Money
    fees: Money
    adjustments: Money
    transactions: int
    differences: int
    reconciled_at: datetime | None


class TransactionPublic(BaseModel):
    id: int
    external_id: str
    kind: str
    order_external_id: str | None
    order_id: int | None
    amount: Money
    fee: Money
    net: Money
    occurred_at: datetime


class DifferencePublic(BaseModel):
    id: int
    channel_account_id: int
    payout_id: int | None
    kind: DifferenceKind
    order_id: int | None
    order_external_id: str | None
    expected: Money | None
    actual: Money | None
    found_at: datetime
