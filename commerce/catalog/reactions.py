"""How the catalogue reacts to events of other areas."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.audit import service as audit
from commerce.catalog.models import Product, ProductStatus
from commerce.events import MembershipLapsed


def marked_products(session: Session, *, enterprise_id: int, trademark_id: int) -> list[int]:
    """The ids of a firm's products shown under a mark (retired ones aside)."""
    return list(
        session.scalars(
            select(Product.id)
            .where(
                Product.enterprise_id == enterprise_id,
                Product.trademark_id == trademark_id,
                Product.status != ProductStatus.RETIRED.value,
            )
            .order_by(Product.id)
        )
    )


def withdraw_trademark_use(session: Session, event: MembershipLapsed, *, actor: Actor) -> None:
    """Record on each of the firm's marked products that the mark may no longer be shown."""
    product_ids = marked_products(session, enterprise_id=event.enterprise_id, trademark_id=event.trademark_id)
    for product_id in product_ids:
        audit.record(
            session,
            actor=actor,
            entity="product",
            entity_id=product_id,
            action="trademark_withdrawn",
            changes={"membership_id": event.membership_id, "membership_status": event.status},
        )
