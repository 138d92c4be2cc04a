"""What every page shares: who is signed in, the navigation their role is shown, the language, the texts."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf

from commerce.accounts.errors import InvalidToken
from commerce.actors import Actor, Role
from commerce.errors import N_, Forbidden
from commerce.web.auth import current_actor, session_token
from commerce.web.i18n import LANGUAGE_COOKIE, locale_for_tag, negotiate_locale, translate
from commerce.web.problems import TITLES

LAYOUT_TEXT = {
    "site": N_("Cluster commerce"),
    "home": N_("Home"),
    "sign_in": N_("Sign in"),
    "sign_out": N_("Sign out"),
    "menu": N_("Menu"),
    "skip": N_("Skip to the content"),
    "signed_in_as": N_("Signed in as"),
    "loading": N_("Loading…"),
    "role_admin": N_("Platform admin"),
    "role_brand_admin": N_("Brand association"),
    "role_sme": N_("Firm"),
    "role_host": N_("Host"),
    "role_trade_operator": N_("Trade service"),
}


@dataclass(frozen=True)
class Destination:
    """A place in the navigation: the page's endpoint, its label and the roles shown it; ``lands``:
    its roles go straight there from their home (the only place of a role always does)."""

    endpoint: str
    label: str
    roles: frozenset[Role]
    hint: str = ""
    lands: bool = False


FIRM = frozenset({Role.SME})
ASSOCIATION = frozenset({Role.BRAND_ADMIN, Role.ADMIN})
HOSTS = frozenset({Role.HOST})
TRADE = frozenset({Role.TRADE_OPERATOR, Role.ADMIN})
CLUSTER_FIGURES = frozenset({Role.BRAND_ADMIN, Role.TRADE_OPERATOR, Role.ADMIN})

NAVIGATION = (
    Destination("firm.products", N_("Products"), FIRM, N_("Your products, their review and stock")),
    Destination("firm.imports", N_("Bulk import"), FIRM, N_("Add many products from a CSV or XLSX file")),
    Destination("firm.orders", N_("Sales orders"), FIRM, N_("The orders for your products")),
    Destination("firm.after_sales", N_("After-sales"), FIRM, N_("Refunds and returns of your goods")),
    Destination("firm.statements", N_("Statements"), FIRM, N_("What each month's sales leave you")),
    Destination("firm.exports", N_("Exports and rebates"), FIRM, N_("Rebate claims and what they still need")),
    Destination("firm.letter", N_("Letter of authorisation"), FIRM, N_("The document marketplaces ask for")),
    Destination("association.reviews", N_("Review queue"), ASSOCIATION, N_("Products waiting for approval")),
    Destination("association.members", N_("Members"), ASSOCIATION, N_("Firms licensed to use the mark")),
    # A host signing in during a show wants the streams at once.
    Destination("host.streams", N_("Streams"), HOSTS, N_("Schedule streams, build lineups, go live"), lands=True),
    Destination("host.commissions", N_("Commissions"), HOSTS, N_("What your streams earned in the month")),
    Destination("console.customs_batches", N_("Customs"), TRADE, N_("Batches and declarations")),
    Destination("trade.claims", N_("Rebate claims"), TRADE, N_("Compute, complete and file claims")),
    Destination("trade.statements", N_("Statements"), TRADE, N_("Each firm's month: compute, approve, pay")),
    Destination("trade.invoices", N_("Invoices"), TRADE, N_("Purchase invoices of the firms")),
    Destination("trade.proceeds", N_("Proceeds"), TRADE, N_("Foreign currency received")),
    Destination("console.dashboard", N_("Export statistics"), CLUSTER_FIGURES, N_("The cluster's exports")),
)


def destinations_for(role: Role) -> list[Destination]:
    """The pages a role is shown, in the navigation's order."""
    return [destination for destination in NAVIGATION if role in destination.roles]


def page_actor() -> Actor | None:
    """The person signed in through the pages, or None (no session, or its token expired or was revoked)."""
    if session_token() is None:
        return None
    try:
        return current_actor()
    except InvalidToken:
        return None


def safe_next(target: str | None) -> str | None:
    """A place to return to after signing in: a path on this site, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith("/api/"):
        return None
    return target


def for_people(*roles: Role) -> Callable:
    """A page for signed-in people (of the given roles, if any); others are sent to sign in."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def page(**kwargs):
            chosen_locale()
            actor = page_actor()
            if actor is None:
                return redirect(url_for("sessions.sign_in", next=request.full_path.rstrip("?")))
            if roles and actor.role not in roles:
                raise Forbidden()
            return view(**kwargs)

        return page

    return decorate


def chosen_locale() -> str:
    """The page's language: ``?lang=`` (remembered in a cookie), then the cookie, then Accept-Language."""
    chosen = locale_for_tag(request.args.get("lang", ""))
    if chosen:
        g.locale = chosen
        g.remember_locale = chosen
    return negotiate_locale()


def texts(messages: dict[str, str], locale: str) -> dict[str, str]:
    return {key: translate(message, locale) for key, message in messages.items()}


def script_json(value) -> str:
    """JSON to embed in a page's <script> element (a "</" inside cannot close it)."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def _language_context(locale: str, messages: dict[str, str]) -> dict:
    """The layout's language: its texts and the page's in ``locale``, and the way to the other language."""
    text = texts({**LAYOUT_TEXT, **messages}, locale)
    text["other_language"] = "English" if locale == "zh_CN" else "中文"
    return {
        "text": text,
        "html_lang": "zh-CN" if locale == "zh_CN" else "en",
        "other_language": "en" if locale == "zh_CN" else "zh-CN",
        "current_path": request.path,
    }


def render_page(template: str, messages: dict[str, str] | None = None, **context):
    """A page in the person's language, with the navigation of their role and the page's texts for its script."""
    locale = chosen_locale()
    language = _language_context(locale, messages or {})
    actor = g.get("actor")
    navigation = [
        {"href": url_for(item.endpoint), "label": translate(item.label, locale), "hint": translate(item.hint, locale)}
        for item in (destinations_for(actor.role) if actor else [])
    ]
    return render_template(
        template,
        **language,
        text_json=script_json(language["text"]),
        actor=actor,
        navigation=navigation,
        csrf_token=generate_csrf(),
        **context,
    )


def remember_locale(response):
    """Keeps a language chosen with ``?lang=`` for a year."""
    chosen = g.get("remember_locale")
    if chosen and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


ERROR_TEXT = {
    "go_home": N_("Back to the start"),
    "sign_in_again": N_("Sign in"),
}


def error_context(status: int) -> dict:
    """What the error page shows around the problem: the layout's texts, the language, the way on."""
    locale = negotiate_locale()
    return {
        **_language_context(locale, ERROR_TEXT),
        "text_json": "{}",
        "actor": None,
        "navigation": [],
        "csrf_token": "",
        "title": translate(TITLES.get(status, TITLES[400]), locale),
    }
