"""The statements page: a firm reads its own months; the platform's finance staff compute every
firm's, approve them once the month is over and record what was paid."""

from __future__ import annotations

from commerce.errors import N_
from commerce.pages.rendering import render_page

STATEMENTS_TEXT = {
    "statements": N_("Statements"),
    "statements_hint": N_(
        "Each month's statement of what a firm is owed: its sales shipped and refunds paid back, less the "
        "host's commission and the platform's fee. Every line names its order."
    ),
    "compute": N_("Compute statements"),
    "compute_hint": N_(
        "Computes the month's draft statements of every firm with something to settle; again replaces the drafts. "
        "Approved months are never changed: what comes late enters the next month."
    ),
    "period": N_("Period"),
    "firm": N_("Firm"),
    "all_firms": N_("Every firm"),
    "status": N_("Status"),
    "any": N_("Any"),
    "show": N_("Show"),
    "currency": N_("Currency"),
    "gross": N_("Sales"),
    "refunds": N_("Refunds"),
    "host_commission": N_("Host commission"),
    "platform_fee": N_("Platform fee"),
    "net_payable": N_("Net payable"),
    "lines": N_("Lines"),
    "actions": N_("Actions"),
    "open": N_("Show lines"),
    "xlsx": N_("Download XLSX"),
    "pdf": N_("Download PDF"),
    "approve": N_("Approve"),
    "confirm_approve": N_("Approve the statement? It will never change afterwards."),
    "pay": N_("Record the payment"),
    "paid_on": N_("Paid on"),
    "reference": N_("Reference"),
    "record": N_("Record"),
    "status_draft": N_("Draft"),
    "status_approved": N_("Approved"),
    "status_paid": N_("Paid"),
    "nothing": N_("No statements for this choice."),
    "lines_of": N_("Lines of the statement"),
    "date": N_("Date"),
    "kind": N_("Kind"),
    "order": N_("Order"),
    "amount": N_("Amount"),
    "net": N_("Net"),
    "kind_sale": N_("Sale"),
    "kind_refund": N_("Refund"),
    "kind_marketplace_fee": N_("Marketplace fee"),
    "more": N_("More"),
    "computed": N_("{count} statement(s) computed."),
    "account": N_("The platform's account"),
    "account_hint": N_(
        "The month of the statements shown: what buyers paid, what the firms were paid and are still owed, the "
        "hosts' commission and the platform's fee. What the platform holds is what it owes and its own fee."
    ),
    "collected": N_("Paid by buyers"),
    "marketplace_fees": N_("Marketplace fees"),
    "paid_to_firms": N_("Paid to firms"),
    "owed_to_firms": N_("Owed to firms"),
    "owed_to_hosts": N_("Owed to hosts"),
    "held": N_("Held"),
}


def statements_page(*, keeper: bool):
    """The page; ``keeper``: the platform's finance staff, who compute, approve and record payments."""
    return render_page("statements.html", STATEMENTS_TEXT, keeper=keeper)
