"""Export customs: the local platform's configuration, batches, declarations, their lines and messages.

An inventory list of mode 9610 (one parcel's CEB603) is stored as a declaration of kind
``inventory_list``; the monthly summary and the full declarations of the other modes are of kind
``declaration``. Both share the header and lines customs asks for."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from commerce.customs.calendar import PERIOD_PATTERN
from commerce.customs.codes import n19_5
from commerce.db import ExactDecimal, UTCDateTime, utcnow


class BatchKind(StrEnum):
    INVENTORY = "inventory"  # 9610: one inventory list per parcel
    SUMMARY = "summary"  # 9610: the month's cleared lists merged into declarations
    DECLARATION = "declaration"  # 9710, 9810, 0110, 1039: full declarations of the bundled orders


class DeclarationKind(StrEnum):
    INVENTORY_LIST = "inventory_list"
    DECLARATION = "declaration"


class CustomsStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CLEARED = "cleared"
    # An inventory list customs cancelled at the platform's request (CEB605) before the goods left.
    CANCELLED = "cancelled"


STATUS_CHECK = "status IN ('draft', 'submitted', 'accepted', 'rejected', 'cleared', 'cancelled')"


class CancellationStatus(StrEnum):
    REQUESTED = "requested"
    CANCELLED = "cancelled"
    REFUSED = "refused"


class CustomsPlatform(SQLModel, table=True):
    """The cluster's foreign-trade service platform as customs knows it: the consignor of every declaration."""

    __tablename__ = "customs_platform"
    __table_args__ = (
        UniqueConstraint("cluster_id", name="customs_platform_one_per_cluster"),
        CheckConstraint("line_limit BETWEEN 1 AND 999", name="customs_platform_line_limit_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster_id: int = Field(foreign_key="cluster.id")
    enterprise_id: int = Field(foreign_key="enterprise.id")
    customs_registration: str = Field(max_length=18)
    declaring_customs: str = Field(max_length=4)
    exit_ports: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    transport_modes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ebp_code: str | None = Field(default=None, max_length=18)
    ebp_name: str | None = Field(default=None, max_length=200)
    dxp_id: str = Field(max_length=30)
    # What a parcel's payment receipt and inventory list name when the order does not: the payment
    # firm that collected the money (CEB403 payCode, payName), the port of destination (CEB603
    # POD) and the kind of packing (CEB603 wrapType, customs' code; 2 is a carton).
    payment_code: str | None = Field(default=None, max_length=18)
    payment_name: str | None = Field(default=None, max_length=100)
    destination_port: str | None = Field(default=None, max_length=4)
    wrap_type: str = Field(default="2", max_length=1)
    line_limit: int = Field(default=50)
    procurement_cap_usd: Decimal = Field(default=Decimal("150000"), sa_type=ExactDecimal(2), nullable=False)
    simplified_limit_cny: Decimal = Field(default=Decimal("5000"), sa_type=ExactDecimal(2), nullable=False)
    licensed_hs_prefixes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    holidays: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    working_weekend_days: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Numbers the lists in the order their clearance was recorded; summaries take ranges of it.
    clearance_counter: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CustomsExchangeRate(SQLModel, table=True):
    """Customs' monthly rate of a currency, in CNY for one unit, in force from a day."""

    __tablename__ = "customs_exchange_rate"
    __table_args__ = (CheckConstraint("cny_per_unit > 0", name="customs_exchange_rate_positive"),)

    currency: str = Field(primary_key=True, max_length=3)
    valid_from: date = Field(primary_key=True)
    cny_per_unit: Decimal = Field(sa_type=ExactDecimal(6), nullable=False)
    # manual (entered), import (from a file) or central_parity (the parity of ``parity_day``).
    source: str = Field(default="manual", max_length=20, sa_column_kwargs={"server_default": "manual"})
    parity_day: date | None = None


class CustomsBatch(SQLModel, table=True):
    __tablename__ = "customs_batch"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="customs_batch_status_known"),
        CheckConstraint("kind IN ('inventory', 'summary', 'declaration')", name="customs_batch_kind_known"),
        # One current summary per stretch of a month's cleared lists: two cannot take the same lists.
        Index(
            "customs_batch_summary_range_once",
            "platform_id",
            "period",
            "from_clearance",
            unique=True,
            sqlite_where=text("kind = 'summary' AND superseded_by_id IS NULL"),
            postgresql_where=text("kind = 'summary' AND superseded_by_id IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(foreign_key="customs_platform.id", index=True)
    customs_mode: str = Field(max_length=4)
    kind: str = Field(max_length=12)
    period: str | None = Field(default=None, max_length=7)
    status: str = Field(default=CustomsStatus.DRAFT, max_length=10)
    version: int = Field(default=1)
    previous_id: int | None = Field(default=None, foreign_key="customs_batch.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="customs_batch.id")
    from_clearance: int | None = None
    to_clearance: int | None = None
    due_date: date | None = None
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CustomsBatchOrder(SQLModel, table=True):
    """The batch that holds an export order: an order is in one batch at a time, by the primary key."""

    __tablename__ = "customs_batch_order"

    order_id: int = Field(foreign_key="sales_order.id", primary_key=True)
    batch_id: int = Field(foreign_key="customs_batch.id", index=True)


class CustomsDeclaration(SQLModel, table=True):
    __tablename__ = "customs_declaration"
    __table_args__ = (
        CheckConstraint(STATUS_CHECK, name="customs_declaration_status_known"),
        CheckConstraint("kind IN ('inventory_list', 'declaration')", name="customs_declaration_kind_known"),
        UniqueConstraint("batch_id", "seq_no", name="customs_declaration_seq_unique"),
        UniqueConstraint("cop_no", name="customs_declaration_cop_no_unique"),
        Index("customs_declaration_cleared_lists", "platform_id", "cleared_period", "clearance_no"),
        Index("customs_declaration_of_owner", "owner_enterprise_id"),
        Index("customs_declaration_of_order", "order_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="customs_batch.id")
    platform_id: int = Field(foreign_key="customs_platform.id")
    kind: str = Field(max_length=16)
    seq_no: int
    cop_no: str = Field(max_length=40)
    customs_mode: str = Field(max_length=4)
    status: str = Field(default=CustomsStatus.DRAFT, max_length=10)
    entry_id: str | None = Field(default=None, max_length=40)
    # The summary application's number customs gave in its receipt (CEB702 sumNo); its result
    # (CEB792) names the summary by it alone.
    sum_no: str | None = Field(default=None, max_length=18, index=True)
    customs_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    consignor_code: str = Field(max_length=18)
    consignor_name: str = Field(max_length=200)
    declaring_customs: str = Field(max_length=4)
    exit_port: str = Field(max_length=4)
    traf_mode: str = Field(max_length=2)
    owner_enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    owner_code: str = Field(max_length=18)
    owner_name: str = Field(max_length=200)
    arrival_country: str = Field(max_length=2)
    source_region: str = Field(max_length=5)
    trade_terms: str = Field(default="FOB", max_length=3)
    order_id: int | None = Field(default=None, foreign_key="sales_order.id")
    order_no: str | None = Field(default=None, max_length=128)
    logistics_code: str | None = Field(default=None, max_length=64)
    logistics_no: str | None = Field(default=None, max_length=64)
    # At customs' monthly rate; set where a rule needs it (1039 value cap, 9710/9810 simplified list).
    value_cny: Decimal | None = Field(default=None, sa_type=ExactDecimal(4))
    value_usd: Decimal | None = Field(default=None, sa_type=ExactDecimal(4))
    gross_weight_kg: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(3), nullable=False)
    simplified_eligible: bool = Field(default=False)
    rebate_eligible: bool = Field(default=True)
    clearance_no: int | None = None
    cleared_period: str | None = Field(default=None, max_length=7)
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cleared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CustomsDeclarationLine(SQLModel, table=True):
    __tablename__ = "customs_declaration_line"
    __table_args__ = (
        UniqueConstraint("declaration_id", "line_no", name="customs_line_number_unique"),
        Index("customs_line_of_order_line", "order_line_id"),
        CheckConstraint(
            "returned_quantity >= 0 AND returned_quantity <= quantity", name="customs_line_return_within_exported"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="customs_declaration.id")
    line_no: int
    hs_code: str = Field(max_length=10)
    item_no: str | None = Field(default=None, max_length=64)
    bar_code: str | None = Field(default=None, max_length=32)
    goods_name: str = Field(max_length=200)
    goods_model: str = Field(default="", sa_column=Column(Text, nullable=False))
    destination_country: str = Field(max_length=2)
    currency: str = Field(max_length=3)
    unit: str = Field(max_length=20)
    legal_unit: str = Field(max_length=20)
    second_legal_unit: str | None = Field(default=None, max_length=20)
    quantity: Decimal = Field(sa_type=ExactDecimal(5), nullable=False)
    legal_quantity: Decimal = Field(sa_type=ExactDecimal(5), nullable=False)
    second_legal_quantity: Decimal | None = Field(default=None, sa_type=ExactDecimal(5))
    total_price: Decimal = Field(sa_type=ExactDecimal(5), nullable=False)
    # What the line's goods weigh; a declaration's gross weight is the sum of its lines'.
    gross_weight_kg: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(3), nullable=False)
    # Set on an inventory list's line: the order line it declares.
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id")
    # Set on a market-procurement line that groups the goods of one tariff chapter beyond the top five.
    chapter_group: str | None = Field(default=None, max_length=2)
    # What of the line's quantity came back under the export return regime (``ExportReturn``).
    returned_quantity: Decimal = Field(
        default=Decimal(0), sa_type=ExactDecimal(5), nullable=False, sa_column_kwargs={"server_default": "0"}
    )


class CustomsLineSource(SQLModel, table=True):
    """Which order lines a full declaration's line is made of (and so which orders and firms)."""

    __tablename__ = "customs_line_source"
    __table_args__ = (Index("customs_line_source_of_order_line", "order_line_id"),)

    declaration_line_id: int = Field(foreign_key="customs_declaration_line.id", primary_key=True)
    order_line_id: int = Field(foreign_key="order_line.id", primary_key=True)
    quantity: int


class CustomsMessage(SQLModel, table=True):
    """A message as built for customs; what is submitted is exactly what is stored here."""

    __tablename__ = "customs_message"
    __table_args__ = (
        UniqueConstraint("declaration_id", "kind", name="customs_message_kind_once"),
        UniqueConstraint("guid", name="customs_message_guid_unique"),
    )

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="customs_declaration.id")
    kind: str = Field(max_length=10)
    guid: str = Field(max_length=36)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExportReturn(SQLModel, table=True):
    """Goods of a cleared declaration line that came back after release, under customs' export
    return regime (announcement 2020 No. 44: within a year of export, in their original state)."""

    __tablename__ = "export_return"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="export_return_quantity_positive"),
        Index("export_return_of_line", "declaration_line_id"),
        Index("export_return_of_firm", "enterprise_id", "returned_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="customs_declaration.id")
    declaration_line_id: int = Field(foreign_key="customs_declaration_line.id")
    # The firm whose goods they are: the declaration's owner (none for a declaration of several firms).
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id")
    quantity: Decimal = Field(sa_type=ExactDecimal(5), nullable=False)
    returned_on: date
    # The return's own customs entry number (its import declaration), as customs gave it.
    reference: str = Field(max_length=40)
    reason: str = Field(max_length=500)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ListCancellation(SQLModel, table=True):
    """The platform's request that customs cancel a 9610 inventory list before the goods leave
    (CEB605), the message as sent, and customs' answer (CEB606): cancelled, or refused with its reason.

    One request at a time per list; a refused one may be followed by another."""

    __tablename__ = "customs_list_cancellation"
    __table_args__ = (
        CheckConstraint("status IN ('requested', 'cancelled', 'refused')", name="customs_list_cancellation_status"),
        UniqueConstraint("guid", name="customs_list_cancellation_guid_unique"),
        Index(
            "customs_list_cancellation_one_open",
            "declaration_id",
            unique=True,
            sqlite_where=text("status IN ('requested', 'cancelled')"),
            postgresql_where=text("status IN ('requested', 'cancelled')"),
        ),
        Index("customs_list_cancellation_open", "status", "platform_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    declaration_id: int = Field(foreign_key="customs_declaration.id")
    platform_id: int = Field(foreign_key="customs_platform.id")
    reason: str = Field(max_length=1000)
    status: str = Field(default=CancellationStatus.REQUESTED, max_length=10)
    guid: str = Field(max_length=36)
    body: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: int | None = Field(default=None, foreign_key="user_account.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    customs_note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class CustomsReceipt(SQLModel, table=True):
    """A customs result as received, once: from the gateway (by its receipt id) or through the API."""

    __tablename__ = "customs_receipt"
    __table_args__ = (
        UniqueConstraint("receipt_key", name="customs_receipt_once"),
        Index("customs_receipt_of_declaration", "declaration_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    receipt_key: str = Field(max_length=80)
    declaration_id: int = Field(foreign_key="customs_declaration.id")
    status: str = Field(max_length=10)
    entry_id: str | None = Field(default=None, max_length=40)
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    source: str = Field(max_length=10)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


PortCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]


TransportMode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]$")]


Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


# Figures customs sends back to us as they are: up to five decimals (N19,5), shown as exact text.
Figure = Annotated[
    Decimal,
    PlainSerializer(lambda value: n19_5(value), return_type=str),
    WithJsonSchema({"type": "string", "description": "an exact decimal (N19,5), as text"}),
]
