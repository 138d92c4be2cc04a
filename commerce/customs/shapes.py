"""What the customs API takes and answers: the platform's settings, exchange rates, batches,
declarations and their lines, receipts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic import Field as PydanticField

from commerce.customs.models import BatchKind, CustomsStatus, DeclarationKind, Figure, Period, PortCode, TransportMode
from commerce.errors import N_
from commerce.orders.models import CustomsMode
from commerce.validation import CurrencyCode, CustomsCode, DecimalText, Identifier, Input, Money, RateText


class PlatformConfig(Input):
    """The local service platform as customs knows it (one per cluster; a second PUT replaces it)."""

    enterprise_id: Identifier
    customs_registration: CustomsCode = PydanticField(
        description="10-character customs registration code in the cluster's region, or the platform's USCC"
    )
    declaring_customs: PortCode = PydanticField(description="4-digit customs office where declarations are lodged")
    exit_ports: list[PortCode] = PydanticField(min_length=1, max_length=20, description="First is the default")
    transport_modes: list[TransportMode] = PydanticField(
        min_length=1, max_length=10, description="First is the default"
    )
    ebp_code: CustomsCode | None = PydanticField(default=None, description="E-commerce platform code (CEB ebpCode)")
    ebp_name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    dxp_id: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{4,30}$")] = PydanticField(
        description="Data-exchange id of the platform on the single window (e.g. DXPENT0000458763); its "
        "data-exchange client's folders are found by it"
    )
    payment_code: CustomsCode | None = PydanticField(
        default=None, description="Customs code of the payment firm that collects the parcels' money (CEB403 payCode)"
    )
    payment_name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = PydanticField(
        default=None, description="Name of that payment firm (CEB403 payName); needed to declare 9610 parcels"
    )
    destination_port: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,4}$")] | None = PydanticField(
        default=None, description="Port of destination of the parcels (CEB603 POD, e.g. LAX); needed for 9610"
    )
    wrap_type: Annotated[str, StringConstraints(pattern=r"^[0-9]$")] = PydanticField(
        default="2", description="Customs' packing code of the parcels (CEB603 wrapType): 2 carton, 6 bag, 7 other"
    )
    line_limit: int = PydanticField(default=50, ge=1, le=999)
    procurement_cap_usd: DecimalText = PydanticField(default=Decimal("150000"))
    simplified_limit_cny: DecimalText = PydanticField(default=Decimal("5000"))
    licensed_hs_prefixes: list[Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")]] = PydanticField(
        default_factory=list, max_length=500, description="HS codes (or their starts) that need a licence or inspection"
    )
    holidays: list[date] = PydanticField(default_factory=list, max_length=400)
    working_weekend_days: list[date] = PydanticField(default_factory=list, max_length=100)


class PlatformPublic(BaseModel):
    id: int
    cluster_id: int
    enterprise_id: int
    customs_registration: str
    declaring_customs: str
    exit_ports: list[str]
    transport_modes: list[str]
    ebp_code: str | None
    ebp_name: str | None
    dxp_id: str
    payment_code: str | None
    payment_name: str | None
    destination_port: str | None
    wrap_type: str
    line_limit: int
    procurement_cap_usd: Money
    simplified_limit_cny: Money
    licensed_hs_prefixes: list[str]
    holidays: list[str]
    working_weekend_days: list[str]
    updated_at: datetime


class ExchangeRateInput(Input):
    currency: CurrencyCode
    valid_from: date
    cny_per_unit: RateText


class ExchangeRates(Input):
    rates: list[ExchangeRateInput] = PydanticField(min_length=1, max_length=500)


class ExchangeRatePublic(BaseModel):
    currency: str
    valid_from: date
    cny_per_unit: RateText
    source: str
    parity_day: date | None


class BatchCreate(Input):
    customs_mode: CustomsMode
    period: Period | None = PydanticField(
        default=None,
        description="9610: the month whose cleared inventory lists are summarised; otherwise only orders shipped then",
    )
    platform_id: Identifier | None = PydanticField(
        default=None, description="Needed only when several service platforms are configured"
    )


class BatchWarning(BaseModel):
    code: str
    message: str


class DeclarationBrief(BaseModel):
    id: int
    kind: DeclarationKind
    seq_no: int
    cop_no: str
    status: CustomsStatus
    entry_id: str | None
    owner_code: str
    arrival_country: str
    lines: int
    order_id: int | None


class BatchPublic(BaseModel):
    id: int
    customs_mode: str
    kind: BatchKind
    period: str | None
    status: CustomsStatus
    version: int
    previous_id: int | None
    superseded_by_id: int | None
    due_date: date | None
    warnings: list[BatchWarning]
    orders: int
    declarations: list[DeclarationBrief]
    created_at: datetime
    submitted_at: datetime | None


class DeclarationHeader(BaseModel):
    consignor_code: str
    consignor_name: str
    owner_code: str
    owner_name: str
    traf_mode: str
    arrival_country: str
    exit_port: str
    declaring_customs: str
    source_region: str
    customs_mode: str
    trade_terms: str
    order_no: str | None
    logistics_no: str | None
    gross_weight_kg: Figure
    value_cny: Figure | None
    value_usd: Figure | None
    simplified_eligible: bool
    rebate_eligible: bool


class LineFirm(BaseModel):
    enterprise_id: int
    name: str
    uscc: str
    order_ids: list[int]
    quantity: int


class DeclarationLinePublic(BaseModel):
    line_no: int
    hs_code: str
    goods_name: str
    goods_model: str
    destination_country: str
    currency: str
    unit: str
    legal_unit: str
    second_legal_unit: str | None
    quantity: Figure
    legal_quantity: Figure
    second_legal_quantity: Figure | None
    unit_price: Figure
    total_price: Money
    chapter_group: str | None
    firms: list[LineFirm]


class ReceiptPublic(BaseModel):
    id: int
    status: CustomsStatus
    entry_id: str | None
    message: str | None
    source: str
    at: datetime


class DeclarationPublic(BaseModel):
    id: int
    batch_id: int
    kind: DeclarationKind
    seq_no: int
    cop_no: str
    status: CustomsStatus
    entry_id: str | None
    customs_note: str | None
    header: DeclarationHeader
    lines: list[DeclarationLinePublic]
    order_ids: list[int]
    inventory_list_ids: list[int]
    receipts: list[ReceiptPublic]
    cleared_at: datetime | None


class ReceiptInput(Input):
    declaration_id: Identifier
    status: Literal["accepted", "rejected", "cleared"]
    entry_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    at: AwareDatetime | None = None


class ReceiptsInput(Input):
    """Customs results: one (``declaration_id``, ``status``, ...) or several under ``receipts``."""

    receipts: list[ReceiptInput] | None = PydanticField(default=None, min_length=1, max_length=5000)
    declaration_id: Identifier | None = None
    status: Literal["accepted", "rejected", "cleared"] | None = None
    entry_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    message: Annotated[str, StringConstraints(max_length=2000)] | None = None
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one_form(self) -> ReceiptsInput:
        single = self.declaration_id is not None or self.status is not None
        if (self.receipts is None) == (not single):
            raise ValueError(N_("Send either receipts or one receipt's declaration_id and status."))
        if single and (self.declaration_id is None or self.status is None):
            raise ValueError(N_("A receipt needs declaration_id and status."))
        return self

    def items(self) -> list[ReceiptInput]:
        if self.receipts is not None:
            return self.receipts
        return [
            ReceiptInput(
                declaration_id=self.declaration_id,
                status=self.status,
                entry_id=self.entry_id,
                message=self.message,
                at=self.at,
            )
        ]


class ReceiptsRecorded(BaseModel):
    recorded: int
    repeated: int
    batch: BatchPublic


class ExportReturnCreate(Input):
    line_no: int = PydanticField(ge=1, le=999, description="The declaration's line the goods were declared on")
    quantity: DecimalText = PydanticField(description="In the line's declared unit, more than 0, up to 4 decimals")
    returned_on: date = PydanticField(description="The day the goods came back through customs (China)")
    reference: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = PydanticField(
        description="The return's own customs entry number"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    original_state: bool = PydanticField(description="The goods come back in the state they left in")

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value: Decimal) -> Decimal:
        if not 0 < value < 10**14:
            raise ValueError(N_("A quantity is more than 0."))
        return value


class ListCancellationCreate(Input):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] = PydanticField(
        description="Why the goods will not leave, as customs reads it (CEB605 reason)"
    )


class ListCancellationPublic(BaseModel):
    id: int
    declaration_id: int
    status: Literal["requested", "cancelled", "refused"] = PydanticField(
        description="requested until customs answers (CEB606): cancelled, or refused with its reason"
    )
    reason: str
    requested_at: datetime
    sent_at: datetime | None
    decided_at: datetime | None
    customs_note: str | None


class ExportReturnPublic(BaseModel):
    id: int
    declaration_id: int
    line_no: int
    enterprise_id: int | None
    quantity: Figure
    returned_on: date
    reference: str
    reason: str
    recorded_at: datetime
