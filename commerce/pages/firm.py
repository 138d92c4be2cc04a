"""A firm's pages: its products (facts, photos, review, stock), bulk import, orders, after-sales, exports and letter."""

from __future__ import annotations

from flask import Blueprint, g

from commerce.actors import Role
from commerce.catalog.models import ErrorPolicy
from commerce.errors import N_
from commerce.pages.rendering import for_people, render_page
from commerce.pages.statements import statements_page

bp = Blueprint("firm", __name__, url_prefix="/firm")

PRODUCT_STATUS_TEXT = {
    "status_draft": N_("Draft"),
    "status_pending_review": N_("Waiting for review"),
    "status_approved": N_("Approved"),
    "status_rejected": N_("Not approved"),
    "status_retired": N_("Retired"),
}

PRODUCTS_TEXT = {
    **PRODUCT_STATUS_TEXT,
    "products": N_("Products"),
    "add_product": N_("Add a product"),
    "status": N_("Status"),
    "any": N_("Any"),
    "picture": N_("Picture"),
    "product": N_("Product"),
    "skus": N_("SKUs and stock"),
    "available": N_("available"),
    "on_hand": N_("on hand"),
    "rejection_reason": N_("Why it was rejected"),
    "more": N_("More"),
    "nothing": N_("No products yet: add one, or import a file."),
    "edit": N_("Open"),
}

PRODUCT_TEXT = {
    **PRODUCT_STATUS_TEXT,
    "new_product": N_("New product"),
    "product": N_("Product"),
    "facts": N_("Customs facts"),
    "product_code": N_("Product code"),
    "product_code_hint": N_("Your own code for the product; left empty, one is made."),
    "hs_code": N_("HS code"),
    "hs_code_hint": N_(
        "The 10-digit customs commodity code, e.g. 6110120000 for cashmere sweaters; it decides the rebate rate."
    ),
    "hs_suffix": N_("Inspection suffix"),
    "hs_suffix_hint": N_("The 3-digit suffix of the code, only where customs asks for one."),
    "declaration_elements": N_("Declaration elements"),
    "declaration_elements_hint": N_(
        "What customs asks to be declared for this HS code, separated by |, e.g. 针织|女式|100%山羊绒|套头衫|无品牌."
    ),
    "legal_unit": N_("Legal unit"),
    "legal_unit_hint": N_("The unit customs counts this HS code in, e.g. 件 (pieces) or 千克 (kilograms)."),
    "second_legal_unit": N_("Second legal unit"),
    "second_legal_unit_hint": N_("Only where the HS code has a second unit, usually 千克."),
    "origin_region_code": N_("Domestic source region"),
    "origin_region_code_hint": N_("The 5-digit customs code of where the goods are made, e.g. 13059 for Xingtai."),
    "trademark": N_("Collective trademark"),
    "no_trademark": N_("Not under the mark"),
    "texts": N_("Titles and descriptions"),
    "chinese": N_("Chinese"),
    "english": N_("English"),
    "title": N_("Title"),
    "description": N_("Description"),
    "skus": N_("SKUs"),
    "sku_code": N_("SKU code"),
    "attributes": N_("Attributes"),
    "attributes_hint": N_("e.g. color=red; size=M"),
    "price": N_("Price (CNY)"),
    "weight_kg": N_("Weight (kg)"),
    "barcode": N_("Barcode"),
    "opening_stock": N_("Opening stock"),
    "add_sku": N_("Add a SKU"),
    "remove": N_("Remove"),
    "photos": N_("Photos"),
    "photos_hint": N_("JPEG, PNG or WebP; marketplaces need at least one. The first is the main picture."),
    "add_photos": N_("Add photos"),
    "save": N_("Save"),
    "save_and_submit": N_("Save and submit for review"),
    "submit": N_("Submit for review"),
    "saved": N_("Saved."),
    "submitted": N_("Submitted for review."),
    "status": N_("Status"),
    "rejection_reason": N_("Why it was rejected"),
    "stock": N_("Stock"),
    "on_hand": N_("On hand"),
    "reserved": N_("Reserved"),
    "allocated": N_("In streams"),
    "available": N_("Available"),
    "adjust": N_("Adjust"),
    "delta": N_("Change (+/-)"),
    "reason": N_("Reason"),
    "movements": N_("Movements"),
    "at": N_("At"),
    "kind": N_("Kind"),
    "photo_alt": N_("Photo {position}"),
    "photo_alt_text": N_("What the photo shows"),
    "main_photo": N_("Main picture"),
    "make_main": N_("Make it the main picture"),
    "delete": N_("Delete"),
    "confirm_delete": N_("Delete this photo?"),
    "retired": N_("A retired product cannot be changed; its stock can."),
    "back_to_review": N_("Changing an approved product's customs facts, texts or prices sends it back to review."),
}

IMPORTS_TEXT = {
    "imports": N_("Bulk import"),
    "how": N_(
        "Download the template, fill one row per SKU (rows with the same product code make one product), and drop"
        " the file here. A ZIP may hold the sheet and the photos its images column names."
    ),
    "template_csv": N_("Template (CSV)"),
    "template_xlsx": N_("Template (XLSX, with instructions)"),
    "file": N_("File (CSV, XLSX or ZIP)"),
    "drop_here": N_("Drop the file here or choose it"),
    "error_policy": N_("When some rows are wrong"),
    "policy_reject_all": N_("Import nothing until every row is right"),
    "policy_reject_failed_rows": N_("Import the right rows, list the wrong ones"),
    "upload": N_("Import"),
    "status": N_("Status"),
    "status_queued": N_("Waiting"),
    "status_running": N_("Running"),
    "status_succeeded": N_("Done"),
    "status_completed_with_errors": N_("Done, wrong rows left out"),
    "status_failed": N_("Failed"),
    "rows": N_("Rows"),
    "ok_rows": N_("Imported"),
    "failed_rows": N_("Wrong"),
    "created_products": N_("New products"),
    "updated_products": N_("Updated products"),
    "row": N_("Row"),
    "field": N_("Column"),
    "problem": N_("Problem"),
    "no_errors": N_("No row errors."),
    "checked_so_far": N_("{rows} rows read and checked so far…"),
}

ORDERS_TEXT = {
    "orders": N_("Sales orders"),
    "order": N_("Order"),
    "channel": N_("Channel"),
    "buyer": N_("Buyer"),
    "placed_at": N_("Placed"),
    "status": N_("Status"),
    "lines": N_("Lines"),
    "total": N_("Total"),
    "export": N_("Export"),
    "more": N_("More"),
    "nothing": N_("No orders yet."),
    "status_placed": N_("Placed"),
    "status_paid": N_("Paid"),
    "status_shipped": N_("Shipped"),
    "status_cleared": N_("Cleared"),
    "status_cancelled": N_("Cancelled"),
}

AFTER_SALES_TEXT = {
    "after_sales": N_("After-sales"),
    "after_sales_hint": N_(
        "Refunds and returns of your goods: answer each request, say when a return is back and what became of it, "
        "and mark the refund paid."
    ),
    "new": N_("Ask for a refund or a return"),
    "line": N_("Order line"),
    "kind": N_("Kind"),
    "kind_refund_only": N_("Refund before shipping"),
    "kind_return_and_refund": N_("Return and refund"),
    "kind_partial_refund": N_("Partial refund"),
    "quantity": N_("Units"),
    "amount": N_("Amount"),
    "amount_hint": N_("Left empty, the units' price is refunded; a partial refund needs its amount."),
    "reason": N_("Reason"),
    "ask": N_("Send the request"),
    "asked": N_("The request is recorded."),
    "no_lines": N_("No paid order of your goods to refund."),
    "status": N_("Status"),
    "any": N_("Any"),
    "after_sale": N_("After-sale"),
    "order": N_("Order"),
    "requested_at": N_("Asked"),
    "answer": N_("What to do"),
    "approve": N_("Approve"),
    "refuse": N_("Refuse"),
    "refusal_reason": N_("Why it is refused"),
    "receive": N_("The parcel is back"),
    "restocked": N_("Back on sale"),
    "written_off": N_("Written off"),
    "inspect": N_("Record the inspection"),
    "refund": N_("The refund is paid"),
    "nothing": N_("No after-sales yet."),
    "more": N_("More"),
    "status_requested": N_("Requested"),
    "status_approved": N_("Approved"),
    "status_refused": N_("Refused"),
    "status_received": N_("Parcel back"),
    "status_inspected": N_("Inspected"),
    "status_refunded": N_("Refund paid"),
}

EXPORTS_TEXT = {
    "exports": N_("Exports and rebates"),
    "declarations": N_("Declarations"),
    "declarations_hint": N_("The customs declarations holding your goods, declared by the trade service."),
    "customs_mode": N_("Customs mode"),
    "cop_no": N_("Enterprise number"),
    "entry_id": N_("Customs number"),
    "arrival_country": N_("Arrival country"),
    "submitted_at": N_("Submitted"),
    "no_declarations": N_("No declarations yet."),
    "status_submitted": N_("Submitted"),
    "status_accepted": N_("Accepted"),
    "status_rejected": N_("Rejected"),
    "status_cleared": N_("Cleared"),
    "status_cancelled": N_("Cancelled by customs"),
    "claims": N_("Rebate claims"),
    "claim": N_("Claim"),
    "period": N_("Period"),
    "status": N_("Status"),
    "amount": N_("Rebate"),
    "missing": N_("Still needed"),
    "nothing_missing": N_("Nothing missing"),
    "ledger": N_("Rebate ledger"),
    "at": N_("At"),
    "entry": N_("Entry"),
    "balance": N_("Balance"),
    "no_claims": N_("No rebate claims yet."),
    "no_entries": N_("No ledger entries yet."),
    "status_draft": N_("Draft"),
    "status_filed": N_("Filed"),
    "status_refunded": N_("Refunded"),
    "receivable": N_("Filed, not yet refunded"),
    "to_repay": N_("Refunded on goods that came back: to repay"),
    "claimed": N_("Claimed"),
    "refunded": N_("Refunded"),
}

LETTER_TEXT = {
    "letter": N_("Letter of authorisation"),
    "letter_hint": N_(
        "The association's letter licensing your firm to sell under its collective trademark; marketplaces ask for it."
    ),
    "trademark": N_("Trademark"),
    "licence_no": N_("Licence number"),
    "valid": N_("Valid"),
    "status": N_("Status"),
    "download": N_("Download"),
    "chinese_pdf": N_("Chinese PDF"),
    "english_pdf": N_("English PDF"),
    "no_membership": N_("Your firm is not a member of a collective trademark yet; the association admits members."),
    "status_active": N_("Active"),
    "status_suspended": N_("Suspended"),
    "status_revoked": N_("Revoked"),
    "status_expired": N_("Expired"),
}


def _firm_page(template: str, messages: dict[str, str], **context):
    return render_page(template, messages, enterprise_id=g.actor.enterprise_id, **context)


@bp.get("/products")
@for_people(Role.SME)
def products():
    """The firm's products with their pictures, review status and stock per SKU."""
    return _firm_page("firm/products.html", PRODUCTS_TEXT)


@bp.get("/products/new")
@for_people(Role.SME)
def new_product():
    """A new product: its facts, texts side by side, SKUs and photos, saved and submitted at once."""
    return _firm_page("firm/product.html", PRODUCT_TEXT, product_id=None)


@bp.get("/products/<int:product_id>")
@for_people(Role.SME)
def product(product_id: int):
    """One product: edit it, its photos, submit it for review, its stock and movements."""
    return _firm_page("firm/product.html", PRODUCT_TEXT, product_id=product_id)


@bp.get("/imports")
@for_people(Role.SME)
def imports():
    """Bulk import: the template, the upload, progress and row errors."""
    return _firm_page("firm/imports.html", IMPORTS_TEXT, policies=[policy.value for policy in ErrorPolicy])


@bp.get("/orders")
@for_people(Role.SME)
def orders():
    """The orders holding the firm's products, with the lines of its own."""
    return _firm_page("firm/orders.html", ORDERS_TEXT)


@bp.get("/statements")
@for_people(Role.SME)
def statements():
    """The firm's monthly statements: what its sales left it, line by line, and the files to keep."""
    return statements_page(keeper=False)


@bp.get("/after-sales")
@for_people(Role.SME)
def after_sales():
    """The refunds and returns of the firm's lines: asking, answering, receiving, inspecting, refunding."""
    return _firm_page("firm/after_sales.html", AFTER_SALES_TEXT)


@bp.get("/exports")
@for_people(Role.SME)
def exports():
    """The firm's rebate claims, what each still needs, and its rebate ledger."""
    return _firm_page("firm/exports.html", EXPORTS_TEXT)


@bp.get("/letter")
@for_people(Role.SME)
def letter():
    """The firm's letters of authorisation under the collective trademarks it is a member of."""
    return _firm_page("firm/letter.html", LETTER_TEXT)
