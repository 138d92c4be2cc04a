"""The simulated shop's webhooks: the subscriptions it holds, and each event delivered as Shopify
signs and heads it (``X-Shopify-Hmac-Sha256`` over the body with the app's secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

from integrations.market_store import Event, MarketStore
from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus, RemoteOrderStatus
from integrations.shopify.simulator_ids import product_gid

# The return topic each step of a return is told by.
RETURN_TOPICS = {
    RemoteAfterSaleStatus.REQUESTED: "returns/request",
    RemoteAfterSaleStatus.APPROVED: "returns/approve",
    RemoteAfterSaleStatus.REFUSED: "returns/decline",
    RemoteAfterSaleStatus.RETURNED: "returns/close",
}


class WebhookFields:
    """Part of ``ShopifySimulator``: its ``subscriptions`` and the requests of its events."""

    store: MarketStore
    subscriptions: list[tuple[str, str]]
    webhook_secret: str

    def _field_webhookSubscriptions(self, variables: dict) -> dict:
        uri = variables.get("uri")
        held = [(topic, address) for topic, address in self.subscriptions if uri is None or address == uri]
        return {
            "nodes": [
                {"id": f"gid://shopify/WebhookSubscription/{number}", "topic": topic, "uri": address}
                for number, (topic, address) in enumerate(held, 1)
            ]
        }

    def _field_webhookSubscriptionCreate(self, variables: dict) -> dict:
        topic = variables.get("topic") or ""
        subscription = variables.get("subscription") or {}
        uri = subscription.get("uri") or subscription.get("callbackUrl") or ""
        if not uri.startswith("https://"):
            return {
                "webhookSubscription": None,
                "userErrors": [{"field": ["webhookSubscription", "uri"], "message": "Address protocol must be https"}],
            }
        if (topic, uri) in self.subscriptions:
            return {
                "webhookSubscription": None,
                "userErrors": [
                    {
                        "field": ["webhookSubscription", "uri"],
                        "message": "Address for this topic has already been taken",
                    }
                ],
            }
        self.subscriptions.append((topic, uri))
        number = len(self.subscriptions)
        return {
            "webhookSubscription": {"id": f"gid://shopify/WebhookSubscription/{number}", "topic": topic},
            "userErrors": [],
        }

    def _after_sale_webhook(self, event: Event) -> tuple[str, dict] | None:
        """A refund is told when it is made; a return at each of its steps; a refund-only or a
        partial refund has nothing to tell before it is paid back."""
        after_sale = self.store.after_sales[event.detail["after_sale_id"]]
        status = RemoteAfterSaleStatus(event.detail["status"])
        order = {"id": int(after_sale.order_id), "admin_graphql_api_id": f"gid://shopify/Order/{after_sale.order_id}"}
        if status == RemoteAfterSaleStatus.REFUNDED:
            return "refunds/create", {
                "id": int(after_sale.id),
                "admin_graphql_api_id": f"gid://shopify/Refund/{after_sale.id}",
                "order_id": order["id"],
                "created_at": event.at.isoformat(),
            }
        if after_sale.kind != RemoteAfterSaleKind.RETURN_AND_REFUND:
            return None
        return RETURN_TOPICS[status], {
            "id": int(after_sale.id),
            "admin_graphql_api_id": f"gid://shopify/Return/{after_sale.id}",
            "status": status.value,
            "order": order,
        }

    def webhook_request(self, event: Event) -> tuple[dict[str, str], bytes] | None:
        if event.kind == "after_sale":
            told = self._after_sale_webhook(event)
            if told is None:
                return None
            topic, payload = told
        elif event.kind == "order":
            order = self.store.order(event.subject_id)
            topic = "orders/cancelled" if order.status == RemoteOrderStatus.CANCELLED else "orders/updated"
            payload = {
                "id": int(order.id),
                "admin_graphql_api_id": f"gid://shopify/Order/{order.id}",
                "updated_at": order.updated_at.isoformat(),
            }
        else:
            topic = "products/update"
            payload = {"id": int(event.subject_id), "admin_graphql_api_id": product_gid(event.subject_id)}
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": base64.b64encode(
                hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).digest()
            ).decode(),
            "X-Shopify-Shop-Domain": "cluster-test.myshopify.com",
            "X-Shopify-Event-Id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"shopify-event-{event.id}")),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-Triggered-At": event.at.isoformat(),
        }
        return headers, body
