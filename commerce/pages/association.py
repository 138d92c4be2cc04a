"""The brand association's pages: the review queue of its mark's products, and the mark's members."""

from __future__ import annotations

from flask import Blueprint, g

from commerce.errors import N_
from commerce.pages.rendering import ASSOCIATION, for_people, render_page

bp = Blueprint("association", __name__, url_prefix="/association")

REVIEWS_TEXT = {
    "reviews": N_("Review queue"),
    "reviews_hint": N_("Products the cluster's firms submitted, oldest first. Approve them, or say what to fix."),
    "firm": N_("Firm"),
    "product_code": N_("Product code"),
    "hs_code": N_("HS code"),
    "declaration_elements": N_("Declaration elements"),
    "legal_units": N_("Legal units"),
    "origin_region_code": N_("Domestic source region"),
    "trademark": N_("Collective trademark"),
    "no_trademark": N_("Not under the mark"),
    "chinese": N_("Chinese"),
    "english": N_("English"),
    "skus": N_("SKUs"),
    "no_photos": N_("No photos"),
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "reason": N_("What the firm must fix"),
    "approved": N_("Approved: {title}"),
    "rejected": N_("Sent back to the firm: {title}"),
    "nothing": N_("Nothing waiting for review."),
    "more": N_("More"),
}

MEMBERS_TEXT = {
    "members": N_("Members"),
    "trademark": N_("Trademark"),
    "firm": N_("Firm"),
    "licence_no": N_("Licence number"),
    "valid": N_("Valid"),
    "status": N_("Status"),
    "reason": N_("Reason"),
    "actions": N_("Actions"),
    "letters": N_("Letters"),
    "chinese_pdf": N_("Chinese PDF"),
    "english_pdf": N_("English PDF"),
    "status_active": N_("Active"),
    "status_suspended": N_("Suspended"),
    "status_revoked": N_("Revoked"),
    "status_expired": N_("Expired"),
    "suspend": N_("Suspend"),
    "reinstate": N_("Reinstate"),
    "revoke": N_("Revoke"),
    "reason_prompt": N_("Why? The firm sees the reason."),
    "effects": N_(
        "This takes the mark off {products} product(s) at once: {listings} marketplace listing(s) are withdrawn or"
        " re-published without it, and {lineup_items} place(s) in upcoming stream lineups are removed. Go on?"
    ),
    "confirm_revoke": N_("Revoking is final; the firm must be admitted again to use the mark."),
    "admit": N_("Admit a member"),
    "valid_from": N_("Valid from"),
    "valid_to": N_("Valid to"),
    "nothing": N_("No members yet."),
    "no_mark": N_("Your association owns no collective trademark here."),
}


@bp.get("/reviews")
@for_people(*ASSOCIATION)
def reviews():
    """Products waiting for the association's review, with their pictures and facts."""
    return render_page("association/reviews.html", REVIEWS_TEXT)


@bp.get("/members")
@for_people(*ASSOCIATION)
def members():
    """The members of the association's marks: licences, validity, status; admit, suspend, reinstate, revoke."""
    return render_page("association/members.html", MEMBERS_TEXT, enterprise_id=g.actor.enterprise_id or "")
