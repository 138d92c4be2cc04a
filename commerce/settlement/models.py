"""Settlement (结算): the agreements that split a sale, and each firm's statement of a month.

An agreement takes a share of what a firm sells: the host's (or agency's) commission on what
the host's streams sell, and the platform's service fee on what a firm sells; each has the
days it is valid. A statement is one firm's month in one currency: its sales, refunds,
marketplace fees, host commission and platform fee, and what is payable to the firm; each line
names the order line or after-sale it comes from, and each source is settled once.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from commerce.customs.calendar import PERIOD_PATTERN
from commerce.db import ExactDecimal, UTCDateTime, utcnow
from commerce.errors import N_
from commerce.validation import DecimalText, Identifier, Input, Money


class AgreementKind(StrEnum):
    HOST_COMMISSION = "host_commission"
    PLATFORM_FEE = "platform_fee"


class StatementStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"


class LineKind(StrEnum):
    SALE = "sale"
    REFUND = "refund"
    MARKETPLACE_FEE = "marketplace_fee"


class Agreement(SQLModel, table=True):
    """A share of a firm's sales: a host's commission (on the host's streams, or one stream, or one
    product in the host's streams) or the platform's fee on one firm; valid from one day to another."""

    __tablename__ = "settlement_agreement"
    __table_args__ = (
        CheckConstraint("kind IN ('host_commission', 'platform_fee')", name="agreement_kind_known"),
        CheckConstraint("rate >= 0", name="agreement_rate_not_negative"),
        CheckConstraint(
            "(kind = 'host_commission' AND host_user_id IS NOT NULL AND enterprise_id IS NULL "
            "AND (stream_id IS NULL OR product_id IS NULL)) "
            "OR (kind = 'platform_fee' AND enterprise_id IS NOT NULL AND host_user_id IS NULL "
            "AND stream_id IS NULL AND product_id IS NULL)",
            name="agreement_parties_of_kind",
        ),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="agreement_dates_in_order"),
        Index("agreement_of_cluster", "cluster_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id")
    kind: str = Field(max_length=20)
    host_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    stream_id: int | None = Field(default=None, foreign_key="stream.id")
    product_id: int | None = Field(default=None, foreign_key="product.id")
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    rate: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    valid_from: date
    valid_to: date | None = None
    note: str = Field(default="", max_length=500)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Statement(SQLModel, table=True):
    """One firm's month in one currency: the sums of its lines, and where it stands."""

    __tablename__ = "settlement_statement"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "period", "currency", name="statement_once_per_period"),
        CheckConstraint("status IN ('draft', 'approved', 'paid')", name="statement_status_known"),
        CheckConstraint(
            "net_payable = gross + refunds + marketplace_fees + host_commission + platform_fee",
            name="statement_adds_up",
        ),
        Index("statement_of_period", "period", "enterprise_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    period: str = Field(max_length=7)
    currency: str = Field(max_length=3)
    status: str = Field(default=StatementStatus.DRAFT, max_length=10)
    gross: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    refunds: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    marketplace_fees: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    host_commission: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    platform_fee: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    net_payable: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    approved_by: int | None = Field(default=None, foreign_key="user_account.id")
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paid_on: date | None = None
    payment_reference: str | None = Field(default=None, max_length=60)


class StatementLine(SQLModel, table=True):
    """One source of a statement: an order line's sale or a refund on it, with the host's
    commission and the platform's fee on it (negative: taken from the firm) and what it leaves
    the firm; a source is settled once, whatever the statement."""

    __tablename__ = "settlement_line"
    __table_args__ = (
        UniqueConstraint("kind", "order_line_id", "after_sale_id", name="settlement_line_once"),
        CheckConstraint(
            "(kind IN ('sale', 'marketplace_fee') AND after_sale_id = 0) OR (kind = 'refund' AND after_sale_id > 0)",
            name="settlement_line_source_of_kind",
        ),
        CheckConstraint(
            "(host_agreement_id IS NULL) = (host_rate IS NULL) AND (host_rate IS NOT NULL OR host_commission = 0) "
            "AND (platform_agreement_id IS NULL) = (platform_rate IS NULL) "
            "AND (platform_rate IS NOT NULL OR platform_fee = 0)",
            name="settlement_line_share_of_agreement",
        ),
        CheckConstraint("net = amount + host_commission + platform_fee", name="settlement_line_net_adds_up"),
        Index("settlement_line_of_statement", "statement_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="settlement_statement.id")
    kind: str = Field(max_length=20)
    order_id: int = Field(foreign_key="sales_order.id")
    order_line_id: int = Field(foreign_key="order_line.id")
    # A refund's line names the after-sale; a sale's line has none (0 keeps the key unique).
    after_sale_id: int = Field(default=0)
    stream_id: int | None = Field(default=None, foreign_key="stream.id")
    # The sale's value, or minus the money refunded.
    amount: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    host_agreement_id: int | None = Field(default=None, foreign_key="settlement_agreement.id")
    host_rate: Decimal | None = Field(default=None, sa_type=ExactDecimal(4))
    host_commission: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    platform_agreement_id: int | None = Field(default=None, foreign_key="settlement_agreement.id")
    platform_rate: Decimal | None = Field(default=None, sa_type=ExactDecimal(4))
    platform_fee: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal(4), nullable=False)
    net: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)


Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


class AgreementCreate(Input):
    kind: AgreementKind
    cluster_id: Identifier
    host_user_id: Identifier | None = None
    stream_id: Identifier | None = None
    product_id: Identifier | None = None
    enterprise_id: Identifier | None = None
    rate: DecimalText = PydanticField(description="A fraction: 0.15 is 15% of the sales it applies to")
    valid_from: date
    valid_to: date | None = PydanticField(default=None, description="The last day it applies; open-ended when omitted")
    note: Annotated[str, StringConstraints(max_length=500)] = ""

    @model_validator(mode="after")
    def _parties(self) -> AgreementCreate:
        if self.kind == AgreementKind.HOST_COMMISSION:
            if self.host_user_id is None or self.enterprise_id is not None:
                raise ValueError(N_("A host's commission names the host, and no firm."))
            if self.stream_id is not None and self.product_id is not None:
                raise ValueError(N_("A commission applies to one stream or to one product, not both."))
        elif self.enterprise_id is None or self.host_user_id or self.stream_id or self.product_id:
            raise ValueError(N_("A platform fee names the firm it is taken from, and nothing else."))
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(N_("An agreement cannot end before it starts."))
        if not 0 <= self.rate < 1:
            raise ValueError(N_("A rate is a fraction from 0 up to, not including, 1."))
        return self


class AgreementEnd(Input):
    valid_to: date = PydanticField(description="The last day the agreement applies")


class AgreementPublic(BaseModel):
    id: int
    kind: AgreementKind
    cluster_id: int
    host_user_id: int | None
    stream_id: int | None
    product_id: int | None
    enterprise_id: int | None
    rate: DecimalText
    valid_from: date
    valid_to: date | None
    note: str
    created_at: datetime


class StatementCompute(Input):
    period: Period = PydanticField(description="The month, YYYY-MM (China time), ended or not")
    enterprise_id: Identifier | None = PydanticField(
        default=None, description="One firm; every firm reached when omitted"
    )


class PaymentInput(Input):
    paid_on: date
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class StatementPublic(BaseModel):
    id: int
    enterprise_id: int
    period: str
    currency: str
    status: StatementStatus
    gross: Money = PydanticField(description="Sales shipped")
    refunds: Money = PydanticField(description="Refunds paid back (negative)")
    marketplace_fees: Money = PydanticField(description="Fees the marketplaces kept (negative)")
    host_commission: Money = PydanticField(description="The hosts' commission (negative)")
    platform_fee: Money = PydanticField(description="The platform's service fee (negative)")
    net_payable: Money = PydanticField(description="What is owed to the firm: the sum of every line")
    lines: int = PydanticField(description="How many lines it has")
    computed_at: datetime
    approved_at: datetime | None
    paid_on: date | None
    payment_reference: str | None


class StatementLinePublic(BaseModel):
    id: int
    kind: LineKind
    order_id: int
    channel: str = PydanticField(description="The order's channel")
    external_id: str = PydanticField(description="The order's number in its channel")
    order_line_id: int
    after_sale_id: int | None
    stream_id: int | None
    amount: Money = PydanticField(description="The sale's value, or the money refunded (negative)")
    host_agreement_id: int | None
    host_rate: DecimalText | None
    host_commission: Money = PydanticField(description="Taken from a sale (negative), given back on a refund")
    platform_agreement_id: int | None
    platform_rate: DecimalText | None
    platform_fee: Money = PydanticField(description="Taken from a sale (negative), given back on a refund")
    net: Money = PydanticField(description="What the line leaves the firm")
    at: datetime


class HostCommissionPublic(BaseModel):
    host_user_id: int
    stream_id: int
    stream_title: str
    currency: str
    sales: Money = PydanticField(description="What the stream's lines with a commission sold, less refunds")
    commission: Money = PydanticField(description="What the host is owed: taken from sales, less refunds' part")
    settled: Money = PydanticField(description="Of the commission, what approved or paid statements hold")


class CommissionList(BaseModel):
    period: str
    items: list[HostCommissionPublic]


class PlatformAccountPublic(BaseModel):
    currency: str
    collected: Money = PydanticField(description="What buyers paid: sales less refunds")
    marketplace_fees: Money = PydanticField(description="What the marketplaces kept (negative)")
    paid_to_firms: Money = PydanticField(description="Net payable of the statements paid")
    owed_to_firms: Money = PydanticField(description="Net payable of the statements not paid yet")
    owed_to_hosts: Money = PydanticField(description="The hosts' commission")
    platform_fee: Money = PydanticField(description="The platform's own fee")
    held: Money = PydanticField(description="What the platform holds: owed to firms and hosts, and its fee")


class PlatformAccountList(BaseModel):
    period: str
    items: list[PlatformAccountPublic]
