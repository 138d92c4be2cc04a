"""The rebate formulas, in exact decimals: exempt-and-refund on invoices, exempt-credit-refund on FOB.

Every amount is rounded to the fen (0.01 CNY) half up, line by line, and period totals are the sums
of the rounded lines, so that a claim always adds up to what its lines say.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from commerce.rebates.errors import AmountNotPositive, AmountTooPrecise

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def require_amount(amount: Decimal, *, field: str, places: int = 2, allow_zero: bool = False) -> Decimal:
    """An amount as it will be stored: at most ``places`` decimals, above zero (or zero, when allowed)."""
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise AmountTooPrecise(field=field, places=places)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise AmountNotPositive(field=field)
    return amount


def fen(value: Decimal) -> Decimal:
    """An amount rounded to the fen, half up."""
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def invoice_refund(amount_excl_vat: Decimal, rate: Decimal) -> Decimal:
    """Exempt-and-refund (trading firms, agency claims): invoice amount excluding VAT x rebate rate."""
    return fen(amount_excl_vat * rate)


def share_of(
    total: Decimal, quantity: Decimal | int, of_quantity: Decimal | int, *, before: Decimal | int = 0
) -> Decimal:
    """The fen of ``total`` belonging to ``quantity`` of ``of_quantity``, after ``before`` was taken.

    Cumulative rounding: the parts handed out in turn always add up to the whole, to the fen.
    """
    taken = fen(total * Decimal(before) / Decimal(of_quantity))
    upto = fen(total * (Decimal(before) + Decimal(quantity)) / Decimal(of_quantity))
    return upto - taken


@dataclass(frozen=True, slots=True)
class ExportLine:
    """An export line of the period: FOB in CNY, the goods' VAT rate and rebate rate."""

    fob_cny: Decimal
    vat_rate: Decimal
    rebate_rate: Decimal

    @property
    def not_creditable(self) -> Decimal:
        return fen(self.fob_cny * (self.vat_rate - self.rebate_rate))

    @property
    def exempt_credit_refund(self) -> Decimal:
        return fen(self.fob_cny * self.rebate_rate)


@dataclass(frozen=True, slots=True)
class PeriodResult:
    """The exempt-credit-refund result of one period."""

    fob_cny: Decimal
    not_creditable: Decimal
    tax_payable: Decimal
    exempt_credit_refund: Decimal
    refund: Decimal
    credited_off: Decimal
    carried_over: Decimal


def exempt_credit_refund(
    lines: Iterable[ExportLine], *, output_vat: Decimal, input_vat: Decimal, carried_in: Decimal = ZERO
) -> PeriodResult:
    """A manufacturer's period (免抵退): offset the exports' credit against domestic tax, refund the rest.

    1. not creditable = FOB x (VAT rate - rebate rate)
    2. tax payable = domestic output VAT - (input VAT - not creditable) - credit carried in
    3. exempt-credit-refund amount = FOB x rebate rate
    4. when payable is negative the credit is -payable: refund = min(credit, step 3), credited off =
       step 3 - refund, and what the refund leaves of the credit carries over.
    """
    lines = list(lines)
    fob = sum((line.fob_cny for line in lines), ZERO)
    not_creditable = sum((line.not_creditable for line in lines), ZERO)
    amount = sum((line.exempt_credit_refund for line in lines), ZERO)
    payable = fen(output_vat - (input_vat - not_creditable) - carried_in)
    if payable >= 0:
        return PeriodResult(fob, not_creditable, payable, amount, ZERO, amount, ZERO)
    credit = -payable
    refund = min(credit, amount)
    return PeriodResult(fob, not_creditable, payable, amount, refund, amount - refund, credit - refund)
