"""The front page, signing in and out of the pages, and each role's home."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, session, url_for

from commerce.accounts import service as accounts
from commerce.accounts.errors import CsrfFailed
from commerce.errors import N_, DomainError
from commerce.pages.rendering import destinations_for, for_people, page_actor, render_page, safe_next
from commerce.web.auth import SESSION_TOKEN, require_csrf, session_token, sign_in_with_password
from commerce.web.database import current_deployment, db_session
from commerce.web.problems import explain

bp = Blueprint("sessions", __name__)

FRONT_TEXT = {
    "title": N_("The cluster's shared commerce platform"),
    "lead": N_(
        "Collective trademark, catalogue, livestreams, marketplace sync, export customs and rebates for the"
        " cluster's firms."
    ),
    "who_firm": N_("Firms upload their products, keep stock and see their orders, exports and rebates."),
    "who_association": N_("The brand association reviews products and manages the members of its mark."),
    "who_host": N_("Hosts schedule streams, build lineups and run the show."),
    "who_trade": N_("The trade service declares exports to customs and claims the firms' rebates."),
    "for_developers": N_("For developers"),
    "api_docs": N_("API documentation"),
}

SIGN_IN_TEXT = {
    "email": N_("Email"),
    "password": N_("Password"),
    "sign_in_hint": N_("Sign in with the e-mail and password your association or platform gave you."),
}

HOME_TEXT = {
    "welcome": N_("What would you like to do?"),
}


@bp.get("/")
def front():
    """The front page: what the platform is, and the way in."""
    page_actor()
    return render_page("front.html", FRONT_TEXT)


@bp.get("/login")
def sign_in():
    """The sign-in form; someone already signed in goes on."""
    target = safe_next(request.args.get("next"))
    if page_actor() is not None:
        return redirect(target or url_for("sessions.home"))
    return render_page("sign_in.html", SIGN_IN_TEXT, next=target or "", email="", problem=None)


@bp.post("/login")
def sign_in_submit():
    """Signs in: the session cookie carries a token of its own, revoked at sign-out."""
    target = safe_next(request.form.get("next"))
    email = request.form.get("email", "")[:320]
    try:
        require_csrf(request.form.get("csrf_token"))
        token, _record, _user = sign_in_with_password(email, request.form.get("password", "")[:200])
    except DomainError as error:
        status, problem = explain(error)
        if isinstance(error, CsrfFailed):
            status = 400
        page = render_page("sign_in.html", SIGN_IN_TEXT, next=target or "", email=email, problem=problem)
        return page, status
    session.clear()
    session.permanent = True
    session[SESSION_TOKEN] = token
    return redirect(target or url_for("sessions.home"))


@bp.post("/logout")
def sign_out():
    """Signs out: the session's token is revoked and the cookie emptied."""
    require_csrf(request.form.get("csrf_token"))
    token = session_token()
    if token is not None:
        accounts.revoke_token(db_session(), token=token, recent=current_deployment().recent_tokens)
    session.clear()
    return redirect(url_for("sessions.sign_in"))


@bp.get("/home")
@for_people()
def home():
    """A person's home: the things their role does, each a card."""
    cards = destinations_for(g.actor.role)
    landing = next((card for card in cards if card.lands), cards[0] if len(cards) == 1 else None)
    if landing is not None:
        return redirect(url_for(landing.endpoint))
    return render_page("home.html", HOME_TEXT)
