"""One marketplace client per account and deployment, paced by the account's shared rate allowance."""

from __future__ import annotations

import hashlib
import json
import threading
import time

from sqlalchemy import update

from commerce.config import Settings
from commerce.db import Database
from commerce.jobs.pacing import DatabaseGate
from commerce.listings.models import ChannelAccount, rate_key
from commerce.secrets import unseal
from integrations.marketplace import MarketplaceClient
from integrations.marketplaces import marketplace

# An account's last success is written down at most this often (every sync job succeeds).
SUCCESS_NOTE_SECONDS = 5.0


class Connections:
    """Clients are kept per account (and rebuilt when its credentials or settings change)."""

    def __init__(self, *, clock=time.monotonic):
        self.lock = threading.Lock()
        self.clients: dict[int, tuple[str, MarketplaceClient]] = {}
        self.clock = clock
        self.success_noted: dict[int, float] = {}

    def success_note_due(self, account_id: int) -> bool:
        """Whether an account's success should be written down now (and, if so, note that it is)."""
        moment = self.clock()
        with self.lock:
            if moment - self.success_noted.get(account_id, -SUCCESS_NOTE_SECONDS) < SUCCESS_NOTE_SECONDS:
                return False
            self.success_noted[account_id] = moment
            return True

    def client(self, database: Database, settings: Settings, account: ChannelAccount) -> MarketplaceClient:
        version = hashlib.sha256(
            (account.credentials_sealed + json.dumps(account.settings, sort_keys=True)).encode()
            + str(account.rate_limit_per_second).encode()
        ).hexdigest()
        with self.lock:
            kept = self.clients.get(account.id)
            if kept is not None and kept[0] == version:
                return kept[1]
            account_id = account.id

            def count_throttle(session) -> None:
                session.execute(
                    update(ChannelAccount)
                    .where(ChannelAccount.id == account_id)
                    .values(throttled_count=ChannelAccount.throttled_count + 1)
                )

            gate = DatabaseGate(
                database,
                key=rate_key(account.id),
                rate_per_second=account.rate_limit_per_second,
                max_wait=settings.marketplace_max_wait_seconds,
                on_penalty=count_throttle,
            )
            client = marketplace(account.platform).client(
                unseal(settings.secret_key, account.credentials_sealed), account.settings, gate=gate
            )
            self.clients[account.id] = (version, client)
            return client
