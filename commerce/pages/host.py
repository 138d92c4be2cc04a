"""A host's pages: their streams, scheduling one, its lineup, the report after the show, and their commission."""

from __future__ import annotations

from flask import Blueprint

from commerce.actors import Role
from commerce.errors import N_
from commerce.pages.rendering import for_people, render_page

bp = Blueprint("host", __name__, url_prefix="/host")

STREAM_STATUS_TEXT = {
    "status_scheduled": N_("Scheduled"),
    "status_live": N_("Live"),
    "status_ended": N_("Ended"),
    "status_cancelled": N_("Cancelled"),
}

STREAMS_TEXT = {
    **STREAM_STATUS_TEXT,
    "streams": N_("Streams"),
    "upcoming": N_("Upcoming"),
    "live_now": N_("Live now"),
    "past": N_("Past"),
    "stream": N_("Stream"),
    "starts": N_("Starts"),
    "items": N_("Items"),
    "open_console": N_("Open the console"),
    "edit_lineup": N_("Lineup"),
    "report": N_("Report"),
    "schedule": N_("Schedule a stream"),
    "title": N_("Title"),
    "category": N_("Category"),
    "scheduled_start": N_("Starts at"),
    "nothing": N_("None."),
    "cancel": N_("Cancel"),
    "confirm_cancel": N_("Cancel this stream? Its lineup's allocations return to general stock."),
}

LINEUP_TEXT = {
    **STREAM_STATUS_TEXT,
    "lineup": N_("Lineup"),
    "lineup_hint": N_(
        "Drag items to reorder them, or use the arrow buttons (Alt+↑/↓ on a row). A live price and units set aside"
        " per SKU are optional."
    ),
    "position": N_("Link"),
    "product": N_("Product"),
    "firm": N_("Firm"),
    "live_price": N_("Live price"),
    "list_price": N_("List price"),
    "allocations": N_("Units set aside per SKU"),
    "available": N_("available"),
    "move_up": N_("Move up"),
    "move_down": N_("Move down"),
    "remove": N_("Remove"),
    "add": N_("Add to the lineup"),
    "search": N_("Find approved products"),
    "search_placeholder": N_("Title, code or HS code"),
    "save": N_("Save the lineup"),
    "saved": N_("The lineup is saved."),
    "open_console": N_("Open the console"),
    "empty": N_("The lineup is empty: add approved products below."),
    "not_editable": N_("The lineup of a stream that has ended cannot change."),
    "no_results": N_("No approved product matches."),
}

REPORT_TEXT = {
    **STREAM_STATUS_TEXT,
    "report": N_("Report"),
    "started_at": N_("Started"),
    "ended_at": N_("Ended at"),
    "totals": N_("Totals"),
    "by_item": N_("By item"),
    "by_firm": N_("By firm"),
    "position": N_("Link"),
    "product": N_("Product"),
    "firm": N_("Firm"),
    "orders": N_("Orders"),
    "units": N_("Units"),
    "gmv": N_("GMV"),
    "refunds": N_("Refunds"),
    "net": N_("Net"),
    "refund_rate": N_("Refund rate"),
    "net_hint": N_("GMV is what the orders not cancelled sold; net is GMV less what after-sales have paid back."),
    "refused": N_("Refused orders"),
    "refused_hint": N_(
        "Orders the stream could not take: out of stock, the deal sold out or over its limit, an old price."
    ),
    "flash_sales": N_("Flash sales"),
    "sold_of": N_("{sold} of {quantity} sold"),
}


@bp.get("/streams")
@for_people(Role.HOST)
def streams():
    """The host's streams, upcoming, live and past, and a form to schedule one."""
    return render_page("host/streams.html", STREAMS_TEXT)


@bp.get("/streams/<int:stream_id>/lineup")
@for_people(Role.HOST)
def lineup(stream_id: int):
    """A stream's lineup: approved products in order, each with a live price and units set aside per SKU."""
    return render_page("host/lineup.html", LINEUP_TEXT, stream_id=stream_id)


@bp.get("/streams/<int:stream_id>/report")
@for_people(Role.HOST)
def report(stream_id: int):
    """The post-show report: per item and per firm, orders, units, GMV and refused orders."""
    return render_page("host/report.html", REPORT_TEXT, stream_id=stream_id)


COMMISSIONS_TEXT = {
    "commissions": N_("Commissions"),
    "commissions_hint": N_(
        "Your commission on each stream's sales in the month's statements, less the part refunds give back; "
        "settled: what statements approved by the platform hold."
    ),
    "period": N_("Period"),
    "show": N_("Show"),
    "stream": N_("Stream"),
    "sales": N_("Sales less refunds"),
    "commission": N_("Commission"),
    "settled": N_("Settled"),
    "nothing": N_("No commission in this month's statements yet."),
}


@bp.get("/commissions")
@for_people(Role.HOST)
def commissions():
    """The host's commission per stream in a month's statements."""
    return render_page("host/commissions.html", COMMISSIONS_TEXT)
