"""Webhooks in: verify a marketplace's notification, keep each event once and queue what follows it.

A stream's burst of refunds sends thousands of webhooks while buyers order, so a receipt is kept
cheap. The account a webhook names is held by the worker for a minute (a signature that does not
match what is held reads the account again, so a changed secret is seen at once); each event is
its receipt and, if it says something changed, its job, written together by
``receipts.keep_events`` (on PostgreSQL as one statement, ``listings.postgresql.keep_events``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from commerce.db import utcnow
from commerce.errors import NotFound
from commerce.listings import postgresql, receipts
from commerce.listings.errors import InvalidSignature
from commerce.listings.service import ACCOUNT_ROW
from commerce.recent import Recent
from commerce.sql import on_postgresql
from integrations.marketplace import BadSignature, MarketplaceEvent
from integrations.marketplaces import marketplace


@dataclass(frozen=True, slots=True)
class WebhookAccount:
    """What an account's webhooks are checked with: its platform and its credentials, unsealed."""

    id: int
    platform: str
    credentials: Mapping[str, Any]


def receive_webhook(
    session: Session,
    *,
    platform: str,
    channel_account_id: int,
    headers: Mapping[str, str],
    body: bytes,
    unseal_credentials: Callable[[Any], Mapping[str, Any]],
    held: Recent[int, WebhookAccount] | None = None,
    after_sale_delay: timedelta = timedelta(0),
) -> tuple[int, int]:
    """Verify a marketplace webhook, keep each new event once and queue its handling.

    An order's or a listing's news is handled at once; refund and return news waits
    ``after_sale_delay``, so that one order's news within it folds into one read.
    Returns (new events, repeated events). A bad signature stores nothing.
    """
    account = held.get(channel_account_id) if held is not None else None
    try:
        if account is not None:
            try:
                events = _parse(account, platform, headers, body)
            except (BadSignature, NotFound):
                # What was held may be out of date (the account's secret changed since).
                account = None
        if account is None:
            account = _read_account(session, channel_account_id, unseal_credentials, held)
            events = _parse(account, platform, headers, body)
    except BadSignature:
        raise InvalidSignature() from None
    keep = postgresql.keep_events if on_postgresql(session) else receipts.keep_events
    return keep(session, receipts.rows_of(account.id, events, utcnow(), after_sale_delay))


def _read_account(
    session: Session,
    channel_account_id: int,
    unseal_credentials: Callable[[Any], Mapping[str, Any]],
    held: Recent[int, WebhookAccount] | None,
) -> WebhookAccount:
    row = session.connection().execute(ACCOUNT_ROW, {"account_id": channel_account_id}).first()
    if row is None:
        raise NotFound()
    account = WebhookAccount(row.id, row.platform, unseal_credentials(row))
    if held is not None:
        held.keep(channel_account_id, account)
    return account


def _parse(account: WebhookAccount, platform: str, headers: Mapping[str, str], body: bytes) -> list[MarketplaceEvent]:
    if account.platform != platform:
        raise NotFound()
    return marketplace(platform).parse_webhook(account.credentials, headers, body)
