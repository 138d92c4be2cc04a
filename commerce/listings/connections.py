"""One marketplace client per account and deployment, paced by the account's shared rate allowance."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from commerce.config import Settings
from commerce.db import Database, utcnow, write_transaction
from commerce.jobs.pacing import DatabaseBucket, DatabaseGate
from commerce.listings.models import ChannelAccount, MarketplaceMedia, rate_key
from commerce.recent import Recent
from commerce.secrets import unseal
from commerce.sql import upsert
from integrations.marketplace import MarketplaceClient
from integrations.marketplaces import marketplace

if TYPE_CHECKING:
    from commerce.listings.webhooks import WebhookAccount

# An account's last success is written down at most this often (every sync job succeeds).
SUCCESS_NOTE_SECONDS = 5.0
# How long a worker holds an account it read for its webhooks (``listings.webhooks``).
WEBHOOK_ACCOUNT_SECONDS = 60.0


class AccountMedia:
    """The photos an account's marketplace holds, kept in the database: each one is written down
    the moment it is uploaded, so no worker (nor a restarted one) uploads it again."""

    def __init__(self, database: Database, account_id: int):
        self.database = database
        self.account_id = account_id
        self.known: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        if name not in self.known:
            with self.database.session() as session:
                reference = session.scalar(
                    select(MarketplaceMedia.reference).where(
                        MarketplaceMedia.channel_account_id == self.account_id, MarketplaceMedia.name == name
                    )
                )
            if reference is None:
                return None
            self.known[name] = reference
        return self.known[name]

    def put(self, name: str, reference: str) -> None:
        row = {"channel_account_id": self.account_id, "name": name, "reference": reference, "created_at": utcnow()}
        with self.database.session() as session, write_transaction(session):
            upsert(
                session,
                MarketplaceMedia.__table__,
                [row],
                conflict_columns=["channel_account_id", "name"],
                update_columns=["reference", "created_at"],
            )
        self.known[name] = reference

    def forget(self, name: str) -> None:
        with self.database.session() as session, write_transaction(session):
            session.execute(
                delete(MarketplaceMedia).where(
                    MarketplaceMedia.channel_account_id == self.account_id, MarketplaceMedia.name == name
                )
            )
        self.known.pop(name, None)


class Connections:
    """Clients are kept per account (and rebuilt when its credentials or settings change), and the
    accounts webhooks were checked with a moment ago."""

    def __init__(self, *, clock=time.monotonic):
        self.lock = threading.Lock()
        self.clients: dict[int, tuple[str, MarketplaceClient]] = {}
        self.clock = clock
        self.success_noted: dict[int, float] = {}
        self.webhook_accounts: Recent[int, WebhookAccount] = Recent(
            WEBHOOK_ACCOUNT_SECONDS, capacity=1_000, clock=clock
        )

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
            entry = marketplace(account.platform)
            shared = (
                {"cost_bucket": DatabaseBucket(database, key=rate_key(account.id))} if entry.has_cost_bucket else {}
            )
            client = entry.client(
                unseal(settings.secret_key, account.credentials_sealed),
                account.settings,
                gate=gate,
                media=AccountMedia(database, account.id),
                **shared,
            )
            self.clients[account.id] = (version, client)
            return client
