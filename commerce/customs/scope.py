"""Whose customs work a trade operator sees: the platform, batches and declarations of its cluster."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlmodel import Session

from commerce.accounts.models import Actor, Role
from commerce.clusters.models import Enterprise
from commerce.customs.models import CustomsBatch, CustomsPlatform
from commerce.errors import NotFound


def operator_platforms(actor: Actor) -> Select | None:
    """The ids of the platforms a trade operator works for: those of its firm's cluster (none when it
    has no firm). None for other roles: admins see every platform, firms by their own goods."""
    if actor.role != Role.TRADE_OPERATOR:
        return None
    cluster = select(Enterprise.cluster_id).where(Enterprise.id == actor.enterprise_id).scalar_subquery()
    return select(CustomsPlatform.id).where(CustomsPlatform.cluster_id == cluster)


def check_batch(session: Session, actor: Actor, batch: CustomsBatch | None) -> CustomsBatch:
    """The batch, if the actor's platforms hold it (404 otherwise, as if it were not there)."""
    if batch is None:
        raise NotFound()
    platforms = operator_platforms(actor)
    if platforms is not None and batch.platform_id not in session.scalars(platforms).all():
        raise NotFound()
    return batch
