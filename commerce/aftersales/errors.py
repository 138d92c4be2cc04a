"""Errors of after-sales."""

from commerce.errors import N_, Conflict, ValidationFailed


class OrderNotPaid(Conflict):
    code = "order_not_paid"
    message = N_("Only a paid order has after-sales; this one is {status}.")
    terms = ("status",)


class RefundExceedsPaid(Conflict):
    code = "refund_exceeds_paid"
    message = N_("The refunds of this line would come to more than was paid for it.")


class UnitsAlreadyShipped(Conflict):
    code = "units_already_shipped"
    message = N_("Only units not yet shipped can be refunded without a return; ask for a return instead.")


class ReturnExceedsShipped(Conflict):
    code = "return_exceeds_shipped"
    message = N_("The returns of this line would bring back more units than were shipped.")


class InspectionIncomplete(ValidationFailed):
    code = "inspection_incomplete"
    message = N_("Say what became of every returned unit: restocked and written off must add up to {quantity}.")


class AfterSaleIdTaken(Conflict):
    code = "idempotency_mismatch"
    message = N_("After-sale {external_id} was already requested with other contents; give a new external id.")
    members = ("after_sale_id",)
