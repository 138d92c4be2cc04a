"""Errors of livestreams, lineups, pinning and flash sales."""

from commerce.errors import N_, Conflict, ValidationFailed

# A stream's statuses as the messages below name them.
STATUS_WORDS = (N_("scheduled"), N_("live"), N_("ended"), N_("cancelled"))


class StreamNotLive(Conflict):
    code = "stream_not_live"
    message = N_("The stream is {status}; this needs a live stream.")
    terms = ("status",)


class StreamClosed(Conflict):
    code = "stream_closed"
    message = N_("The stream is {status}; it can no longer change.")
    terms = ("status",)


class LineupTooLong(ValidationFailed):
    code = "lineup_too_long"
    message = N_("A lineup holds at most {limit} products.")


class DuplicateLineupProduct(ValidationFailed):
    code = "duplicate_product"
    message = N_("Product {product_id} appears twice in the lineup.")


class ProductNotApproved(Conflict):
    code = "product_not_approved"
    message = N_("Product {product_id} is not approved for sale.")


class SkuNotOfProduct(ValidationFailed):
    code = "sku_not_in_product"
    message = N_("SKU {sku_id} is not a SKU of product {product_id}.")


class CurrencyMismatch(ValidationFailed):
    code = "currency_mismatch"
    message = N_("Prices here must be in {currency}.")


class ItemNotInLineup(ValidationFailed):
    code = "not_in_lineup"
    message = N_("Item {item_id} is not in this stream's lineup.")


class FlashSaleOutOfBounds(ValidationFailed):
    code = "flash_sale_out_of_bounds"
    message = N_("Must be between {minimum} and {maximum} seconds.")


class DealPriceTooHigh(ValidationFailed):
    code = "deal_price_too_high"
    message = N_("A flash sale's deal price may be at most {highest} (the item's live price is {live_price}).")


class LimitAboveQuantity(ValidationFailed):
    code = "limit_above_quantity"
    message = N_("The per-buyer limit cannot exceed the sale's quantity.")


class FlashSaleOverlaps(Conflict):
    code = "flash_sale_overlaps"
    message = N_("SKU {sku_id} already has a flash sale in this time window.")


class NotAHost(ValidationFailed):
    code = "not_a_host"
    message = N_("User {user_id} is not an active host.")
