"""Shopify's webhooks as they arrive: the HMAC-SHA256 of the raw body checked
(``X-Shopify-Hmac-Sha256``, base64), the topic and the order or product it names read (a refund's
or a return's, the order it is on).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

import httpx

from integrations.marketplace import (
    BadSignature,
    EventKind,
    MarketplaceEvent,
)

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled"}


PRODUCT_TOPICS = {"products/update", "products/delete"}


# Refunds name their order by ``order_id``; returns carry their ``order``.
REFUND_TOPICS = {"refunds/create"}


RETURN_TOPICS = {
    "returns/request",
    "returns/approve",
    "returns/decline",
    "returns/cancel",
    "returns/close",
    "returns/reopen",
    "returns/update",
    "returns/process",
}


def webhook_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def parse_webhook(credentials: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> list[MarketplaceEvent]:
    """Verify a Shopify webhook and say what it is about."""
    given = headers.get("X-Shopify-Hmac-Sha256") or ""
    if not hmac.compare_digest(given.encode(), webhook_signature(credentials["webhook_secret"], body).encode()):
        raise BadSignature("X-Shopify-Hmac-Sha256 does not match the body")
    event_id = headers.get("X-Shopify-Event-Id") or headers.get("X-Shopify-Webhook-Id")
    topic = headers.get("X-Shopify-Topic") or ""
    if not event_id:
        raise BadSignature("X-Shopify-Event-Id is missing")
    try:
        payload = httpx.Response(200, content=body).json()
    except ValueError as error:
        raise BadSignature(f"not a Shopify webhook: the body is not JSON ({error})") from error
    if not isinstance(payload, dict):
        raise BadSignature("not a Shopify webhook: the body is not a JSON object")
    if topic in ORDER_TOPICS:
        kind, subject = EventKind.ORDER, str(payload.get("id", "")) or None
    elif topic in REFUND_TOPICS:
        kind, subject = EventKind.AFTER_SALE, str(payload.get("order_id") or "") or None
    elif topic in RETURN_TOPICS:
        order = payload.get("order") if isinstance(payload.get("order"), dict) else {}
        kind, subject = EventKind.AFTER_SALE, str(order.get("id") or "") or None
    elif topic in PRODUCT_TOPICS:
        kind, subject = EventKind.LISTING, payload.get("admin_graphql_api_id")
    else:
        kind, subject = EventKind.OTHER, None
    triggered = headers.get("X-Shopify-Triggered-At")
    occurred = datetime.fromisoformat(triggered.replace("Z", "+00:00")) if triggered else None
    # X-Shopify-Event-Id is not signed: the body is, and names the event's state.
    return [
        MarketplaceEvent(
            event_id=event_id, topic=topic, kind=kind, subject_id=subject, occurred_at=occurred, signed_body=body
        )
    ]
