"""Whose customs work a trade operator sees: the platform, batches and declarations of its cluster."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session

from commerce.actors import Actor, Role
from commerce.clusters.permissions import cluster_of
from commerce.customs.models import CustomsBatch, CustomsDeclaration, CustomsPlatform
from commerce.db import row_for_update
from commerce.errors import NotFound


def operator_platforms(actor: Actor) -> Select | None:
    """The ids of the platforms a trade operator works for: those of its firm's cluster (none when it
    has no firm). None for other roles: admins see every platform, firms by their own goods."""
    if actor.role != Role.TRADE_OPERATOR:
        return None
    return select(CustomsPlatform.id).where(CustomsPlatform.cluster_id.in_(cluster_of(actor.enterprise_id)))


def within_platforms(statement: Select, actor: Actor, platform_column: Any) -> Select:
    """A select kept to the platforms the actor works for (unchanged for roles not bound to any)."""
    platforms = operator_platforms(actor)
    return statement if platforms is None else statement.where(platform_column.in_(platforms))


def check_batch(session: Session, actor: Actor, batch: CustomsBatch | None) -> CustomsBatch:
    """The batch, if the actor's platforms hold it (404 otherwise, as if it were not there)."""
    if batch is None:
        raise NotFound()
    platforms = operator_platforms(actor)
    if platforms is not None and session.scalar(platforms.where(CustomsPlatform.id == batch.platform_id)) is None:
        raise NotFound()
    return batch


def locked_declaration(session: Session, actor: Actor, declaration_id: int) -> CustomsDeclaration:
    """The declaration, locked for the change to come, if the actor's platforms hold it (404 otherwise)."""
    declaration = row_for_update(session, CustomsDeclaration, declaration_id)
    if declaration is None:
        raise NotFound()
    check_batch(session, actor, session.get(CustomsBatch, declaration.batch_id))
    return declaration
