"""Errors of the rebate side, with stable codes."""

from __future__ import annotations

from commerce.errors import N_, Conflict, ValidationFailed

# The words a claim's missing items and statuses are named with, translated at the edge.
CLAIM_WORDS = (
    N_("draft"),
    N_("filed"),
    N_("refunded"),
    N_("purchase"),
    N_("exempt_credit_refund"),
    N_("agency"),
)


class NotCny(ValidationFailed):
    code = "currency_not_cny"
    message = N_("Invoices, VAT figures and refunds are in CNY.")


class InvoiceDoesNotAddUp(ValidationFailed):
    code = "invoice_lines_do_not_add_up"
    message = N_("The lines add up to {lines}, but the invoice says {total} excluding VAT.")


class InvoiceNumberTaken(Conflict):
    code = "invoice_number_taken"
    message = N_("Invoice {number} is already recorded for this firm with other figures.")


class InvoiceKindWrong(ValidationFailed):
    code = "invoice_kind_mismatch"
    message = N_("A firm claiming by the {method} method files {expected} invoices, not {kind}.")
    terms = ("method",)


class NotAnExporter(ValidationFailed):
    code = "not_an_exporting_firm"
    message = N_("Rebates are claimed for manufacturers and trading firms of a cluster.")


class ProceedsCurrencyWrong(ValidationFailed):
    code = "proceeds_currency_mismatch"
    message = N_("The order is in {expected}; record its proceeds in that currency.")


class ProceedsNotExport(Conflict):
    code = "not_an_export_order"
    message = N_("Proceeds are recorded for export orders only.")


class ProceedsDiffer(Conflict):
    code = "proceeds_reference_taken"
    message = N_("Proceeds with reference {reference} are already recorded for this order with other figures.")


class ClaimNotDraft(Conflict):
    code = "claim_not_draft"
    message = N_("The claim is {status}; only a draft claim can be filed.")
    terms = ("status",)


class ClaimNotFiled(Conflict):
    code = "claim_not_filed"
    message = N_("Refunds are recorded on filed claims; this one is {status}.")
    terms = ("status",)


class ClaimIncomplete(Conflict):
    code = "claim_incomplete"
    message = N_("The claim has nothing to claim yet; see what is missing.")


class RefundTooLarge(Conflict):
    code = "refund_exceeds_claim"
    message = N_("Refunds would come to {total}, more than the {amount} claimed.")


class RefundDiffers(Conflict):
    code = "refund_reference_taken"
    message = N_("A refund with reference {reference} is already recorded on this claim with another amount.")


class ParityMissing(Conflict):
    code = "exchange_rate_missing"
    message = N_("There is no central parity for {currency} on {day}; fetch or import it first.")


class UnreadableRateFile(ValidationFailed):
    code = "invalid_rate_file"
    message = N_("Row {row}: {problem}")


class FetchSpanInvalid(ValidationFailed):
    code = "fetch_span_invalid"
    message = N_("A fetch runs from a day to a later one, over at most a year.")


class AmountTooPrecise(ValidationFailed):
    code = "too_many_decimals"
    message = N_("At most {places} decimal places are allowed here.")


class AmountNotPositive(ValidationFailed):
    code = "not_positive"
    message = N_("Must be greater than zero.")
