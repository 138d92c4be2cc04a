"""Export VAT rebates: the dated rate table, central parity rates, firms' rebate settings, invoices and
their matches to declaration lines, export proceeds, period VAT figures, claims and refunds received.

Amounts on the rebate side are CNY. Rates are fractions (``0.13`` for 13%)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from commerce.db import ExactDecimal, UTCDateTime, utcnow


class RebateMethod(StrEnum):
    PURCHASE = "purchase"  # trading firm, exempt-and-refund: purchase invoice amount x rate
    EXEMPT_CREDIT_REFUND = "exempt_credit_refund"  # manufacturer filing itself: FOB x rate, offset first
    AGENCY = "agency"  # manufacturer exporting through the platform, which claims on its agency invoice


class FxBasis(StrEnum):
    SALE_DATE = "sale_date"
    MONTH_START = "month_start"


class InvoiceKind(StrEnum):
    PURCHASE = "purchase"
    REBATE_AGENCY = "rebate_agency"


class ClaimStatus(StrEnum):
    DRAFT = "draft"
    FILED = "filed"
    REFUNDED = "refunded"


class RateSource(StrEnum):
    CFETS = "cfets"  # fetched from the interbank market's published central parity
    IMPORT = "import"  # loaded from a file
    MANUAL = "manual"  # entered through the API
    CENTRAL_PARITY = "central_parity"  # a customs month's rate taken from a day's central parity


class RebateRate(SQLModel, table=True):
    """The rebate rate of a 10-digit HS code from a day on, as announced; the rate on the export date applies."""

    __tablename__ = "rebate_rate"
    __table_args__ = (CheckConstraint("rate >= 0 AND rate <= vat_rate", name="rebate_rate_within_vat"),)

    hs_code: str = Field(primary_key=True, max_length=10)
    valid_from: date = Field(primary_key=True)
    rate: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    vat_rate: Decimal = Field(default=Decimal("0.13"), sa_type=ExactDecimal(4), nullable=False)
    announcement: str | None = Field(default=None, max_length=120)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class CentralParityRate(SQLModel, table=True):
    """The central parity of a currency on a day (CNY for one unit), with where it came from."""

    __tablename__ = "central_parity_rate"
    __table_args__ = (CheckConstraint("cny_per_unit > 0", name="central_parity_rate_positive"),)

    currency: str = Field(primary_key=True, max_length=3)
    day: date = Field(primary_key=True)
    cny_per_unit: Decimal = Field(sa_type=ExactDecimal(6), nullable=False)
    source: str = Field(max_length=20)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RebateProfile(SQLModel, table=True):
    """A firm's rebate settings: how its rebates are claimed, which day's rate converts its FOB, where refunds go."""

    __tablename__ = "rebate_profile"
    __table_args__ = (
        CheckConstraint("method IN ('purchase', 'exempt_credit_refund', 'agency')", name="rebate_profile_method_known"),
        CheckConstraint("fx_basis IN ('sale_date', 'month_start')", name="rebate_profile_fx_basis_known"),
    )

    enterprise_id: int = Field(foreign_key="enterprise.id", primary_key=True)
    method: str = Field(max_length=24)
    fx_basis: str = Field(default=FxBasis.SALE_DATE, max_length=12)
    account_bank: str | None = Field(default=None, max_length=120)
    account_no: str | None = Field(default=None, max_length=40)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class VatInvoice(SQLModel, table=True):
    """A special VAT invoice behind a firm's exports: bought in (trading firm) or issued to the platform (agency)."""

    __tablename__ = "vat_invoice"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "number", name="vat_invoice_number_once"),
        CheckConstraint("kind IN ('purchase', 'rebate_agency')", name="vat_invoice_kind_known"),
        CheckConstraint("amount_excl_vat > 0 AND vat_amount >= 0", name="vat_invoice_amounts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    kind: str = Field(max_length=16)
    number: str = Field(max_length=30)
    issued_on: date
    seller_name: str | None = Field(default=None, max_length=200)
    amount_excl_vat: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    vat_amount: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class VatInvoiceLine(SQLModel, table=True):
    """A line of an invoice; ``matched_quantity`` can never pass ``quantity`` (the database says so)."""

    __tablename__ = "vat_invoice_line"
    __table_args__ = (
        UniqueConstraint("invoice_id", "line_no", name="vat_invoice_line_number_unique"),
        CheckConstraint("quantity > 0 AND amount > 0", name="vat_invoice_line_positive"),
        CheckConstraint("matched_quantity >= 0 AND matched_quantity <= quantity", name="vat_invoice_line_not_over"),
        Index("vat_invoice_line_open", "enterprise_id", "hs_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="vat_invoice.id")
    enterprise_id: int = Field(foreign_key="enterprise.id")
    line_no: int
    hs_code: str = Field(max_length=10)
    quantity: int
    amount: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    matched_quantity: int = Field(default=0)
    matched_amount: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)


class InvoiceMatch(SQLModel, table=True):
    """Part of an invoice line set against part of a declaration line: same firm, same HS code."""

    __tablename__ = "invoice_match"
    __table_args__ = (
        UniqueConstraint("invoice_line_id", "declaration_line_id", name="invoice_match_once"),
        CheckConstraint("quantity > 0 AND amount >= 0", name="invoice_match_positive"),
        Index("invoice_match_of_declaration_line", "declaration_line_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invoice_line_id: int = Field(foreign_key="vat_invoice_line.id")
    declaration_line_id: int = Field(foreign_key="customs_declaration_line.id")
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    quantity: int
    amount: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    matched_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ExportProceeds(SQLModel, table=True):
    """Export proceeds received for an order (收汇), in the order's currency, once per bank reference."""

    __tablename__ = "export_proceeds"
    __table_args__ = (
        UniqueConstraint("order_id", "reference", name="export_proceeds_once"),
        CheckConstraint("amount > 0", name="export_proceeds_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True)
    amount: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    currency: str = Field(max_length=3)
    received_on: date
    reference: str = Field(max_length=64)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class VatReturn(SQLModel, table=True):
    """A manufacturer's period figures the exempt-credit-refund method needs: domestic output VAT and input VAT."""

    __tablename__ = "vat_return"

    enterprise_id: int = Field(foreign_key="enterprise.id", primary_key=True)
    period: str = Field(primary_key=True, max_length=7)
    output_vat: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    input_vat: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class RebateClaim(SQLModel, table=True):
    """A firm's rebate claim for a period of exports, computed with exact decimals and explained by its lines."""

    __tablename__ = "rebate_claim"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'filed', 'refunded')", name="rebate_claim_status_known"),
        # One draft per firm and period: a new computation replaces it.
        Index(
            "rebate_claim_one_draft",
            "enterprise_id",
            "period",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
        Index("rebate_claim_of_period", "period", "enterprise_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    period: str = Field(max_length=7)
    method: str = Field(max_length=24)
    status: str = Field(default=ClaimStatus.DRAFT, max_length=10)
    # The platform files agency claims; the refund is still the maker's, paid to its rebate account.
    filed_by_enterprise_id: int = Field(foreign_key="enterprise.id")
    refund_account: str | None = Field(default=None, max_length=200)
    basis: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    exempt_credit_refund: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    not_creditable: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    tax_payable: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    credited_off: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    carried_in: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    carried_over: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    amount: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    refunded: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    missing: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    due_date: date
    computed_by: int | None = Field(default=None, foreign_key="user_account.id")
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    filed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RebateClaimLine(SQLModel, table=True):
    """One declaration line (or its invoiced part) in a claim: basis, rate, amount. Claimed once, ever."""

    __tablename__ = "rebate_claim_line"
    __table_args__ = (
        UniqueConstraint("invoice_match_id", name="rebate_claim_line_match_once"),
        Index(
            "rebate_claim_line_declaration_once",
            "declaration_line_id",
            unique=True,
            sqlite_where=text("invoice_match_id IS NULL"),
            postgresql_where=text("invoice_match_id IS NULL"),
        ),
        Index("rebate_claim_line_of_claim", "claim_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="rebate_claim.id")
    declaration_id: int = Field(foreign_key="customs_declaration.id")
    declaration_line_id: int = Field(foreign_key="customs_declaration_line.id")
    line_no: int
    hs_code: str = Field(max_length=10)
    export_date: date
    invoice_match_id: int | None = Field(default=None, foreign_key="invoice_match.id")
    quantity: Decimal = Field(sa_type=ExactDecimal(5), nullable=False)
    fob: Decimal = Field(sa_type=ExactDecimal(5), nullable=False)
    fob_currency: str = Field(max_length=3)
    fx_rate: Decimal | None = Field(default=None, sa_type=ExactDecimal(6))
    basis: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    rate: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    vat_rate: Decimal = Field(sa_type=ExactDecimal(4), nullable=False)
    amount: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)


class RebateRefund(SQLModel, table=True):
    """A refund the tax office paid on a claim, once per payment reference."""

    __tablename__ = "rebate_refund"
    __table_args__ = (
        UniqueConstraint("claim_id", "reference", name="rebate_refund_once"),
        CheckConstraint("amount > 0", name="rebate_refund_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="rebate_claim.id", index=True)
    amount: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    received_on: date
    reference: str = Field(max_length=64)
    recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
