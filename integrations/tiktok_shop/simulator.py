"""A TikTok Shop seller account speaking the Open API 202309 dialect, for client tests and demos.

Its returns and refunds (``/return_refund/202309/returns/search``) are TikTok's: a ``REFUND``
(money alone) or a ``RETURN_AND_REFUND``, one return line item per unit, and the statuses of
TikTok's return flow; each change is told by a ``RETURN_STATUS_CHANGE`` notification (type 12).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask, jsonify, request

from integrations.market_store import Event, StoredListing, StoredOrder, StoreRefusal
from integrations.marketplace import (
    ListingContent,
    RemoteOrderStatus,
    ReviewState,
    SkuContent,
)
from integrations.simulation import Simulator
from integrations.tiktok_shop.simulator_money import MoneyShapes

WAREHOUSE_ID = "7000714532876273410"
STATUS = {
    ReviewState.IN_REVIEW: "PENDING",
    ReviewState.APPROVED: "ACTIVATE",
    ReviewState.REJECTED: "FAILED",
    ReviewState.OFFLINE: "SELLER_DEACTIVATED",
}
ORDER_STATUS = {
    RemoteOrderStatus.UNPAID: "UNPAID",
    RemoteOrderStatus.PAID: "AWAITING_SHIPMENT",
    RemoteOrderStatus.SHIPPED: "IN_TRANSIT",
    RemoteOrderStatus.COMPLETED: "COMPLETED",
    RemoteOrderStatus.CANCELLED: "CANCELLED",
}
RETURN_STATUS_CHANGE = 12
CLOCK_SKEW_SECONDS = 300
PRODUCT_NOT_FOUND = 12052048
# What an image upload takes: JPEG, PNG or WebP (by their first bytes), up to 5 MB.
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
IMAGE_MAX_BYTES = 5 * 1024 * 1024


def request_sign(secret: str, path: str, query: dict[str, str], body: bytes, content_type: str) -> str:
    """The Open API's signature, as its documentation gives it: HMAC-SHA256 keyed with the app secret
    over secret + path + the parameters but sign and access_token, sorted, each name then value +
    the body (not for multipart/form-data) + secret; lowercase hex."""
    pairs = "".join(name + query[name] for name in sorted(query) if name not in ("sign", "access_token"))
    signed_body = b"" if content_type.lower().startswith("multipart/form-data") else body
    message = secret.encode() + path.encode() + pairs.encode() + signed_body + secret.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def notification_sign(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def status_of(listing: StoredListing) -> str:
    return STATUS[listing.review]


def identity_of(seller_skus: list[str]) -> str:
    """A TikTok product is known by the seller SKUs it sells."""
    return ",".join(sorted(seller_skus))


class TikTokShopSimulator(MoneyShapes, Simulator):
    platform = "tiktok_shop"

    def __init__(
        self,
        *,
        app_key: str = "tts-app",
        app_secret: str = "tts-secret",
        access_token: str = "tts-token",
        shop_cipher: str = "GCP_test",
        clock: Callable[[], float] = time.time,
        **options: Any,
    ):
        self.app_key, self.app_secret = app_key, app_secret
        self.access_token, self.shop_cipher = access_token, shop_cipher
        self.clock = clock
        # The shop's brand list (Get Brands): id -> name; a product names its brand by id.
        self.brands: dict[str, str] = {}
        # Uploaded images: uri -> bytes.
        self.images: dict[str, bytes] = {}
        super().__init__(**options)

    def answer(self, data: Any = None, *, code: int = 0, message: str = "Success", status: int = 200, headers=None):
        body = {"code": code, "message": message, "request_id": uuid.uuid4().hex, "data": data}
        return jsonify(body), status, headers or {}

    def _refuse(self) -> tuple | None:
        """Signature, token and clock checks, then the rate limit and faults."""
        query = request.args.to_dict()
        if query.get("app_key") != self.app_key or request.headers.get("x-tts-access-token") != self.access_token:
            return self.answer(code=105002, message="Invalid credentials", status=401)
        if query.get("shop_cipher") != self.shop_cipher:
            return self.answer(code=106011, message="Invalid shop_cipher", status=400)
        given = query.get("sign", "")
        expected = request_sign(
            self.app_secret, request.path, query, request.get_data(cache=True), request.content_type or ""
        )
        if not hmac.compare_digest(given, expected):
            return self.answer(code=106001, message="Invalid signature", status=401)
        try:
            if abs(int(query.get("timestamp", "0")) - self.clock()) > CLOCK_SKEW_SECONDS:
                return self.answer(code=106002, message="Request timestamp expired", status=401)
        except ValueError:
            return self.answer(code=106002, message="Invalid timestamp", status=401)
        wait = self.admit()
        if wait is not None:
            return self.answer(
                code=36009004,
                message="Too many requests",
                status=429,
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        if self.should_fail():
            return self.answer(code=36009003, message="Internal system error, please retry", status=500)
        return None

    def build_app(self) -> Flask:
        app = Flask("tiktok_shop_simulator")

        @app.before_request
        def _checks():
            if request.path.startswith("/_simulator"):
                return None
            return self._refuse()

        @app.errorhandler(StoreRefusal)
        def _refusal(refusal: StoreRefusal):
            if refusal.reason == "not_found":
                return self.answer(code=PRODUCT_NOT_FOUND, message=str(refusal), status=404)
            return self.answer(code=12019999, message=str(refusal), status=400)

        @app.get("/logistics/202309/warehouses")
        def warehouses():
            return self.answer(
                {
                    "warehouses": [
                        {"id": WAREHOUSE_ID, "name": "Cluster warehouse", "type": "SALES_WAREHOUSE", "is_default": True}
                    ]
                }
            )

        @app.post("/product/202309/images/upload")
        def upload_image():
            upload = request.files.get("data")
            data = upload.read(IMAGE_MAX_BYTES + 1) if upload is not None else b""
            if not data.startswith(IMAGE_SIGNATURES) or len(data) > IMAGE_MAX_BYTES:
                return self.answer(code=12052900, message="The image must be a JPG, PNG or WEBP up to 5 MB", status=400)
            uri = f"tos-maliva-i-o3syd03w52-us/{hashlib.sha256(data).hexdigest()[:32]}{len(self.images)}"
            self.images[uri] = data
            use_case = request.form.get("use_case", "MAIN_IMAGE")
            return self.answer(
                {"uri": uri, "url": f"https://p16-oec-va.ibyteimg.com/{uri}~tplv.jpeg", "use_case": use_case}
            )

        @app.post("/product/202309/products")
        def create_product():
            content = self._content(request.get_json())
            if isinstance(content, tuple):
                return content
            return self.answer(self._created(self.store.create(content)))

        @app.put("/product/202309/products/<product_id>")
        def edit_product(product_id: str):
            content = self._content(request.get_json())
            if isinstance(content, tuple):
                return content
            return self.answer(self._created(self.store.replace(product_id, content)))

        @app.get("/product/202309/products/<product_id>")
        def get_product(product_id: str):
            listing = self.store.get(product_id)
            return self.answer(
                {
                    "id": listing.id,
                    "status": status_of(listing),
                    "title": listing.title,
                    "description": listing.description,
                    "skus": [
                        {
                            "id": sku.id,
                            "seller_sku": sku.seller_sku,
                            "price": {
                                "currency": listing.currency,
                                "sale_price": str(sku.price),
                                "tax_exclusive_price": str(sku.price),
                            },
                            "inventory": [{"warehouse_id": WAREHOUSE_ID, "quantity": sku.quantity}],
                        }
                        for sku in listing.skus.values()
                    ],
                    "audit_failed_reasons": [{"position": "product", "reasons": [listing.review_note]}]
                    if listing.review_note
                    else [],
                }
            )

        @app.post("/product/202309/products/search")
        def search_products():
            wanted = set((request.get_json() or {}).get("seller_skus") or [])
            with self.store.lock:
                found = [
                    {"id": listing.id, "status": status_of(listing), "title": listing.title}
                    for listing in self.store.listings.values()
                    if not wanted or wanted & set(listing.skus)
                ]
            return self.answer({"products": found, "total_count": len(found), "next_page_token": ""})

        @app.post("/product/202309/products/<product_id>/inventory/update")
        def update_inventory(product_id: str):
            listing = self.store.get(product_id)
            by_id = {sku.id: sku.seller_sku for sku in listing.skus.values()}
            quantities = {}
            for sku in (request.get_json() or {}).get("skus") or []:
                if sku["id"] not in by_id:
                    return self.answer(
                        code=12052230, message=f"sku {sku['id']} does not belong to the product", status=400
                    )
                quantities[by_id[sku["id"]]] = (sum(int(i["quantity"]) for i in sku["inventory"]), None)
            self.store.set_stock(product_id, quantities, key=None)
            return self.answer({})

        @app.post("/product/202309/products/deactivate")
        def deactivate():
            for product_id in (request.get_json() or {}).get("product_ids") or []:
                self.store.deactivate(product_id)
            return self.answer({"errors": []})

        @app.post("/order/202309/orders/search")
        def search_orders():
            from datetime import UTC, datetime

            since = datetime.fromtimestamp(int((request.get_json() or {}).get("update_time_ge", 0)), UTC)
            orders = self.store.orders_since(since)
            start = int(request.args.get("page_token") or 0)
            size = int(request.args.get("page_size") or 50)
            page = orders[start : start + size]
            more = start + size < len(orders)
            return self.answer(
                {
                    "orders": [self._order(order) for order in page],
                    "next_page_token": str(start + size) if more else "",
                    "total_count": len(orders),
                }
            )

        @app.post("/return_refund/202309/returns/search")
        def search_returns():
            from datetime import UTC, datetime

            filters = request.get_json(silent=True) or {}
            order_ids = filters.get("order_ids")
            if order_ids is not None:
                found = [item for order_id in order_ids for item in self.store.after_sales_of(str(order_id))]
            else:
                since = datetime.fromtimestamp(int(filters.get("update_time_ge", 0)), UTC)
                found = self.store.after_sales_since(since)
            start = int(request.args.get("page_token") or 0)
            size = int(request.args.get("page_size") or 50)
            if not 1 <= size <= 50:
                return self.answer(code=36009001, message="page_size must be between 1 and 50", status=400)
            page = found[start : start + size]
            more = start + size < len(found)
            return self.answer(
                {
                    "return_orders": [self._return(item) for item in page],
                    "next_page_token": str(start + size) if more else "",
                    "total_count": len(found),
                }
            )

        @app.get("/finance/202309/statements")
        def statements():
            from datetime import UTC, datetime

            if not request.args.get("sort_field"):
                return self.answer(code=36009001, message="sort_field is required", status=400)
            since = datetime.fromtimestamp(int(request.args.get("statement_time_ge") or 0), UTC)
            found = self.store.payouts_since(since)
            start = int(request.args.get("page_token") or 0)
            size = int(request.args.get("page_size") or 20)
            more = start + size < len(found)
            return self.answer(
                {
                    "statements": [self._statement(payout) for payout in found[start : start + size]],
                    "next_page_token": str(start + size) if more else "",
                }
            )

        @app.get("/finance/202501/statements/<statement_id>/statement_transactions")
        def statement_transactions(statement_id: str):
            if not request.args.get("sort_field"):
                return self.answer(code=36009001, message="sort_field is required", status=400)
            payout = self.store.payout(statement_id)
            start = int(request.args.get("page_token") or 0)
            size = int(request.args.get("page_size") or 20)
            lines = payout.transactions
            more = start + size < len(lines)
            return self.answer(
                {
                    "id": payout.id,
                    "create_time": int(payout.issued_at.timestamp()),
                    "status": "PAID" if payout.paid else "PROCESSING",
                    "currency": payout.currency,
                    "total_settlement_amount": str(payout.net),
                    "total_count": len(lines),
                    "next_page_token": str(start + size) if more else "",
                    "transactions": [self._settled(line) for line in lines[start : start + size]],
                }
            )

        @app.get("/order/202309/orders")
        def get_orders():
            ids = [value for value in (request.args.get("ids") or "").split(",") if value]
            found = []
            for order_id in ids:
                try:
                    found.append(self._order(self.store.order(order_id)))
                except StoreRefusal:
                    continue
            return self.answer({"orders": found})

        return app

    def _content(self, body: dict | None):
        body = body or {}
        skus = body.get("skus") or []
        if not body.get("title") or not skus:
            return self.answer(code=12052700, message="title and skus are required", status=400)
        unknown = [image.get("uri") for image in body.get("main_images") or [] if image.get("uri") not in self.images]
        if unknown:
            return self.answer(code=12052700, message=f"main_images uri not uploaded: {unknown[0]}", status=400)
        currencies = {sku["price"]["currency"] for sku in skus}
        return ListingContent(
            identity=identity_of([sku["seller_sku"] for sku in skus]),
            title=body["title"],
            description=body.get("description", ""),
            currency=currencies.pop() if len(currencies) == 1 else "",
            brand=self.brands.get(str(body.get("brand_id"))) if body.get("brand_id") else None,
            category=body.get("category_id"),
            images=tuple(image["uri"] for image in body.get("main_images") or []),
            skus=tuple(
                SkuContent(
                    seller_sku=sku["seller_sku"],
                    price=Decimal(sku["price"]["amount"]),
                    quantity=sum(int(i["quantity"]) for i in sku.get("inventory") or []),
                    attributes={a["name"]: a["value_name"] for a in sku.get("sales_attributes") or []},
                )
                for sku in skus
            ),
        )

    @staticmethod
    def _created(listing: StoredListing) -> dict[str, Any]:
        return {
            "product_id": listing.id,
            "skus": [{"id": sku.id, "seller_sku": sku.seller_sku} for sku in listing.skus.values()],
            "warnings": [],
        }

    def _order(self, order: StoredOrder) -> dict[str, Any]:
        return {
            "id": order.id,
            "status": ORDER_STATUS[order.status],
            "payment": {"currency": order.currency, "total_amount": str(sum(q * p for _s, q, p in order.lines))},
            "recipient_address": {"name": order.buyer_name, "region_code": order.buyer_country},
            # TikTok lists one line item per unit bought.
            "line_items": [
                {
                    "id": f"{order.id}-{seller_sku}-{unit}",
                    "seller_sku": seller_sku,
                    "sale_price": str(price),
                    "currency": order.currency,
                }
                for seller_sku, quantity, price in order.lines
                for unit in range(quantity)
            ],
            "create_time": int(order.created_at.timestamp()),
            "update_time": int(order.updated_at.timestamp()),
        }

    def webhook_request(self, event: Event) -> tuple[dict[str, str], bytes] | None:
        if event.kind == "after_sale":
            item = self.store.after_sales[event.detail["after_sale_id"]]
            shown = self._return(item)
            kind, data = (
                RETURN_STATUS_CHANGE,
                {
                    "order_id": item.order_id,
                    "return_id": item.id,
                    "return_role": "BUYER",
                    "return_type": shown["return_type"],
                    "return_status": shown["return_status"],
                    "update_time": int(event.at.timestamp()),
                },
            )
        elif event.kind == "order":
            order = self.store.order(event.subject_id)
            kind, data = (
                1,
                {
                    "order_id": order.id,
                    "order_status": ORDER_STATUS[order.status],
                    "update_time": int(order.updated_at.timestamp()),
                },
            )
        else:
            listing = self.store.get(event.subject_id)
            kind, data = (
                5,
                {"product_id": listing.id, "status": status_of(listing), "update_time": int(event.at.timestamp())},
            )
        body = json.dumps(
            {
                "type": kind,
                "tts_notification_id": event.id,
                "shop_id": "7494049642642441621",
                "timestamp": int(event.at.timestamp()),
                "data": data,
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": notification_sign(self.app_key, self.app_secret, body),
        }
        return headers, body
