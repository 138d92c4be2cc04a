"""Errors of export customs, with stable codes."""

from __future__ import annotations

from commerce.errors import N_, Conflict, ValidationFailed

# The statuses of batches and declarations as the messages below name them.
STATUS_WORDS = (N_("draft"), N_("submitted"), N_("accepted"), N_("rejected"), N_("cleared"), N_("cancelled"))
# A list's cancellation as customs has it.
CANCELLATION_WORDS = (N_("requested"), N_("refused"))


class PlatformNotInRegion(ValidationFailed):
    code = "consignor_outside_region"
    message = N_(
        "The consignor must be a service platform registered in the cluster's region {region}; this one is in {found}."
    )


class NotAServicePlatform(ValidationFailed):
    code = "not_a_service_platform"
    message = N_("The consignor must be an enterprise of kind service_platform in the cluster.")


class UnknownCodeValue(ValidationFailed):
    code = "unknown_customs_code"
    message = N_("{value} is not a known customs {table} code.")


class PlatformNotConfigured(Conflict):
    code = "customs_platform_not_configured"
    message = N_("No foreign-trade service platform is configured for customs; configure one first.")


class PlatformIncomplete(Conflict):
    code = "customs_platform_incomplete"
    message = N_("The service platform's {fields} must be set before 9610 parcels can be declared.")


class InventoryNumberInvalid(ValidationFailed):
    code = "invalid_inventory_number"
    message = N_(
        "The number customs gave list {declaration} has 18 characters: "
        "customs office, year, E or I, and a 9-digit sequence."
    )


class PlatformAmbiguous(ValidationFailed):
    code = "customs_platform_required"
    message = N_("Several service platforms are configured; say which one with platform_id.")


class NothingToDeclare(Conflict):
    code = "nothing_to_declare"
    message = N_("There are no eligible export orders or cleared inventory lists for this batch.")


class MessageFieldTooLong(Conflict):
    code = "message_field_too_long"
    message = N_(
        "Declaration {declaration}: customs takes at most {limit} characters in {element}; "
        "shorten the name or number it comes from, then form the batch again. Nothing was sent."
    )


class UnmappedCustomsCode(Conflict):
    code = "unmapped_customs_code"
    message = N_("Order {order} uses {value}, which has no customs {table} code; nothing was formed.")


class ExchangeRateMissing(Conflict):
    code = "exchange_rate_missing"
    message = N_("There is no customs exchange rate for {currency} on {day}; add it first.")


class PeriodNotAllowed(ValidationFailed):
    code = "period_not_allowed"
    message = N_("Only a 9610 summary takes a period, and only a month that has ended.")


class BatchNotDraft(Conflict):
    code = "batch_not_draft"
    message = N_("The batch is {status}: after submission a batch cannot change; revise it as a new version.")
    terms = ("status",)


class BatchNotRevisable(Conflict):
    code = "batch_not_revisable"
    message = N_("Only a batch with rejected declarations that has no newer version can be revised.")


class ReceiptNotApplicable(Conflict):
    code = "receipt_not_applicable"
    message = N_("Declaration {declaration} is {status}; a {target} result does not apply to it.")
    terms = ("status", "target")


class FormationCollided(Conflict):
    code = "batch_formation_collided"
    message = N_("Another batch took these orders or lists at the same moment; form the batch again.")


class DeclarationNotCleared(Conflict):
    code = "declaration_not_cleared"
    message = N_("The declaration is {status}: only goods customs has released can come back as an export return.")
    terms = ("status",)


class ReturnOnSummary(ValidationFailed):
    code = "return_on_summary"
    message = N_("A 9610 parcel's return is recorded on the monthly summary declaration that holds its list.")


class ReturnOutsideWindow(ValidationFailed):
    code = "return_outside_window"
    message = N_("An export return comes back within a year of export: from {exported_on} to {last_day}.")


class NotOriginalState(ValidationFailed):
    code = "not_original_state"
    message = N_("Only goods in their original state come back under the export return regime.")


class ReturnExceedsExported(Conflict):
    code = "return_exceeds_exported"
    message = N_("Line {line_no} exported {quantity}; with this return more would come back than left.")


class UnknownLine(ValidationFailed):
    code = "unknown_line"
    message = N_("The declaration has no line {line_no}.")


class NotAnInventoryList(ValidationFailed):
    code = "not_an_inventory_list"
    message = N_("Only a 9610 inventory list is cancelled this way; a declaration customs released stays declared.")


class ListNotCancellable(Conflict):
    code = "list_not_cancellable"
    message = N_(
        "The list is {status}: only a list customs has entered or released, and numbered, can be cancelled "
        "before the goods leave."
    )
    terms = ("status",)


class ListInSummary(Conflict):
    code = "list_in_summary"
    message = N_(
        "The list is in the monthly summary of batch {batch}: it is declared for export and can no longer be "
        "cancelled; an export that comes back is recorded as an export return."
    )


class CancellationPending(Conflict):
    code = "cancellation_pending"
    message = N_("Customs was already asked to cancel this list ({status}); nothing was sent again.")
    terms = ("status",)


class CancellationAwaited(Conflict):
    code = "cancellation_awaited"
    message = N_(
        "Customs has not yet answered the cancellation of lists of this month ({lists}); form the summary once it has."
    )
