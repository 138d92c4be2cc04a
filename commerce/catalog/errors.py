"""Errors of the product catalogue."""

from commerce.errors import N_, Conflict, ValidationFailed


class DuplicateProductCode(Conflict):
    code = "duplicate_product_code"
    message = N_("The firm already has a product with this product code.")


class DuplicateSkuCode(Conflict):
    code = "duplicate_sku_code"
    message = N_("A SKU code is used twice, or the firm already has a SKU with this code.")


class NewSkuIncomplete(ValidationFailed):
    code = "new_sku_incomplete"
    message = N_("A new SKU needs at least a sku_code and a price.")


class ProductRetired(Conflict):
    code = "product_retired"
    message = N_("A retired product cannot be changed.")


class MissingFile(ValidationFailed):
    code = "file_required"
    message = N_("Attach the file to import as the multipart field 'file'.")
