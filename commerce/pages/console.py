"""The host console, the trade operator's customs pages and the cluster's export dashboard."""

from __future__ import annotations

from flask import Blueprint

from commerce.actors import Role
from commerce.customs.codes import CUSTOMS_OFFICES, TRANSPORT_MODES
from commerce.errors import N_
from commerce.orders.models import CustomsMode
from commerce.pages.rendering import CLUSTER_FIGURES, TRADE, for_people, render_page, script_json
from commerce.web.i18n import translate

bp = Blueprint("console", __name__)

CONSOLE_TEXT = {
    "console": N_("Host console"),
    "start": N_("Go live"),
    "end": N_("End stream"),
    "confirm_end": N_("End the stream? Unsold allocations return to general stock."),
    "position": N_("Link"),
    "product": N_("Product"),
    "stock_left": N_("Stock left"),
    "live_price": N_("Live price"),
    "picture": N_("Picture"),
    "sold_of": N_("{sold} of {quantity} sold"),
    "sale_ended": N_("ended"),
    "closed": N_("This stream has ended: pinning, reordering and flash sales are closed."),
    "orders": N_("Orders"),
    "units": N_("Units"),
    "gmv": N_("GMV"),
    "actions": N_("Actions"),
    "totals": N_("Totals"),
    "pin": N_("Pin"),
    "unpin": N_("Unpin"),
    "flash_sale": N_("Flash sale"),
    "deal_price": N_("Deal price"),
    "quantity": N_("Quantity"),
    "per_buyer_limit": N_("Limit per buyer"),
    "countdown": N_("Countdown (s)"),
    "duration": N_("Duration (s)"),
    "start_flash_sale": N_("Start flash sale"),
    "starts_in": N_("starts in"),
    "ends_in": N_("ends in"),
    "status_scheduled": N_("Scheduled"),
    "status_live": N_("Live"),
    "status_ended": N_("Ended"),
    "status_cancelled": N_("Cancelled"),
}


CUSTOMS_TEXT = {
    "customs": N_("Customs declarations"),
    "batches": N_("Batches"),
    "form_batch": N_("Form a batch"),
    "customs_mode": N_("Customs mode"),
    "period": N_("Period"),
    "period_hint": N_("9610 monthly summary: the month of the cleared lists"),
    "status": N_("Status"),
    "any": N_("Any"),
    "show": N_("Show"),
    "batch": N_("Batch"),
    "kind": N_("Kind"),
    "version": N_("Version"),
    "orders": N_("Orders"),
    "declarations": N_("Declarations"),
    "due_date": N_("Due date"),
    "warnings": N_("Warnings"),
    "created_at": N_("Formed"),
    "submitted_at": N_("Submitted"),
    "previous_version": N_("Previous version"),
    "superseded_by": N_("Superseded by"),
    "submit": N_("Submit to customs"),
    "confirm_submit": N_("Submit the batch? After submission it can no longer be changed."),
    "discard": N_("Discard"),
    "confirm_discard": N_("Discard the draft? Its orders become eligible again."),
    "revise": N_("New version"),
    "seq_no": N_("No."),
    "cop_no": N_("Enterprise number"),
    "entry_id": N_("Customs number"),
    "producing_firm": N_("Producing firm"),
    "arrival_country": N_("Arrival country"),
    "lines": N_("Lines"),
    "open": N_("Open"),
    "download": N_("Download"),
    "header": N_("Header"),
    "consignor": N_("Consignor"),
    "transport_mode": N_("Transport mode"),
    "exit_port": N_("Exit port"),
    "declaring_customs": N_("Declaring customs"),
    "source_region": N_("Domestic source region"),
    "trade_terms": N_("Trade terms"),
    "gross_weight": N_("Gross weight (kg)"),
    "value_cny": N_("Value (CNY)"),
    "value_usd": N_("Value (USD)"),
    "simplified_eligible": N_("Simplified list"),
    "rebate_eligible": N_("Rebate"),
    "yes": N_("Yes"),
    "no": N_("No"),
    "line_no": N_("Line"),
    "hs_code": N_("HS code"),
    "goods": N_("Goods"),
    "destination": N_("Destination"),
    "quantity": N_("Quantity"),
    "unit_price": N_("Unit price"),
    "total_price": N_("Total price"),
    "firms_and_orders": N_("Firms and orders"),
    "inventory_lists": N_("Inventory lists merged"),
    "receipts": N_("Receipts"),
    "no_receipts": N_("No receipts yet."),
    "at": N_("At"),
    "source": N_("Source"),
    "customs_note": N_("Customs note"),
    "record_receipt": N_("Record a receipt"),
    "record": N_("Record"),
    "status_draft": N_("Draft"),
    "status_submitted": N_("Submitted"),
    "status_accepted": N_("Accepted"),
    "status_rejected": N_("Rejected"),
    "status_cleared": N_("Cleared"),
    "status_cancelled": N_("Cancelled by customs"),
    "status_requested": N_("Cancellation asked"),
    "status_refused": N_("Refused"),
    "kind_inventory": N_("Inventory lists"),
    "kind_summary": N_("Monthly summary"),
    "kind_declaration": N_("Customs declaration"),
    "kind_inventory_list": N_("Inventory list"),
    "returns": N_("Export returns"),
    "returns_hint": N_(
        "Goods released that came back within a year of export, in their original state (announcement 2020 "
        "No. 44). They leave later rebate claims; a rebate already refunded on them is to be repaid."
    ),
    "no_returns": N_("No goods came back."),
    "record_return": N_("Record a return"),
    "returned_on": N_("Returned on"),
    "return_reference": N_("Return entry number"),
    "reason": N_("Reason"),
    "original_state": N_("In their original state"),
    "cancellation": N_("Cancelling the list"),
    "cancellation_hint": N_(
        "Before the goods leave, customs can cancel a list it has entered or released (CEB605); its order "
        "then leaves the batch and can be declared again. Once a monthly summary holds the list, it stays."
    ),
    "no_cancellations": N_("No cancellation asked."),
    "requested_at": N_("Asked on"),
    "ask_cancellation": N_("Ask customs to cancel"),
    "confirm_cancellation": N_("Ask customs to cancel this list? Customs answers within minutes."),
}


DASHBOARD_TEXT = {
    "dashboard": N_("Cluster exports"),
    "from": N_("From"),
    "to": N_("To"),
    "show": N_("Show"),
    "rebuild": N_("Rebuild statistics"),
    "fob_usd": N_("Exports (FOB, USD)"),
    "fob_cny": N_("Exports (FOB, CNY)"),
    "declarations": N_("Declarations"),
    "local_share": N_("Declared locally"),
    "local_share_hint": N_("Value declared with the local platform as consignor, of all known exports"),
    "rebates_claimed": N_("Rebates claimed"),
    "rebates_pending": N_("Rebates awaiting refund"),
    "by_month": N_("By month"),
    "by_country": N_("By destination country"),
    "by_hs_chapter": N_("By HS chapter"),
    "by_enterprise": N_("By firm"),
    "refreshed_at": N_("Statistics as of"),
    "not_built": N_("Not yet built for"),
    "nothing": N_("No exports in this range."),
    "download_csv": N_("Download CSV"),
    "download_xlsx": N_("Download XLSX"),
    "sales": N_("Sales: gross and net"),
    "sales_hint": N_(
        "The orders placed in these months, on streams and elsewhere: what they sold, what after-sales paid "
        "back, what is left, and the refund rate."
    ),
    "sales_by_firms": N_("By firm"),
    "sales_by_hosts": N_("By host (stream orders)"),
    "sales_firm": N_("Firm"),
    "sales_host": N_("Host"),
    "orders": N_("Orders"),
    "gross": N_("Gross"),
    "refunds": N_("Refunds"),
    "net": N_("Net"),
    "refund_rate": N_("Refund rate"),
    "total": N_("Total"),
}


@bp.get("/console/streams/<int:stream_id>")
@for_people(Role.HOST, Role.ADMIN)
def stream_console(stream_id: int):
    """The host console: one stream's lineup, live figures, pinning and flash sales, over the API."""
    return render_page("console.html", CONSOLE_TEXT, stream_id=stream_id)


def _customs_page(batch_id: int | None):
    """The customs page, with the names of the codes its declarations carry in the person's language."""
    names = {
        "transport_mode": {code: translate(name) for code, name in TRANSPORT_MODES.items()},
        "customs_office": {code: translate(name) for code, name in CUSTOMS_OFFICES.items()},
    }
    return render_page(
        "customs.html",
        CUSTOMS_TEXT,
        batch_id=batch_id,
        modes=[mode.value for mode in CustomsMode],
        code_names_json=script_json(names),
    )


@bp.get("/console/customs")
@for_people(*TRADE)
def customs_batches():
    """The trade operator's batches: forming, filtering, due dates and warnings."""
    return _customs_page(None)


@bp.get("/console/customs/batches/<int:batch_id>")
@for_people(*TRADE)
def customs_batch(batch_id: int):
    """One batch: its declarations with header, lines, orders and firms, messages and receipts."""
    return _customs_page(batch_id)


@bp.get("/dashboard")
@for_people(*CLUSTER_FIGURES)
def dashboard():
    """The cluster's export dashboard: months, countries, HS chapters and firms as charts, the local share."""
    return render_page("dashboard.html", DASHBOARD_TEXT)
