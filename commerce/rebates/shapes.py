"""What the rebates API takes and answers: rates, firms' settings, invoices, proceeds, VAT
figures, claims and ledgers.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, StringConstraints, model_validator
from pydantic import Field as PydanticField

from commerce.customs.calendar import PERIOD_PATTERN
from commerce.errors import N_
from commerce.rebates.models import ClaimStatus, FxBasis, InvoiceKind, RebateMethod
from commerce.validation import CurrencyCode, DecimalText, HsCode, Identifier, Input, Money, RateText

Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


Reference = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _fraction(value: Decimal) -> Decimal:
    if not Decimal("0") <= value <= Decimal("1"):
        raise ValueError(N_("A rate is a fraction from 0 to 1, e.g. 0.13 for 13%."))
    return value


class RebateRateInput(Input):
    hs_code: HsCode
    rate: DecimalText = PydanticField(description="The rebate rate as a fraction: 0.13 for 13%, 0 for no rebate")
    valid_from: date
    vat_rate: DecimalText = PydanticField(default=Decimal("0.13"), description="The goods' VAT rate, a fraction")
    announcement: Annotated[str, StringConstraints(max_length=120)] | None = None

    @model_validator(mode="after")
    def _rates(self) -> RebateRateInput:
        _fraction(self.rate)
        _fraction(self.vat_rate)
        if self.rate > self.vat_rate:
            raise ValueError(N_("The rebate rate cannot be above the VAT rate."))
        return self


class RebateRates(Input):
    rates: list[RebateRateInput] = PydanticField(min_length=1, max_length=5000)


class RebateRatePublic(BaseModel):
    hs_code: str
    rate: DecimalText
    vat_rate: DecimalText
    valid_from: date
    announcement: str | None


class ParityRateInput(Input):
    currency: CurrencyCode
    day: date
    cny_per_unit: RateText


class ParityRates(Input):
    rates: list[ParityRateInput] = PydanticField(min_length=1, max_length=5000)


class ParityRatePublic(BaseModel):
    currency: str
    day: date
    cny_per_unit: RateText
    source: str


class ProfileInput(Input):
    method: RebateMethod
    fx_basis: FxBasis = FxBasis.SALE_DATE
    account_bank: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    account_no: Annotated[str, StringConstraints(pattern=r"^[0-9 -]{6,40}$")] | None = None


class ProfilePublic(BaseModel):
    enterprise_id: int
    method: RebateMethod
    fx_basis: FxBasis
    account_bank: str | None
    account_no: str | None
    configured: bool


class InvoiceLineInput(Input):
    hs_code: HsCode
    quantity: int = PydanticField(ge=1, le=1_000_000_000)
    amount: Money = PydanticField(description="Excluding VAT, in CNY")


class InvoiceCreate(Input):
    enterprise_id: Identifier
    kind: InvoiceKind | None = PydanticField(
        default=None, description="purchase (trading firms) or rebate_agency; by default from the firm's method"
    )
    number: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{8,30}$")]
    issued_on: date
    seller_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    amount_excl_vat: Money
    vat_amount: Money
    lines: list[InvoiceLineInput] = PydanticField(min_length=1, max_length=500)


class InvoiceLinePublic(BaseModel):
    line_no: int
    hs_code: str
    quantity: int
    amount: Money
    matched_quantity: int
    matched_amount: Money


class InvoicePublic(BaseModel):
    id: int
    enterprise_id: int
    kind: InvoiceKind
    number: str
    issued_on: date
    seller_name: str | None
    amount_excl_vat: Money
    vat_amount: Money
    lines: list[InvoiceLinePublic]
    fully_matched: bool


class ProceedsInput(Input):
    order_id: Identifier
    amount: Money
    received_on: date
    reference: Reference


class ProceedsPublic(BaseModel):
    id: int
    order_id: int
    amount: Money
    received_on: date
    reference: str


class VatReturnInput(Input):
    enterprise_id: Identifier
    period: Period
    output_vat: Money = PydanticField(description="Domestic sales' output VAT of the period, CNY")
    input_vat: Money = PydanticField(description="Input VAT of the period, CNY")


class VatReturnPublic(BaseModel):
    enterprise_id: int
    period: str
    output_vat: Money
    input_vat: Money


class ClaimRequest(Input):
    period: Period
    enterprise_id: Identifier | None = None


class MissingItem(BaseModel):
    kind: str = PydanticField(
        description="invoice, export_proceeds, clearance, rebate_rate, exchange_rate, vat_return or rebate_account"
    )
    message: str
    declaration_id: int | None = None
    line_no: int | None = None
    order_id: int | None = None
    quantity: DecimalText | None = None


class ClaimLinePublic(BaseModel):
    declaration_id: int
    line_no: int
    hs_code: str
    export_date: date
    quantity: DecimalText
    fob: Money
    fx_rate: RateText | None
    basis: Money
    rate: DecimalText
    amount: Money


class ClaimWarning(BaseModel):
    code: str
    message: str


class ClaimPublic(BaseModel):
    id: int
    enterprise_id: int
    period: str
    method: RebateMethod
    status: ClaimStatus
    filed_by_enterprise_id: int
    refund_account: str | None
    basis: Money
    exempt_credit_refund: Money
    not_creditable: Money
    tax_payable: Money
    credited_off: Money
    carried_in: Money
    carried_over: Money
    amount: Money
    refunded: Money
    due_date: date
    warnings: list[ClaimWarning]
    lines: list[ClaimLinePublic]
    missing: list[MissingItem]
    computed_at: datetime
    filed_at: datetime | None


class ClaimsComputed(BaseModel):
    items: list[ClaimPublic]


class RefundInput(Input):
    amount: Money
    received_on: date
    reference: Reference


class LedgerEntry(BaseModel):
    on: date
    kind: str = PydanticField(
        description="invoice, declaration, proceeds, claim, refund, or return (a refunded rebate owed back)"
    )
    reference: str
    amount: Money
    receivable: Money = PydanticField(description="Rebates filed and not yet refunded, after this entry")


class LedgerBalances(BaseModel):
    invoiced: Money
    invoice_matched: Money
    invoice_unmatched: Money
    declared_fob: list[Money]
    proceeds_due: list[Money]
    proceeds_received: list[Money]
    claimed: Money
    refunded: Money
    receivable: Money
    carried_over: Money
    to_repay: Money = PydanticField(description="Rebates refunded on goods that came back, owed back")


class LedgerPublic(BaseModel):
    enterprise_id: int
    balances: LedgerBalances
    entries: list[LedgerEntry]
