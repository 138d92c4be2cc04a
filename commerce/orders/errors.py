"""Errors of order intake and order progress."""

from commerce.errors import N_, Conflict, ValidationFailed


class UnknownSku(ValidationFailed):
    code = "unknown_sku"
    message = N_("SKU {sku_id} does not exist.")


class DuplicateSkuLine(ValidationFailed):
    code = "duplicate_line"
    message = N_("SKU {sku_id} appears on two lines; give its whole quantity on one line.")


class ProductNotOnSale(Conflict):
    code = "product_not_on_sale"
    message = N_("SKU {sku_id} belongs to a product that is not approved for sale.")


class UnitPriceRequired(ValidationFailed):
    code = "unit_price_required"
    message = N_("Give the unit price of SKU {sku_id} in {currency}.")


class PriceChanged(Conflict):
    code = "price_changed"
    message = N_("SKU {sku_id} sells at {price} here now.")


class SkuNotInLineup(ValidationFailed):
    code = "not_in_lineup"
    message = N_("SKU {sku_id} is not in this stream's lineup.")


class FlashSaleSoldOut(Conflict):
    code = "flash_sale_sold_out"
    message = N_("The flash sale of SKU {sku_id} is sold out.")


class BuyerLimitReached(Conflict):
    code = "buyer_limit_reached"
    message = N_("A buyer may buy at most {limit} units of SKU {sku_id} in this flash sale.")


class TimeInFuture(ValidationFailed):
    code = "time_in_future"
    message = N_("The time cannot be in the future.")


class OrderTooLarge(ValidationFailed):
    code = "order_too_large"
    message = N_("An order's total must be less than {maximum}.")


class StreamRequired(ValidationFailed):
    code = "stream_required"
    message = N_("A host's orders are taken in one of their live streams: name it (stream_id).")


class IdempotencyMismatch(Conflict):
    code = "idempotency_mismatch"
    message = N_("Order {external_id} was already taken with other contents; give a new external id for a new order.")
    members = ("order_id",)


class AfterSalesExist(Conflict):
    code = "after_sales_exist"
    message = N_("This order has after-sales: refund what is left of it through an after-sale instead.")


class RefundPending(Conflict):
    code = "refund_pending"
    message = N_("A refund of units of this order awaits its answer: approve or refuse it before shipping.")
