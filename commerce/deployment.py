"""One deployment: its settings and the long-lived parts built from them, kept on its application.

Two applications in one process (tests, a command run inside a worker) each have their own, so
neither sees the other's settings, password cost, marketplace clients or counterparts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from commerce.accounts.passwords import Passwords
from commerce.accounts.recent_tokens import RecentTokens
from commerce.config import Settings
from commerce.customs.signing import AgentSigner, KeyFileSigner, MessageSigner
from commerce.db import Database
from commerce.listings.connections import Connections
from commerce.media.storage import FolderStore, MediaStore

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
    # What signs customs' messages; None until a key is configured (nothing is sent without one).
    customs_signer: MessageSigner | None = None
    # Where product photos are kept.
    media_store: MediaStore | None = None
    # Tokens its workers verified a moment ago (``accounts.recent_tokens``); none kept by default.
    recent_tokens: RecentTokens = field(default_factory=lambda: RecentTokens(0))

    @classmethod
    def build(cls, settings: Settings, database: Database) -> Deployment:
        passwords = Passwords(time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib)
        return cls(
            settings=settings,
            database=database,
            passwords=passwords,
            customs_signer=_signer(settings),
            media_store=FolderStore(settings.media_folder),
            recent_tokens=RecentTokens(settings.token_cache_seconds),
        )


def _signer(settings: Settings) -> MessageSigner | None:
    if settings.customs_signing_agent_url:
        token = settings.customs_signing_agent_token
        return AgentSigner(settings.customs_signing_agent_url, token=token.get_secret_value() if token else None)
    files = settings.signing_files
    if files is None:
        return None
    key, certificate = files
    return KeyFileSigner(
        key,
        certificate_path=certificate,
        password=settings.customs_signing_password.get_secret_value() if settings.customs_signing_password else None,
        key_name=settings.customs_signing_key_name,
    )
