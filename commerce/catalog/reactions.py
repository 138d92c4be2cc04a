"""How the catalogue reacts to events of other areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from commerce.accounts.models import Actor
from commerce.audit import service as audit
from commerce.catalog.models import Product, ProductStatus
from commerce.events import MembershipLapsed


def withdraw_trademark_use(session: Session, event: MembershipLapsed, *, actor: Actor) -> None:
    """Record on each of the firm's marked products that the mark may no longer be shown."""
    product_ids = session.scalars(
        select(Product.id).where(
            Product.enterprise_id == event.enterprise_id,
            Product.trademark_id == event.trademark_id,
            Product.status != ProductStatus.RETIRED.value,
        )
    ).all()
    for product_id in product_ids:
        audit.record(
            session,
            actor=actor,
            entity="product",
            entity_id=product_id,
            action="trademark_withdrawn",
            changes={"membership_id": event.membership_id, "membership_status": event.status},
        )
