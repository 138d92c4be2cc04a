"""Recording and reading the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from commerce.actors import Actor
from commerce.audit.models import AuditEvent


def record(
    session: Session, *, actor: Actor, entity: str, entity_id: int, action: str, changes: dict[str, Any] | None = None
) -> AuditEvent:
    """Add one audit event to the caller's unit of work."""
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_email=actor.email,
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=changes or {},
    )
    session.add(event)
    return event


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose values differ, as ``{field: {"from": old, "to": new}}``."""
    return {name: {"from": before.get(name), "to": value} for name, value in after.items() if before.get(name) != value}


def history(session: Session, *, entity: str, entity_ids: Sequence[int], limit: int = 200) -> list[AuditEvent]:
    """The newest audit events of some entities, newest first."""
    statement = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id.in_(list(entity_ids)))
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.exec(statement))
