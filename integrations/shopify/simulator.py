"""A Shopify shop speaking the Admin GraphQL dialect, for client tests and local demos.

It parses each document with graphql-core and answers the root fields the platform uses for
product sync, files, inventory and orders. Given Shopify's official schema, it refuses what the
schema does not take and charges each call its requested cost by Shopify's published rules,
giving back the difference to the actual cost once it has run; without one, every call costs 10.
Every answer carries ``extensions.cost`` with the throttle status; a call that finds the bucket
short answers ``THROTTLED``, one that may cost more than 1,000 points ``MAX_COST_EXCEEDED``.
Staged uploads land on a signed form target it serves itself, as Google Cloud Storage would.
Its parts: ``simulator_uploads`` (staged uploads), ``simulator_orders`` (reading orders and their
refunds and returns), ``simulator_payments`` (Shopify Payments payouts and balance transactions),
``simulator_webhooks`` (subscriptions and deliveries), ``simulator_ids`` (global ids, the store).
"""

from __future__ import annotations

import gzip
import itertools
import json
import secrets
import uuid
from decimal import Decimal
from typing import Any

from flask import Flask, jsonify, request
from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_client_schema,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.execution.values import get_variable_values

from integrations.market_store import StoredListing, StoreRefusal
from integrations.marketplace import ListingContent, SkuContent
from integrations.shopify.query_cost import actual_cost, requested_cost
from integrations.shopify.simulator_ids import local_id, product_gid, shop_store
from integrations.shopify.simulator_orders import OrderFields
from integrations.shopify.simulator_payments import PaymentFields
from integrations.shopify.simulator_uploads import STAGED_UPLOAD_PATH, StagedUploads
from integrations.shopify.simulator_webhooks import WebhookFields
from integrations.simulation import Simulator, TokenBucket

LOCATION_ID = "gid://shopify/Location/1"
CALL_COST = 10  # points per call; a shop with a limit of N calls a second restores 10 * N points a second
MAX_QUERY_COST = 1000  # what one query may cost
BUCKET_SECONDS = 20  # the bucket holds 20 seconds of restored points (2,000 at 100 a second)


def load_admin_schema(path) -> GraphQLSchema:
    """Shopify's Admin schema from its introspection file (``admin_<version>.json.gz``, as npm's
    ``@shopify/dev-mcp`` ships it)."""
    with gzip.open(path, "rt") as handle:
        schema = build_client_schema(json.load(handle)["data"])
    # The schema breaks graphql-core's rule on deprecating interface fields; it is taken as it is.
    schema._validation_errors = []
    return schema


class ShopifySimulator(StagedUploads, OrderFields, PaymentFields, WebhookFields, Simulator):
    platform = "shopify"

    def __init__(
        self,
        *,
        access_token: str = "shpat_test",
        webhook_secret: str = "whsec_test",
        schema: GraphQLSchema | None = None,
        **options: Any,
    ):
        self.access_token = access_token
        self.webhook_secret = webhook_secret
        # Shopify's official Admin schema of the version it serves: with it, a document or variables
        # it does not take are answered with the errors Shopify gives, before anything is done.
        self.schema = schema
        self.documents: dict[str, tuple] = {}
        # Answers of mutations made under an @idempotent key: the same key answers the same again.
        self.idempotent: dict[str, dict] = {}
        # Webhook subscriptions the shop holds: (topic, uri).
        self.subscriptions: list[tuple[str, str]] = []
        # The shop's files: id -> {"filename", "source"}; and each product's media, in order.
        self.files: dict[str, dict[str, str]] = {}
        self.file_numbers = itertools.count(1)
        self.media: dict[str, list[str]] = {}
        # Objects posted to the staged upload targets it handed out, by key.
        self.staged: dict[str, bytes] = {}
        self.staging_secret = secrets.token_bytes(16)
        rate = options.pop("rate_limit", None)
        options.setdefault("store", shop_store())
        super().__init__(**options)
        if rate:
            # The cost bucket: points come back at 10 x the call limit and hold 20 seconds' worth.
            self.bucket = TokenBucket(rate * CALL_COST, burst=rate * CALL_COST * BUCKET_SECONDS)

    def admit(self, cost: float = CALL_COST) -> float | None:
        return super().admit(cost)

    def _costs(self, query: str, variables: dict) -> int:
        return requested_cost(self.schema, query, variables) if self.schema is not None else CALL_COST

    def build_app(self) -> Flask:
        app = Flask("shopify_simulator")

        @app.post("/admin/api/<version>/graphql.json")
        def graphql(version: str):  # noqa: ARG001 (every version is served alike)
            if request.headers.get("X-Shopify-Access-Token") != self.access_token:
                return jsonify(
                    {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
                ), 401
            body = request.get_json(silent=True) or {}
            try:
                document, operation, invalid = self._document(body.get("query") or "")
            except GraphQLError as error:
                return jsonify({"errors": [{"message": error.message, "extensions": {"code": "PARSE_ERROR"}}]})
            variables = body.get("variables") or {}
            refused = invalid or self._variable_errors(operation, variables)
            if refused:
                return jsonify({"errors": [{"message": message} for message in refused]})
            requested = self._costs(body["query"], variables)
            if requested > MAX_QUERY_COST:
                return jsonify(
                    {
                        "errors": [
                            {
                                "message": f"Query cost is {requested}, which exceeds the single query max cost "
                                f"limit ({MAX_QUERY_COST}).",
                                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested},
                            }
                        ]
                    }
                )
            wait = self.admit(requested)
            if wait is not None:
                return jsonify(
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                                },
                            }
                        ],
                        "extensions": {"cost": self._cost(requested, 0)},
                    }
                )
            if self.should_fail():
                self._give_back(requested, 0)
                return jsonify(
                    {"errors": [{"message": "Internal error. Looks like something went wrong on our end."}]}
                ), 503
            data: dict[str, Any] = {}
            for selection in operation.selection_set.selections:
                name = selection.name.value
                handler = getattr(self, f"_field_{name}", None)
                if handler is None:
                    return jsonify(
                        {
                            "errors": [
                                {
                                    "message": f"Field '{name}' doesn't exist on type "
                                    f"'{operation.operation.value.title()}Root'"
                                }
                            ]
                        }
                    )
                try:
                    self._selection = selection
                    data[selection.alias.value if selection.alias else name] = handler(variables)
                except StoreRefusal as refusal:
                    if refusal.reason == "not_found" and name in ("product", "order"):
                        data[name] = None
                    else:
                        self._give_back(requested, requested)
                        return jsonify({"errors": [{"message": str(refusal)}]})
            actual = actual_cost(self.schema, body["query"], variables, data) if self.schema is not None else requested
            self._give_back(requested, actual)
            return jsonify({"data": data, "extensions": {"cost": self._cost(requested, actual)}})

        @app.post(STAGED_UPLOAD_PATH)
        def staged_upload():
            return self._staged_upload()

        return app

    def _give_back(self, requested: int, actual: int) -> None:
        """Return what a call was charged beyond its actual cost; count what it spent."""
        if self.bucket is not None and requested > actual:
            with self.bucket.lock:
                self.bucket.tokens = min(self.bucket.burst, self.bucket.tokens + requested - actual)
        self.traffic.spend(actual)

    def _document(self, query: str):
        """The parsed document, its operation, and what the schema says is wrong with it (a
        document is judged once: clients send the same few again and again)."""
        known = self.documents.get(query)
        if known is None:
            document = parse(query)
            operation = next(node for node in document.definitions if isinstance(node, OperationDefinitionNode))
            invalid = [error.message for error in validate(self.schema, document)] if self.schema is not None else []
            if len(self.documents) >= 256:
                self.documents.clear()
            known = self.documents[query] = (document, operation, invalid)
        return known

    def _variable_errors(self, operation, variables: dict) -> list[str]:
        if self.schema is None:
            return []
        coerced = get_variable_values(self.schema, operation.variable_definitions or [], variables)
        return [error.message for error in coerced] if isinstance(coerced, list) else []

    def _cost(self, requested: int, actual: int) -> dict[str, Any]:
        bucket = self.bucket
        status = (
            {"maximumAvailable": bucket.burst, "currentlyAvailable": int(bucket.tokens), "restoreRate": bucket.rate}
            if bucket
            else {"maximumAvailable": 2000.0, "currentlyAvailable": 2000, "restoreRate": 100.0}
        )
        return {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}

    # Root fields

    def _product(self, listing: StoredListing) -> dict[str, Any]:
        return {
            "id": product_gid(listing.id),
            "handle": listing.identity,
            "status": "ACTIVE" if listing.active else "ARCHIVED",
            "title": listing.title,
            "descriptionHtml": listing.description,
            "vendor": listing.brand or "",
            "variants": {
                "nodes": [
                    {
                        "id": f"gid://shopify/ProductVariant/{sku.id}",
                        "sku": sku.seller_sku,
                        "price": str(sku.price),
                        "inventoryQuantity": sku.quantity,
                        "inventoryItem": {"id": f"gid://shopify/InventoryItem/{sku.id}"},
                    }
                    for sku in listing.skus.values()
                ]
            },
            "media": {"nodes": [{"id": file_id} for file_id in self.media.get(listing.id, [])]},
        }

    def _field_locations(self, _variables: dict) -> dict:
        return {"nodes": [{"id": LOCATION_ID, "name": "Cluster warehouse"}]}

    def _field_productSet(self, variables: dict) -> dict:
        product = variables.get("input") or {}
        identifier = variables.get("identifier") or {}
        errors = []
        if not product.get("title"):
            errors.append({"field": ["input", "title"], "message": "Title can't be blank", "code": "BLANK"})
        variants = product.get("variants") or []
        if not variants:
            errors.append({"field": ["input", "variants"], "message": "Variants can't be blank", "code": "BLANK"})
        if errors:
            return {"product": None, "userErrors": errors}
        with self.store.lock:
            planned = self._plan_files(product.get("files") or [])
            if isinstance(planned, dict):
                return {"product": None, "userErrors": [planned]}
            return self._set_product(product, identifier, variants, planned)

    def _plan_files(self, files: list[dict]) -> list[tuple[str | None, str, str]] | dict:
        """Each file of a productSet as (existing id or None, filename, source), or the first userError."""
        planned = []
        for index, entry in enumerate(files):
            field = ["input", "files", str(index)]
            if entry.get("id"):
                if entry["id"] not in self.files:
                    return {"field": [*field, "id"], "message": "File does not exist.", "code": "FILE_NOT_FOUND"}
                held = self.files[entry["id"]]
                planned.append((entry["id"], held["filename"], held["source"]))
                continue
            source = entry.get("originalSource") or ""
            if not source.startswith(("https://", "http://")):
                return {
                    "field": [*field, "originalSource"],
                    "message": "Original source is invalid.",
                    "code": "INVALID",
                }
            if STAGED_UPLOAD_PATH + "/" in source and source.split(STAGED_UPLOAD_PATH + "/", 1)[1] not in self.staged:
                return {
                    "field": [*field, "originalSource"],
                    "message": "The staged upload was not found; upload the file to its target first.",
                    "code": "INVALID",
                }
            filename = entry.get("filename") or source.rsplit("/", 1)[-1]
            existing = next((fid for fid, held in self.files.items() if held["filename"] == filename), None)
            mode = entry.get("duplicateResolutionMode") or "APPEND_UUID"
            if existing is not None and mode == "RAISE_ERROR":
                return {
                    "field": [*field, "filename"],
                    "message": f"A file named {filename} already exists.",
                    "code": "FILENAME_ALREADY_EXISTS",
                }
            if existing is not None and mode == "APPEND_UUID":
                stem, dot, extension = filename.rpartition(".")
                filename, existing = f"{stem}_{uuid.uuid4()}{dot}{extension}", None
            planned.append((existing, filename, source))
        return planned

    def _set_product(self, product: dict, identifier: dict, variants: list[dict], planned) -> dict:
        ids = []
        for existing, filename, source in planned:
            file_id = existing or f"gid://shopify/MediaImage/{next(self.file_numbers)}"
            self.files[file_id] = {"filename": filename, "source": source}
            ids.append(file_id)
        content = ListingContent(
            identity=product.get("handle") or identifier.get("handle") or "",
            title=product["title"],
            description=product.get("descriptionHtml") or "",
            currency="",
            brand=product.get("vendor") or None,
            category=product.get("productType") or None,
            images=tuple(source for _existing, _filename, source in planned),
            skus=tuple(
                SkuContent(
                    seller_sku=variant.get("sku") or "",
                    price=Decimal(str(variant.get("price") or "0")),
                    quantity=sum(q["quantity"] for q in variant.get("inventoryQuantities") or []),
                    attributes={
                        value["optionName"]: value["name"]
                        for value in variant.get("optionValues") or []
                        if value["optionName"] != "Title"
                    },
                )
                for variant in variants
            ),
        )
        if identifier.get("id"):
            listing = self.store.replace(local_id(identifier["id"], "Product"), content)
        else:
            existing = self.store.find(content.identity)
            listing = self.store.replace(existing.id, content) if existing else self.store.create(content)
        if "files" in product:
            self.media[listing.id] = ids
        if product.get("status") and product["status"] != "ACTIVE":
            self.store.deactivate(listing.id)
        return {"product": self._product(listing), "userErrors": []}

    def _field_product(self, variables: dict) -> dict | None:
        return self._product(self.store.get(local_id(variables["id"], "Product")))

    def _field_productUpdate(self, variables: dict) -> dict:
        product = variables.get("product") or {}
        listing = self.store.get(local_id(product["id"], "Product"))
        if product.get("status") in ("ARCHIVED", "DRAFT"):
            self.store.deactivate(listing.id)
        return {"product": {"id": product_gid(listing.id), "status": "ARCHIVED"}, "userErrors": []}

    def _idempotency_key(self, variables: dict) -> str | None:
        """The key of the ``@idempotent`` directive on the current root field, if any."""
        for directive in self._selection.directives or []:
            if directive.name.value == "idempotent":
                for argument in directive.arguments:
                    if argument.name.value == "key":
                        return str(value_from_ast_untyped(argument.value, variables))
        return None

    def _field_inventorySetQuantities(self, variables: dict) -> dict:
        key = self._idempotency_key(variables)
        with self.store.lock:
            if key is not None and key in self.idempotent:
                return self.idempotent[key]
        answer = self._set_quantities(variables)
        if key is not None and not answer["userErrors"]:
            with self.store.lock:
                self.idempotent[key] = answer
        return answer

    def _set_quantities(self, variables: dict) -> dict:
        body = variables.get("input") or {}
        if body.get("name") != "available":
            return {
                "inventoryAdjustmentGroup": None,
                "userErrors": [
                    {"field": ["input", "name"], "message": "only 'available' can be set", "code": "INVALID_NAME"}
                ],
            }
        by_listing: dict[str, dict[str, tuple[int, int | None]]] = {}
        with self.store.lock:
            for quantity in body.get("quantities") or []:
                item_id = local_id(quantity["inventoryItemId"], "InventoryItem")
                for listing in self.store.listings.values():
                    match = next((sku for sku in listing.skus.values() if sku.id == item_id), None)
                    if match is not None:
                        if "changeFromQuantity" not in quantity:
                            return {
                                "inventoryAdjustmentGroup": None,
                                "userErrors": [
                                    {
                                        "field": ["input", "quantities", "0", "changeFromQuantity"],
                                        "message": "changeFromQuantity must be given, null to skip the check",
                                        "code": "COMPARE_QUANTITY_REQUIRED",
                                    }
                                ],
                            }
                        expected = quantity["changeFromQuantity"]
                        by_listing.setdefault(listing.id, {})[match.seller_sku] = (int(quantity["quantity"]), expected)
                        break
                else:
                    return {
                        "inventoryAdjustmentGroup": None,
                        "userErrors": [
                            {
                                "field": ["input", "quantities"],
                                "message": "The specified inventory item could not be found.",
                                "code": "INVALID_INVENTORY_ITEM",
                            }
                        ],
                    }
            try:
                for listing_id, quantities in by_listing.items():
                    self.store.set_stock(listing_id, quantities, key=None)
            except StoreRefusal as refusal:
                if refusal.reason == "stale_stock":
                    return {
                        "inventoryAdjustmentGroup": None,
                        "userErrors": [
                            {
                                "field": ["input", "quantities", "0", "changeFromQuantity"],
                                "message": "The changeFromQuantity argument no longer matches the persisted quantity.",
                                "code": "CHANGE_FROM_QUANTITY_STALE",
                            }
                        ],
                    }
                raise
        return {
            "inventoryAdjustmentGroup": {"id": f"gid://shopify/InventoryAdjustmentGroup/{uuid.uuid4().int % 10**12}"},
            "userErrors": [],
        }
