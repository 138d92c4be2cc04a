"""Pages for people: the front page, and the host console of a livestream."""

from __future__ import annotations

import json

from flask import Blueprint, g, render_template, request

from commerce.errors import N_
from commerce.web.i18n import locale_for_tag, negotiate_locale, translate

bp = Blueprint("pages", __name__)

CONSOLE_TEXT = {
    "console": N_("Host console"),
    "start": N_("Go live"),
    "end": N_("End stream"),
    "confirm_end": N_("End the stream? Unsold allocations return to general stock."),
    "sign_in": N_("Sign in"),
    "email": N_("Email"),
    "password": N_("Password"),
    "position": N_("Link"),
    "product": N_("Product"),
    "stock_left": N_("Stock left"),
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


@bp.get("/")
def index():
    return render_template("index.html")


@bp.get("/console/streams/<int:stream_id>")
def stream_console(stream_id: int):
    """The host console: a static page whose script signs in and drives the API; ?lang= picks the language."""
    chosen = locale_for_tag(request.args.get("lang", ""))
    if chosen:
        g.locale = chosen
    locale = negotiate_locale()
    text = {key: translate(message, locale) for key, message in CONSOLE_TEXT.items()}
    text["other_language"] = "English" if locale == "zh_CN" else "中文"
    return render_template(
        "console.html",
        stream_id=stream_id,
        text=text,
        text_json=json.dumps(text, ensure_ascii=False).replace("</", "<\\/"),
        html_lang="zh-CN" if locale == "zh_CN" else "en",
        other_language="en" if locale == "zh_CN" else "zh-CN",
    )
