"""Who may see and do what: the rules every area's use cases apply to the actor."""

from __future__ import annotations

from commerce.accounts.models import Actor, Role
from commerce.errors import Forbidden, NotFound


def require_role(actor: Actor, *roles: Role) -> None:
    """Refuse (403) an actor whose role is not among ``roles``; admins may do everything."""
    if actor.role != Role.ADMIN and actor.role not in roles:
        raise Forbidden()


def require_own_enterprise(actor: Actor, enterprise_id: int) -> None:
    """Hide (404) another firm's data from a firm's own staff."""
    if actor.role == Role.SME and actor.enterprise_id != enterprise_id:
        raise NotFound()


def is_firm_scoped(actor: Actor) -> bool:
    """Whether the actor sees only their own firm's data."""
    return actor.role == Role.SME
