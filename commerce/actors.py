"""Who acts: the roles of the platform's users, and the actor every use case is given."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from commerce.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    BRAND_ADMIN = "brand_admin"
    SME = "sme"
    HOST = "host"
    TRADE_OPERATOR = "trade_operator"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: the authenticated user as the domain sees it (or the system itself)."""

    user_id: int | None
    role: Role
    enterprise_id: int | None = None
    email: str = "system"

    @classmethod
    def system(cls) -> Actor:
        """The platform acting on its own (CLI commands, scheduled jobs)."""
        return cls(user_id=None, role=Role.ADMIN, email="system")

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


def require_role(actor: Actor, *roles: Role) -> None:
    """Refuse (403) an actor whose role is not among ``roles``; admins may do everything."""
    if actor.role != Role.ADMIN and actor.role not in roles:
        raise Forbidden()
