"""One deployment: its settings and the long-lived parts built from them, kept on its application.

Two applications in one process (tests, a command run inside a worker) each have their own, so
neither sees the other's settings, password cost, marketplace clients or counterparts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from commerce.accounts.passwords import Passwords
from commerce.config import Settings
from commerce.db import Database
from commerce.listings.connections import Connections

if TYPE_CHECKING:
    from commerce.customs.tasks import GatewayFactory
    from commerce.rebates.tasks import SourceFactory


@dataclass
class Deployment:
    """What background jobs, commands and requests of one application run with."""

    settings: Settings
    database: Database
    passwords: Passwords
    marketplace_clients: Connections = field(default_factory=Connections)
    # Where customs' gateway and the central parity come from; None is the real HTTP clients.
    # Tests and local demos put a fake or a client on an in-process simulator here.
    customs_gateway: GatewayFactory | None = None
    parity_source: SourceFactory | None = None

    @classmethod
    def build(cls, settings: Settings, database: Database) -> Deployment:
        passwords = Passwords(time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib)
        return cls(settings=settings, database=database, passwords=passwords)
