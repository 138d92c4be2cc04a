"""The trade service's pages beside customs: rebate claims and each firm's ledger, invoices, export proceeds,
the firms' statements."""

from __future__ import annotations

from flask import Blueprint

from commerce.errors import N_
from commerce.pages.rendering import TRADE, for_people, render_page
from commerce.pages.statements import statements_page

bp = Blueprint("trade", __name__, url_prefix="/trade")

CLAIMS_TEXT = {
    "claims": N_("Rebate claims"),
    "compute": N_("Compute claims"),
    "compute_hint": N_(
        "Computes the period's draft claims from cleared declarations, invoices and rates; again replaces them."
    ),
    "period": N_("Period"),
    "firm": N_("Firm"),
    "all_firms": N_("Every exporting firm"),
    "status": N_("Status"),
    "any": N_("Any"),
    "show": N_("Show"),
    "claim": N_("Claim"),
    "amount": N_("Rebate"),
    "refunded": N_("Refunded"),
    "due_date": N_("Due date"),
    "missing": N_("Still needed"),
    "nothing_missing": N_("Nothing missing"),
    "warnings": N_("Warnings"),
    "actions": N_("Actions"),
    "file": N_("File"),
    "confirm_file": N_("File the claim? Its lines are then claimed once and for all."),
    "refund": N_("Record a refund"),
    "received_on": N_("Received on"),
    "reference": N_("Reference"),
    "record": N_("Record"),
    "status_draft": N_("Draft"),
    "status_filed": N_("Filed"),
    "status_refunded": N_("Refunded"),
    "nothing": N_("No claims for this choice."),
    "ledger": N_("Rebate ledger"),
    "ledger_of": N_("Ledger of"),
    "choose_firm": N_("Choose a firm"),
    "at": N_("At"),
    "entry": N_("Entry"),
    "balance": N_("Balance"),
    "invoiced": N_("Invoiced"),
    "invoice_unmatched": N_("Invoiced, not yet matched"),
    "claimed": N_("Claimed"),
    "receivable": N_("Filed, not yet refunded"),
    "to_repay": N_("Refunded on goods that came back: to repay"),
    "computed": N_("{count} claim(s) computed."),
}

INVOICES_TEXT = {
    "invoices": N_("Invoices"),
    "firm": N_("Firm"),
    "all_firms": N_("Every firm"),
    "number": N_("Number"),
    "issued_on": N_("Issued on"),
    "seller": N_("Seller"),
    "amount_excl_vat": N_("Amount excl. VAT"),
    "vat_amount": N_("VAT"),
    "lines": N_("Lines"),
    "matched": N_("Matched to declarations"),
    "fully": N_("Fully"),
    "partly": N_("Not yet"),
    "record_invoice": N_("Record an invoice"),
    "hs_code": N_("HS code"),
    "quantity": N_("Quantity"),
    "amount": N_("Amount excl. VAT (CNY)"),
    "add_line": N_("Add a line"),
    "remove": N_("Remove"),
    "record": N_("Record"),
    "recorded": N_("Invoice {number} recorded."),
    "nothing": N_("No invoices yet."),
    "more": N_("More"),
}

PROCEEDS_TEXT = {
    "proceeds": N_("Proceeds"),
    "proceeds_hint": N_("Foreign currency received for export orders: record each receipt with the bank's reference."),
    "order": N_("Order"),
    "firms": N_("Firms"),
    "destination": N_("Destination"),
    "status": N_("Status"),
    "value": N_("Order value"),
    "received": N_("Received"),
    "received_on": N_("Received on"),
    "amount": N_("Amount"),
    "reference": N_("Reference"),
    "record": N_("Record"),
    "nothing": N_("No export orders yet."),
    "more": N_("More"),
    "status_placed": N_("Placed"),
    "status_paid": N_("Paid"),
    "status_shipped": N_("Shipped"),
    "status_cleared": N_("Cleared"),
    "status_cancelled": N_("Cancelled"),
}


@bp.get("/statements")
@for_people(*TRADE)
def statements():
    """Every firm's monthly statements: computing a month's, approving them, recording the payments."""
    return statements_page(keeper=True)


@bp.get("/claims")
@for_people(*TRADE)
def claims():
    """Rebate claims: computing a period's, what each firm still needs, filing, refunds; a firm's ledger."""
    return render_page("trade/claims.html", CLAIMS_TEXT)


@bp.get("/invoices")
@for_people(*TRADE)
def invoices():
    """The firms' purchase and agency invoices, how far each is matched, and recording one."""
    return render_page("trade/invoices.html", INVOICES_TEXT)


@bp.get("/proceeds")
@for_people(*TRADE)
def proceeds():
    """Export orders with the proceeds received for each, and recording a receipt."""
    return render_page("trade/proceeds.html", PROCEEDS_TEXT)
