"""What a membership's lapse would take off the firm: its products under the mark, their listings on
marketplaces and their places in the lineups of streams not yet live (asked before a suspension)."""

from __future__ import annotations

from sqlmodel import Session

from commerce.actors import Actor
from commerce.catalog.reactions import marked_products
from commerce.clusters.models import LapseEffects
from commerce.clusters.trademarks import get_membership
from commerce.listings.reactions import marked_listings
from commerce.live.reactions import upcoming_marked_lineup


def lapse_effects(session: Session, *, actor: Actor, trademark_id: int, membership_id: int) -> LapseEffects:
    """What suspending, revoking or letting the membership expire would take off, as of now."""
    membership = get_membership(session, actor=actor, trademark_id=trademark_id, membership_id=membership_id)
    marked = {"enterprise_id": membership.enterprise_id, "trademark_id": membership.trademark_id}
    lineup = upcoming_marked_lineup(session, **marked)
    return LapseEffects(
        products=len(marked_products(session, **marked)),
        listings=len(marked_listings(session, membership.enterprise_id, membership.trademark_id)),
        lineup_items=len(lineup),
        streams=sorted({row.stream_id for row in lineup}),
    )
