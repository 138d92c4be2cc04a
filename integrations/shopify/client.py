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
* Webhooks: ``X-Shopify-Hmac-Sha256`` is the base64 HMAC-SHA256 of the raw body."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integrations.base import (
    CostBucket,
    LocalBucket,
    OpenGate,
    RetryableError,
    TerminalError,
    json_of,
    send,
)
from integrations.marketplace import (
    AccountClient,
    ImageFile,
    ListingContent,
    ListingNotFound,
    PublishedListing,
    RemoteListing,
    ReviewState,
    StaleStock,
    StockLine,
)
from integrations.shopify.order_reading import OrderReading
from integrations.shopify.payments import PaymentsReading
from integrations.shopify.queries import (
    INVENTORY_SET,
    LATEST_API_VERSION,
    LOCATIONS,
    MAX_MEDIA,
    MAX_VARIANTS,
    PRODUCT_QUERY,
    PRODUCT_SET,
    PRODUCT_UPDATE,
    REQUESTED_COST,
    STAGED_UPLOADS,
    WEBHOOK_CREATE,
    WEBHOOK_TOPICS,
    WEBHOOKS,
    product_set_cost,
    supported_versions,
)

PLATFORM = "shopify"


log = logging.getLogger(__name__)


# Waits for the bucket up to this long are slept through; a longer one gives the job back to the queue.
PACE_SLEEP_LIMIT = 2.0


# The share of the bucket a call leaves for the account's other workers, whose calls this one has
# not heard of yet.
PACE_RESERVE = 0.1


def review_of(status: str) -> ReviewState:
    """Shopify has no marketplace review: an ACTIVE product is on sale, anything else is not."""
    return ReviewState.APPROVED if status == "ACTIVE" else ReviewState.OFFLINE


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


class ShopifyClient(OrderReading, PaymentsReading, AccountClient):
    platform = PLATFORM

    def __init__(
        self,
        credentials: Mapping[str, str],
        settings: Mapping[str, Any] | None = None,
        *,
        cost_bucket: CostBucket | None = None,
        **options: Any,
    ):
        super().__init__(credentials, settings, **options)
        # The shop's cost bucket as its answers describe it (shared by the account's workers), and the
        # points a call leaves in it for the others.
        self.cost_bucket: CostBucket = LocalBucket(clock=lambda: self.clock()) if cost_bucket is None else cost_bucket
        self.reserve = 0.0
        self.sleep: Callable[[float], None] = time.sleep

    def platform_url(self, credentials: Mapping[str, str]) -> str:
        """Each shop answers at its own domain."""
        return f"https://{credentials['shop_domain']}"

    def configure(self, credentials: Mapping[str, str], settings: Mapping[str, Any]) -> None:
        self.access_token = credentials["access_token"]
        version = (credentials.get("api_version") or "").strip() or LATEST_API_VERSION
        if version not in supported_versions(datetime.now(UTC).date()):
            log.warning("shopify API version %s is not supported; using %s", version, LATEST_API_VERSION)
            version = LATEST_API_VERSION
        self.api_version = version
        self.path = f"/admin/api/{version}/graphql.json"
        self.location_id: str | None = settings.get("location_id")

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

    def publish(
        self,
        content: ListingContent,
        *,
        external_id: str | None,
        may_exist: bool,  # noqa: ARG002 (productSet finds an existing product by its handle)
    ) -> PublishedListing:
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

    def push_stock(
        self,
        external_id: str,  # noqa: ARG002 (quantities are set by inventory item)
        lines: list[StockLine],
        *,
        idempotency_key: str,
    ) -> None:
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
