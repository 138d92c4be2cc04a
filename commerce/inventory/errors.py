"""Errors of stock keeping."""

from commerce.errors import N_, Conflict


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = N_("Not enough stock of SKU {sku_id}.")
