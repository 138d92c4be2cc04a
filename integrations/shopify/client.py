"""Shopify Admin GraphQL client.

* Auth: ``X-Shopify-Access-Token`` on ``POST /admin/api/{version}/graphql.json``.
* Products: ``productSet`` (full-state upsert, identified by the product handle, so a retried
  publish updates instead of duplicating); withdrawal sets the status ``ARCHIVED``.
* Stock: ``inventorySetQuantities`` on the ``available`` quantity with ``changeFromQuantity``
  (compare-and-swap; null where the platform is the source of truth), under an ``@idempotent``
  key so a retried push is applied once; a stale expectation answers ``CHANGE_FROM_QUANTITY_STALE``.
* Throttling: cost-based leaky bucket. A throttled call answers 200 with an error whose
  ``extensions.code`` is ``THROTTLED`` and ``extensions.cost.throttleStatus`` tells how fast
  points come back; HTTP 429 with ``Retry-After`` is honoured too.
* Webhooks: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx

from integrations.base import (
    CostBucket,
    CounterpartClient,
    LocalBucket,
    OpenGate,
    RateGate,
    RetryableError,
    TerminalError,
    json_of,
    send,
)
from integrations.marketplace import (
    BadSignature,
    EventKind,
    ImageFile,
    ListingContent,
    ListingNotFound,
    MarketplaceEvent,
    MemoryMedia,
    OrdersPage,
    PublishedListing,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    RemoteOrderStatus,
    ReviewState,
    StaleStock,
    StockLine,
    UploadedMedia,
)

PLATFORM = "shopify"
log = logging.getLogger(__name__)
# Shopify releases an Admin API version each quarter and supports each for twelve months; a
# request to a retired version is served, silently, by the oldest supported one. These are the
# versions whose official schemas the suite checks every document of this client against.
CHECKED_VERSIONS = ("2025-01", "2025-07", "2025-10", "2026-01", "2026-04", "2026-07", "2026-10")
LATEST_API_VERSION = CHECKED_VERSIONS[-1]
SUPPORT_MONTHS = 12
# What one query may cost (requested points) and what the bucket must hold before the next call:
# the costliest document here, so a paced client is never answered THROTTLED.
MAX_QUERY_COST = 1000
# Line items read with an order, and a page of the rest.
ORDER_LINES_FIRST = 20
ORDER_LINES_PAGE = 100
ORDERS_FIRST = 10
# Product answers ask for as many variants and media as the product has where that is known (a
# publish), so the requested cost is close to the actual one; a read asks for the most there may be.
MAX_VARIANTS = 250
MAX_MEDIA = 20


def product_fields(variants: str, media: str) -> str:
    return f"""
  id handle status title descriptionHtml vendor
  variants(first: {variants}) {{ nodes {{ id sku price inventoryQuantity inventoryItem {{ id }} }} }}
  media(first: {media}) {{ nodes {{ id }} }}
"""


LINE_FIELDS = (
    "nodes { sku quantity originalUnitPriceSet { shopMoney { amount currencyCode } } }"
    " pageInfo { hasNextPage endCursor }"
)
ORDER_FIELDS = f"""
  id legacyResourceId name displayFinancialStatus displayFulfillmentStatus cancelledAt updatedAt
  currencyCode customer {{ displayName }} shippingAddress {{ countryCodeV2 }}
  lineItems(first: {ORDER_LINES_FIRST}) {{ {LINE_FIELDS} }}
"""
PRODUCT_SET = (
    "mutation productSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers, $variants: Int!, $media: Int!) {"
    " productSet(synchronous: true, input: $input, identifier: $identifier) {"
    f" product {{ {product_fields('$variants', '$media')} }} userErrors {{ field message code }} }} }}"
)
STAGED_UPLOADS = (
    "mutation stagedUploadsCreate($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {"
    " stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }"
)
PRODUCT_QUERY = f"query product($id: ID!) {{ product(id: $id) {{ {product_fields(MAX_VARIANTS, MAX_MEDIA)} }} }}"
PRODUCT_UPDATE = (
    "mutation productUpdate($product: ProductUpdateInput!) {"
    " productUpdate(product: $product) { product { id status } userErrors { field message } } }"
)
INVENTORY_SET = (
    "mutation inventorySetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {"
    " inventorySetQuantities(input: $input) @idempotent(key: $key) {"
    " inventoryAdjustmentGroup { id } userErrors { field message code } } }"
)
LOCATIONS = "query locations { locations(first: 1) { nodes { id name } } }"
ORDERS = (
    "query orders($first: Int!, $after: String, $query: String) {"
    " orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {"
    f" nodes {{ {ORDER_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)
ORDER_QUERY = f"query order($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDER_LINES = (
    "query orderLines($id: ID!, $after: String) { order(id: $id) {"
    f" lineItems(first: {ORDER_LINES_PAGE}, after: $after) {{ {LINE_FIELDS} }} }} }}"
)
# The topics the platform listens to, and the subscriptions an account's shop holds for an address.
WEBHOOK_TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
)
WEBHOOKS = "query webhooks($uri: String!) { webhookSubscriptions(first: 50, uri: $uri) { nodes { id topic uri } } }"
WEBHOOK_CREATE = (
    "mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {"
    " webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {"
    " webhookSubscription { id topic } userErrors { field message } } }"
)
# Each document's requested cost by Shopify's published rules (an object 1 point, a scalar or enum
# nothing, a connection 2 points plus its page size times what each of its nodes costs, a mutation
# 10 points plus what its answer selects); the suite computes them again from the official schema.
REQUESTED_COST = {
    "product": 525,
    "stagedUploadsCreate": 13,
    "productUpdate": 12,
    "inventorySetQuantities": 12,
    "locations": 3,
    "orders": 652,
    "order": 65,
    "orderLines": 303,
    "webhookSubscriptions": 52,
    "webhookSubscriptionCreate": 12,
}
# Waits for the bucket up to this long are slept through; a longer one gives the job back to the queue.
PACE_SLEEP_LIMIT = 2.0
# The share of the bucket a call leaves for the account's other workers, whose calls this one has
# not heard of yet.
PACE_RESERVE = 0.1


def product_set_cost(variants: int, media: int) -> int:
    """A productSet's requested cost: 10, the product 1, its variants 2 + 2 each (the variant and
    its inventory item), its media 2 + 1 each, its user errors 1."""
    return 10 + 1 + (2 + 2 * variants) + (2 + media) + 1


ORDER_TOPICS = {"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled"}
PRODUCT_TOPICS = {"products/update", "products/delete"}


def supported_versions(today: date) -> list[str]:
    """The checked versions Shopify still supports on a day (released, and less than a year ago)."""
    supported = []
    for version in CHECKED_VERSIONS:
        year, month = (int(part) for part in version.split("-"))
        released = date(year, month, 1)
        retired = date(year + (month + SUPPORT_MONTHS - 1) // 12, (month + SUPPORT_MONTHS - 1) % 12 + 1, 1)
        if released <= today < retired:
            supported.append(version)
    return supported


def review_of(status: str) -> ReviewState:
    """Shopify has no marketplace review: an ACTIVE product is on sale, anything else is not."""
    return ReviewState.APPROVED if status == "ACTIVE" else ReviewState.OFFLINE


def order_status_of(order: Mapping[str, Any]) -> RemoteOrderStatus:
    if order.get("cancelledAt"):
        return RemoteOrderStatus.CANCELLED
    if order.get("displayFulfillmentStatus") == "FULFILLED":
        return RemoteOrderStatus.SHIPPED
    if order.get("displayFinancialStatus") in ("PAID", "PARTIALLY_REFUNDED"):
        return RemoteOrderStatus.PAID
    return RemoteOrderStatus.UNPAID


def option_rows(content: ListingContent) -> tuple[list[dict], list[list[dict]]]:
    """Shopify product options and each variant's option values; a product without options has 'Title'."""
    names = sorted({name for sku in content.skus for name in sku.attributes})
    if not names:
        return [{"name": "Title", "values": [{"name": "Default Title"}]}], [
            [{"optionName": "Title", "name": "Default Title"}] for _ in content.skus
        ]
    options = []
    for name in names:
        values = sorted({sku.attributes.get(name, "-") for sku in content.skus})
        options.append({"name": name, "values": [{"name": value} for value in values]})
    per_variant = [
        [{"optionName": name, "name": sku.attributes.get(name, "-")} for name in names] for sku in content.skus
    ]
    return options, per_variant


class ShopifyClient(CounterpartClient):
    platform = PLATFORM

    def __init__(
        self,
        credentials: Mapping[str, str],
        settings: Mapping[str, Any] | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        gate: RateGate | None = None,
        media: UploadedMedia | None = None,
        cost_bucket: CostBucket | None = None,
    ):
        settings = settings or {}
        super().__init__(
            settings.get("base_url") or f"https://{credentials['shop_domain']}", transport=transport, gate=gate
        )
        # Photos the shop holds as files: their name (content hash) -> the file's id.
        self.media: UploadedMedia = MemoryMedia() if media is None else media
        self.access_token = credentials["access_token"]
        version = (credentials.get("api_version") or "").strip() or LATEST_API_VERSION
        if version not in supported_versions(datetime.now(UTC).date()):
            log.warning("shopify API version %s is not supported; using %s", version, LATEST_API_VERSION)
            version = LATEST_API_VERSION
        self.api_version = version
        self.path = f"/admin/api/{version}/graphql.json"
        self.location_id: str | None = settings.get("location_id")
        # The shop's cost bucket as its answers describe it (shared by the account's workers), and the
        # points a call leaves in it for the others.
        self.cost_bucket: CostBucket = LocalBucket(clock=lambda: self.clock()) if cost_bucket is None else cost_bucket
        self.reserve = 0.0
        self.sleep: Callable[[float], None] = time.sleep

    def _pace(self, cost: int) -> None:
        """Wait until the shop's bucket, as its answers to any of the account's workers described it,
        holds this call's requested cost and a reserve; the cost is taken from that shared view at
        once, so the other workers count only on what is left. A wait longer than
        ``PACE_SLEEP_LIMIT`` gives the job back to the queue instead."""
        waited = 0.0
        while True:
            wait = self.cost_bucket.take(cost, reserve=self.reserve)
            if wait <= 0:
                return
            if waited + wait > PACE_SLEEP_LIMIT:
                raise RetryableError("shopify: waiting for the cost bucket", retry_after=wait, throttled=True)
            self.sleep(wait)
            waited += wait

    def _note_bucket(self, body: Mapping[str, Any]) -> None:
        status = ((body.get("extensions") or {}).get("cost") or {}).get("throttleStatus") or {}
        try:
            available, rate, most = (
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
                float(status["maximumAvailable"]),
            )
        except (KeyError, TypeError, ValueError):
            return
        self.reserve = most * PACE_RESERVE
        self.cost_bucket.observe(available, rate=rate, most=most)

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None, *, cost: int) -> dict[str, Any]:
        """One GraphQL call of a known requested cost: paced on the bucket Shopify reports, with
        throttling and transport trouble as RetryableError."""
        request = self.http.build_request(
            "POST",
            self.path,
            json={"query": query, "variables": dict(variables or {})},
            headers={"X-Shopify-Access-Token": self.access_token},
        )
        response = send(self.http, request, gate=self.gate, counterpart=PLATFORM, ready=lambda: self._pace(cost))
        if response.status_code in (401, 403):
            raise TerminalError(f"shopify: {response.status_code} access denied (check the access token and scopes)")
        if response.status_code >= 400:
            raise TerminalError(f"shopify: {response.status_code} {response.text[:200]}")
        body = json_of(response, counterpart=PLATFORM)
        self._note_bucket(body)
        errors = body.get("errors") or []
        if errors:
            if any((error.get("extensions") or {}).get("code") == "THROTTLED" for error in errors):
                wait = self._throttle_wait(body)
                self.gate.penalize(wait)
                raise RetryableError("shopify: THROTTLED", retry_after=wait, throttled=True)
            raise TerminalError("shopify: " + "; ".join(str(error.get("message")) for error in errors)[:500])
        data = body.get("data")
        if not isinstance(data, dict):
            raise TerminalError("shopify: answer without data")
        return data

    @staticmethod
    def _throttle_wait(body: Mapping[str, Any]) -> float:
        cost = (body.get("extensions") or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        try:
            missing = float(cost.get("requestedQueryCost", 0)) - float(status.get("currentlyAvailable", 0))
            return max(missing / float(status["restoreRate"]), 0.05)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return 1.0

    def _location(self) -> str:
        if self.location_id is None:
            nodes = self.graphql(LOCATIONS, cost=REQUESTED_COST["locations"])["locations"]["nodes"]
            if not nodes:
                raise TerminalError("shopify: the shop has no location to hold inventory")
            self.location_id = nodes[0]["id"]
        return self.location_id

    @staticmethod
    def _user_errors(payload: Mapping[str, Any], action: str) -> None:
        errors = payload.get("userErrors") or []
        if errors:
            text = "; ".join(
                f"{'.'.join(map(str, error.get('field') or []))}: {error.get('message')}" for error in errors
            )
            raise TerminalError(f"shopify {action}: {text}"[:500])

    def subscribe_webhooks(self, uri: str) -> list[str]:
        """Have the shop send the platform's topics to ``uri``; returns the topics subscribed now
        (those already subscribed for that address are left as they are)."""
        existing = self.graphql(WEBHOOKS, {"uri": uri}, cost=REQUESTED_COST["webhookSubscriptions"])
        held = {node["topic"] for node in existing["webhookSubscriptions"]["nodes"]}
        created = []
        for topic in WEBHOOK_TOPICS:
            if topic in held:
                continue
            payload = self.graphql(
                WEBHOOK_CREATE,
                {"topic": topic, "subscription": {"uri": uri, "format": "JSON"}},
                cost=REQUESTED_COST["webhookSubscriptionCreate"],
            )["webhookSubscriptionCreate"]
            self._user_errors(payload, "webhookSubscriptionCreate")
            created.append(topic)
        return created

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        location = self._location()
        options, values = option_rows(content)
        product_input: dict[str, Any] = {
            "handle": content.identity,
            "title": content.title,
            "descriptionHtml": "".join(f"<p>{html.escape(line)}</p>" for line in content.description.splitlines()),
            "vendor": content.brand or "",
            "productType": content.category or "",
            "status": "ACTIVE",
            "productOptions": options,
            "variants": [
                {
                    "sku": sku.seller_sku,
                    "price": str(sku.price),
                    "barcode": sku.barcode,
                    "optionValues": option_values,
                    "inventoryItem": {"tracked": True},
                    "inventoryQuantities": [{"locationId": location, "name": "available", "quantity": sku.quantity}],
                }
                for sku, option_values in zip(content.skus, values, strict=True)
            ],
        }
        files, new = self._files(content.image_files)
        if files:
            product_input["files"] = files
        identifier = {"id": external_id} if external_id else {"handle": content.identity}
        variants, media = min(max(len(content.skus), 1), MAX_VARIANTS), min(max(len(files), 1), MAX_MEDIA)
        payload = self.graphql(
            PRODUCT_SET,
            {"input": product_input, "identifier": identifier, "variants": variants, "media": media},
            cost=product_set_cost(variants, media),
        )["productSet"]
        self._forget_lost_files(payload, content.image_files, files)
        self._user_errors(payload, "productSet")
        product = payload.get("product")
        if not product:
            raise TerminalError("shopify productSet: no product in the answer")
        # The product's media are its files in the order given: each new photo's file id is kept,
        # so it is named by id from now on and never sent again.
        file_ids = [node["id"] for node in ((product.get("media") or {}).get("nodes") or [])]
        if len(file_ids) == len(files):
            for index, name in new.items():
                self.media.put(name, file_ids[index])
        remote = self._remote(product)
        return PublishedListing(
            remote.external_id, remote.review, remote.platform_status, remote.sku_ids, applied=remote
        )

    def _forget_lost_files(
        self, payload: Mapping[str, Any], images: tuple[ImageFile, ...], files: list[dict[str, Any]]
    ) -> None:
        """Files the shop no longer holds (deleted in its admin) are forgotten, and the publish
        comes back to send those photos again."""
        lost = []
        for error in payload.get("userErrors") or []:
            field = [str(part) for part in error.get("field") or []]
            if len(field) == 4 and field[:2] == ["input", "files"] and field[3] == "id" and field[2].isdigit():
                index = int(field[2])
                if index < len(images) and "id" in files[index]:
                    self.media.forget(images[index].name)
                    lost.append(images[index].name)
        if lost:
            raise RetryableError(f"shopify: the shop no longer holds photos {', '.join(lost)}; sending them again")

    def _files(self, images: tuple[ImageFile, ...]) -> tuple[list[dict[str, Any]], dict[int, str]]:
        """The product's ``files``: a photo the shop holds by its file id, a new one by its public
        address or a staged upload; and the new ones' places, by name."""
        files: list[dict[str, Any]] = []
        new: dict[int, str] = {}
        unaddressed: dict[int, ImageFile] = {}
        for index, image in enumerate(images):
            held = self.media.get(image.name)
            if held is not None:
                files.append({"id": held})
                continue
            new[index] = image.name
            # Named by their content's hash: should the shop hold a file of that name (a publish
            # whose answer was lost), it is replaced instead of a copy being added.
            files.append(
                {
                    "originalSource": image.url,
                    "contentType": "IMAGE",
                    "filename": image.name,
                    "duplicateResolutionMode": "REPLACE",
                }
            )
            if image.url is None:
                unaddressed[index] = image
        if unaddressed:
            staged = self._stage(list(unaddressed.values()))
            for index, source in zip(unaddressed, staged, strict=True):
                files[index]["originalSource"] = source
        return files, new

    def _stage(self, images: list[ImageFile]) -> list[str]:
        """Upload photos through Shopify's staged uploads; returns each one's resource URL."""
        payload = self.graphql(
            STAGED_UPLOADS,
            {
                "input": [
                    {"resource": "IMAGE", "filename": image.name, "mimeType": image.content_type, "httpMethod": "POST"}
                    for image in images
                ]
            },
            cost=REQUESTED_COST["stagedUploadsCreate"],
        )["stagedUploadsCreate"]
        self._user_errors(payload, "stagedUploadsCreate")
        targets = payload.get("stagedTargets") or []
        if len(targets) != len(images):
            raise TerminalError("shopify stagedUploadsCreate: not one target per photo")
        sources = []
        for image, target in zip(images, targets, strict=True):
            # The target's parameters are form fields sent before the file, as they come.
            request = self.http.build_request(
                "POST",
                target["url"],
                data={parameter["name"]: parameter["value"] for parameter in target["parameters"]},
                files={"file": (image.name, image.bytes(PLATFORM), image.content_type)},
            )
            response = send(self.http, request, gate=OpenGate(), counterpart=f"{PLATFORM} staged upload")
            if response.status_code >= 300:
                raise TerminalError(f"shopify staged upload: {response.status_code} {response.text[:200]}")
            sources.append(target["resourceUrl"])
        return sources

    def _remote(self, product: Mapping[str, Any]) -> RemoteListing:
        variants = product["variants"]["nodes"]
        return RemoteListing(
            external_id=product["id"],
            review=review_of(product["status"]),
            platform_status=product["status"],
            title=product["title"],
            prices={variant["sku"]: Decimal(variant["price"]) for variant in variants},
            quantities={variant["sku"]: int(variant.get("inventoryQuantity") or 0) for variant in variants},
            sku_ids={variant["sku"]: variant["inventoryItem"]["id"] for variant in variants},
        )

    def read(self, external_id: str) -> RemoteListing:
        product = self.graphql(PRODUCT_QUERY, {"id": external_id}, cost=REQUESTED_COST["product"]).get("product")
        if product is None:
            raise ListingNotFound(f"shopify: no product {external_id}")
        return self._remote(product)

    def push_stock(self, external_id: str, lines: list[StockLine], *, idempotency_key: str) -> None:
        location = self._location()
        quantities = [
            {
                "inventoryItemId": line.external_sku_id,
                "locationId": location,
                "quantity": line.quantity,
                # Mandatory since 2026-04: the quantity expected there now, or null to set it regardless.
                "changeFromQuantity": line.expected,
            }
            for line in lines
        ]
        payload = self.graphql(
            INVENTORY_SET,
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "referenceDocumentUri": f"logistics://cluster-commerce/stock/{idempotency_key}",
                    "quantities": quantities,
                },
                "key": idempotency_key,
            },
            cost=REQUESTED_COST["inventorySetQuantities"],
        )["inventorySetQuantities"]
        errors = payload.get("userErrors") or []
        if any(error.get("code") == "CHANGE_FROM_QUANTITY_STALE" for error in errors):
            raise StaleStock("shopify: inventory changed since it was last set", actual={})
        self._user_errors(payload, "inventorySetQuantities")

    def withdraw(self, external_id: str) -> None:
        payload = self.graphql(
            PRODUCT_UPDATE,
            {"product": {"id": external_id, "status": "ARCHIVED"}},
            cost=REQUESTED_COST["productUpdate"],
        )["productUpdate"]
        self._user_errors(payload, "productUpdate")

    def fetch_orders(self, *, updated_since: datetime, cursor: str | None) -> OrdersPage:
        connection = self.graphql(
            ORDERS,
            {"first": ORDERS_FIRST, "after": cursor, "query": f"updated_at:>='{updated_since.isoformat()}'"},
            cost=REQUESTED_COST["orders"],
        )["orders"]
        info = connection["pageInfo"]
        return OrdersPage(
            tuple(self._order(node) for node in connection["nodes"]),
            info["endCursor"] if info["hasNextPage"] else None,
        )

    def fetch_order(self, external_id: str) -> RemoteOrder:
        order = self.graphql(
            ORDER_QUERY, {"id": f"gid://shopify/Order/{external_id}"}, cost=REQUESTED_COST["order"]
        ).get("order")
        if order is None:
            raise TerminalError(f"shopify: no order {external_id}")
        return self._order(order)

    def _line_items(self, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """An order's line items: those read with it, and the rest a page at a time."""
        connection = node["lineItems"]
        items = list(connection["nodes"])
        while connection["pageInfo"]["hasNextPage"]:
            connection = self.graphql(
                ORDER_LINES,
                {"id": node["id"], "after": connection["pageInfo"]["endCursor"]},
                cost=REQUESTED_COST["orderLines"],
            )["order"]["lineItems"]
            items += connection["nodes"]
        return items

    def _order(self, node: Mapping[str, Any]) -> RemoteOrder:
        lines = []
        currency = node["currencyCode"]
        for item in self._line_items(node):
            money = item["originalUnitPriceSet"]["shopMoney"]
            lines.append(RemoteOrderLine(item["sku"] or "", int(item["quantity"]), Decimal(money["amount"])))
        return RemoteOrder(
            external_id=str(node["legacyResourceId"]),
            status=order_status_of(node),
            currency=currency,
            buyer_name=(node.get("customer") or {}).get("displayName") or "Shopify buyer",
            buyer_country=(node.get("shippingAddress") or {}).get("countryCodeV2"),
            lines=tuple(lines),
            updated_at=datetime.fromisoformat(node["updatedAt"].replace("Z", "+00:00")),
        )


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
