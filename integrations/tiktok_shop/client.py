"""TikTok Shop Open API (version 202309) client.

* Every call carries ``app_key``, ``timestamp`` (Unix seconds), ``shop_cipher`` and ``sign`` in
  the query and ``x-tts-access-token`` as a header. The signature is the lowercase hex
  HMAC-SHA256, keyed with the app secret, of: secret + path + the query parameters other than
  ``sign`` and ``access_token`` sorted by name and written name-then-value + the raw JSON body
  (none for a multipart upload) + secret.
* Photos are uploaded first (``/product/202309/images/upload``) and named by their URI.
* Answers are ``{"code", "message", "request_id", "data"}``; ``code != 0`` is an error even
  with HTTP 200.
* Products go through TikTok's own audit after create or edit: the audit status (``PENDING``,
  ``ACTIVATE``, ``FAILED``...) is theirs, kept apart from our listing status.
* Order line items are one per unit; the client counts them per seller SKU.
* Returns and refunds: ``/return_refund/202309/returns/search`` by order ids or by update time;
  a ``REFUND`` is money alone, a ``RETURN_AND_REFUND`` brings units back; return line items are
  one per unit, each with its ``refund_amount`` (``refund_subtotal``, the goods). A change is told
  by a ``RETURN_STATUS_CHANGE`` notification (type 12) naming the order.
* Finance: statements and the transactions each settled (``finance``).
* Webhooks: ``Authorization`` is the hex HMAC-SHA256 of app key + raw body, keyed with the
  app secret; ``tts_notification_id`` is the event id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integrations.base import RetryableError, TerminalError, json_of, send
from integrations.marketplace import (
    AccountClient,
    AfterSalesPage,
    BadSignature,
    EventKind,
    ListingContent,
    ListingNotFound,
    MarketplaceEvent,
    OrdersPage,
    PublishedListing,
    RemoteAfterSale,
    RemoteAfterSaleKind,
    RemoteAfterSaleLine,
    RemoteAfterSaleStatus,
    RemoteListing,
    RemoteOrder,
    RemoteOrderLine,
    RemoteOrderStatus,
    ReviewState,
    StockLine,
)
from integrations.tiktok_shop.finance import FinanceReading

PLATFORM = "tiktok_shop"
API = "/product/202309"
DEFAULT_CATEGORY = "601226"
PRODUCT_NOT_FOUND = 12052048
RETRYABLE_CODES = {36009004, 36009003}  # rate limited and "system busy" answered inside a 200
REVIEW = {
    "PENDING": ReviewState.IN_REVIEW,
    "ACTIVATE": ReviewState.APPROVED,
    "FAILED": ReviewState.REJECTED,
    "SELLER_DEACTIVATED": ReviewState.OFFLINE,
    "PLATFORM_DEACTIVATED": ReviewState.OFFLINE,
    "FREEZE": ReviewState.OFFLINE,
    "DELETED": ReviewState.OFFLINE,
    "DRAFT": ReviewState.OFFLINE,
}
ORDER_STATUS = {
    "UNPAID": RemoteOrderStatus.UNPAID,
    "ON_HOLD": RemoteOrderStatus.PAID,
    "AWAITING_SHIPMENT": RemoteOrderStatus.PAID,
    "PARTIALLY_SHIPPING": RemoteOrderStatus.PAID,
    "AWAITING_COLLECTION": RemoteOrderStatus.SHIPPED,
    "IN_TRANSIT": RemoteOrderStatus.SHIPPED,
    "DELIVERED": RemoteOrderStatus.SHIPPED,
    "COMPLETED": RemoteOrderStatus.COMPLETED,
    "CANCELLED": RemoteOrderStatus.CANCELLED,
}
# TikTok's return statuses in our words; a request answered ``SUCCESS`` has its units back when
# they were to come back, and is only approved when it was money alone.
RETURN_STATUS = {
    "RETURN_OR_REFUND_REQUEST_PENDING": RemoteAfterSaleStatus.REQUESTED,
    "AWAITING_BUYER_RESPONSE": RemoteAfterSaleStatus.REQUESTED,  # the seller offered less; the buyer decides
    "REFUND_OR_RETURN_REQUEST_REJECT": RemoteAfterSaleStatus.REFUSED,
    "RETURN_OR_REFUND_REQUEST_CANCEL": RemoteAfterSaleStatus.REFUSED,
    "AWAITING_BUYER_SHIP": RemoteAfterSaleStatus.APPROVED,
    "BUYER_SHIPPED_ITEM": RemoteAfterSaleStatus.APPROVED,
    "REJECT_RECEIVE_PACKAGE": RemoteAfterSaleStatus.APPROVED,
    "RETURN_OR_REFUND_REQUEST_COMPLETE": RemoteAfterSaleStatus.REFUNDED,
}
RETURN_TYPES = {"REFUND": RemoteAfterSaleKind.REFUND_ONLY, "RETURN_AND_REFUND": RemoteAfterSaleKind.RETURN_AND_REFUND}
RETURNS_PAGE = 50
WEBHOOK_ORDER_STATUS_CHANGE = 1
WEBHOOK_PRODUCT_STATUS_CHANGE = 5
WEBHOOK_RETURN_STATUS_CHANGE = 12


def signature(secret: str, path: str, query: Mapping[str, str], body: bytes, *, multipart: bool = False) -> str:
    """The Open API request signature (a multipart request's body is not signed)."""
    pairs = "".join(f"{name}{query[name]}" for name in sorted(query) if name not in ("sign", "access_token"))
    message = secret.encode() + path.encode() + pairs.encode() + (b"" if multipart else body) + secret.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


def product_body(
    content: ListingContent,
    warehouse_id: str,
    brand_id: str | None = None,
    image_uris: tuple[str, ...] = (),
    attributes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Our listing in the shape of Create/Edit Product.

    The brand goes by its id in TikTok Shop's brand list (the account's ``brand_id``: the collective
    mark as registered there), and only for a product that shows the mark. Category attributes
    are named by ids from the category's attribute list (Get Attributes), which the platform keeps
    per category: the operator gives the ones the account's category requires
    (``settings.product_attributes``: ``[{"id", "values": [{"id"} or {"name"}]}]``).
    """
    heaviest = max((sku.weight_kg for sku in content.skus), default=Decimal("0"))
    return {
        "title": content.title,
        "description": "".join(f"<p>{line}</p>" for line in content.description.splitlines()) or "<p></p>",
        "category_id": content.category or DEFAULT_CATEGORY,
        "main_images": [{"uri": uri} for uri in image_uris],
        "package_weight": {"value": str(heaviest or Decimal("0.1")), "unit": "KILOGRAM"},
        **({"brand_id": brand_id} if content.brand and brand_id else {}),
        **({"product_attributes": attributes} if attributes else {}),
        "skus": [
            {
                "seller_sku": sku.seller_sku,
                "price": {"amount": str(sku.price), "currency": content.currency},
                "inventory": [{"warehouse_id": warehouse_id, "quantity": sku.quantity}],
                "sales_attributes": [
                    {"name": name, "value_name": value} for name, value in sorted(sku.attributes.items())
                ],
                **({"identifier_code": {"code": sku.barcode, "type": "EAN"}} if sku.barcode else {}),
            }
            for sku in content.skus
        ],
    }


def _attributes(given: Any) -> list[dict[str, Any]]:
    """The category attributes an operator set for the account, in the API's shape: each with its
    ``id`` and values by ``id`` or ``name``; anything else is refused before a call is made."""
    if not given:
        return []
    attributes = []
    for item in given if isinstance(given, list) else []:
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(item, dict) or not str(item.get("id", "")).isdigit() or not isinstance(values, list):
            raise TerminalError("tiktok_shop: settings.product_attributes need an id and values each")
        shaped = []
        for value in values:
            if isinstance(value, dict) and str(value.get("id", "")).isdigit():
                shaped.append({"id": str(value["id"])})
            elif isinstance(value, dict) and isinstance(value.get("name"), str) and value["name"].strip():
                shaped.append({"name": value["name"].strip()})
            else:
                raise TerminalError("tiktok_shop: an attribute value needs an id or a name")
        attributes.append({"id": str(item["id"]), "values": shaped})
    if not attributes:
        raise TerminalError("tiktok_shop: settings.product_attributes must be a list")
    return attributes


class TikTokShopClient(FinanceReading, AccountClient):
    platform = PLATFORM
    api_base_url = "https://open-api.tiktokglobalshop.com"

    def configure(self, credentials: Mapping[str, str], settings: Mapping[str, Any]) -> None:
        self.app_key = credentials["app_key"]
        self.app_secret = credentials["app_secret"]
        self.access_token = credentials["access_token"]
        self.shop_cipher = credentials["shop_cipher"]
        self.warehouse_id: str | None = settings.get("warehouse_id")
        self.brand_id: str | None = settings.get("brand_id")
        self.product_attributes = _attributes(settings.get("product_attributes"))

    def call(
        self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        """One signed call; returns ``data`` or raises by the answer's code."""
        params = {
            "app_key": self.app_key,
            "timestamp": str(int(self.clock())),
            "shop_cipher": self.shop_cipher,
            **{name: str(value) for name, value in (query or {}).items() if value is not None},
        }
        raw = b"" if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        params["sign"] = signature(self.app_secret, path, params, raw)
        request = self.http.build_request(
            method,
            path,
            params=params,
            content=raw or None,
            headers={"x-tts-access-token": self.access_token, "Content-Type": "application/json"},
        )
        response = send(self.http, request, gate=self.gate, counterpart=PLATFORM)
        answer = json_of(response, counterpart=PLATFORM)
        code = answer.get("code")
        if code == 0 and response.status_code < 400:
            data = answer.get("data")
            return data if isinstance(data, dict) else {}
        message = f"tiktok_shop: {code} {answer.get('message')} (request {answer.get('request_id')})"
        if code in RETRYABLE_CODES:
            raise RetryableError(message, retry_after=1.0, throttled=code == 36009004)
        if code == PRODUCT_NOT_FOUND or response.status_code == 404:
            raise ListingNotFound(message)
        raise TerminalError(message)

    def _warehouse(self) -> str:
        if self.warehouse_id is None:
            warehouses = self.call("GET", "/logistics/202309/warehouses").get("warehouses") or []
            sales = [warehouse for warehouse in warehouses if warehouse.get("type") == "SALES_WAREHOUSE"]
            if not sales:
                raise TerminalError("tiktok_shop: the shop has no sales warehouse")
            default = next((warehouse for warehouse in sales if warehouse.get("is_default")), sales[0])
            self.warehouse_id = default["id"]
        return self.warehouse_id

    def _find(self, content: ListingContent) -> str | None:
        """The product that already sells these seller SKUs (an earlier attempt may have created it)."""
        data = self.call(
            "POST",
            f"{API}/products/search",
            query={"page_size": 20},
            body={"seller_skus": [sku.seller_sku for sku in content.skus]},
        )
        for product in data.get("products") or []:
            if product.get("status") != "DELETED":
                return product["id"]
        return None

    def upload_image(self, name: str, data: bytes, *, use_case: str = "MAIN_IMAGE") -> str:
        """Upload a photo (multipart, signed without its body); returns the URI products name it by."""
        params = {"app_key": self.app_key, "timestamp": str(int(self.clock())), "shop_cipher": self.shop_cipher}
        path = f"{API}/images/upload"
        params["sign"] = signature(self.app_secret, path, params, b"", multipart=True)
        request = self.http.build_request(
            "POST",
            path,
            params=params,
            data={"use_case": use_case},
            files={"data": (name, data)},
            headers={"x-tts-access-token": self.access_token},
        )
        response = send(self.http, request, gate=self.gate, counterpart=PLATFORM)
        answer = json_of(response, counterpart=PLATFORM)
        if answer.get("code") != 0 or not (answer.get("data") or {}).get("uri"):
            message = f"tiktok_shop image upload: {answer.get('code')} {answer.get('message')}"
            if answer.get("code") in RETRYABLE_CODES:
                raise RetryableError(message, retry_after=1.0, throttled=answer.get("code") == 36009004)
            raise TerminalError(message)
        return answer["data"]["uri"]

    def _image_uris(self, content: ListingContent) -> tuple[str, ...]:
        """The URIs of the product's photos, each uploaded to the shop once."""
        uris = []
        for image in content.image_files:
            uri = self.media.get(image.name)
            if uri is None:
                uri = self.upload_image(image.name, image.bytes(PLATFORM))
                self.media.put(image.name, uri)
            uris.append(uri)
        return tuple(uris)

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        body = product_body(
            content, self._warehouse(), self.brand_id, self._image_uris(content), self.product_attributes
        )
        if external_id is None and may_exist:
            external_id = self._find(content)
        if external_id is None:
            data = self.call("POST", f"{API}/products", body=body)
            external_id = data["product_id"]
            sku_ids = {sku["seller_sku"]: sku["id"] for sku in data.get("skus") or []}
        else:
            data = self.call("PUT", f"{API}/products/{external_id}", body=body)
            sku_ids = {sku["seller_sku"]: sku["id"] for sku in data.get("skus") or []}
        # Create and edit both send the product to audit; its outcome arrives by webhook or read-back.
        return PublishedListing(external_id, ReviewState.IN_REVIEW, "PENDING", sku_ids)

    def read(self, external_id: str) -> RemoteListing:
        data = self.call("GET", f"{API}/products/{external_id}")
        status = data.get("status", "")
        skus = data.get("skus") or []
        reasons = [
            reason for failure in data.get("audit_failed_reasons") or [] for reason in failure.get("reasons") or []
        ]
        return RemoteListing(
            external_id=data["id"],
            review=REVIEW.get(status, ReviewState.OFFLINE),
            platform_status=status,
            title=data.get("title", ""),
            prices={sku["seller_sku"]: Decimal(sku["price"]["sale_price"]) for sku in skus},
            quantities={sku["seller_sku"]: sum(int(i["quantity"]) for i in sku.get("inventory") or []) for sku in skus},
            sku_ids={sku["seller_sku"]: sku["id"] for sku in skus},
            review_note="; ".join(reasons) or None,
        )

    # The quantities are absolute: sending them again changes nothing, so no idempotency key is sent.
    def push_stock(self, external_id: str, lines: list[StockLine], *, idempotency_key: str) -> None:  # noqa: ARG002
        warehouse = self._warehouse()
        self.call(
            "POST",
            f"{API}/products/{external_id}/inventory/update",
            body={
                "skus": [
                    {"id": line.external_sku_id, "inventory": [{"warehouse_id": warehouse, "quantity": line.quantity}]}
                    for line in lines
                ]
            },
        )

    def withdraw(self, external_id: str) -> None:
        self.call("POST", f"{API}/products/deactivate", body={"product_ids": [external_id]})

    def fetch_orders(self, *, updated_since: datetime, cursor: str | None) -> OrdersPage:
        data = self.call(
            "POST",
            "/order/202309/orders/search",
            query={"page_size": 50, "page_token": cursor, "sort_field": "update_time", "sort_order": "ASC"},
            body={"update_time_ge": int(updated_since.timestamp())},
        )
        orders = tuple(self._order(order) for order in data.get("orders") or [])
        return OrdersPage(orders, data.get("next_page_token") or None)

    def fetch_order(self, external_id: str) -> RemoteOrder:
        orders = self.call("GET", "/order/202309/orders", query={"ids": external_id}).get("orders") or []
        if not orders:
            raise TerminalError(f"tiktok_shop: no order {external_id}")
        return self._order(orders[0])

    def _returns(self, filters: Mapping[str, Any], cursor: str | None) -> AfterSalesPage:
        data = self.call(
            "POST",
            "/return_refund/202309/returns/search",
            query={"page_size": RETURNS_PAGE, "page_token": cursor, "sort_field": "update_time", "sort_order": "ASC"},
            body=dict(filters),
        )
        found = tuple(
            after_sale for item in data.get("return_orders") or [] if (after_sale := self._after_sale(item)) is not None
        )
        return AfterSalesPage(found, data.get("next_page_token") or None)

    def fetch_after_sales(self, order_external_id: str) -> list[RemoteAfterSale]:
        found: list[RemoteAfterSale] = []
        cursor = None
        while True:
            page = self._returns({"order_ids": [order_external_id]}, cursor)
            found += page.after_sales
            cursor = page.next_cursor
            if cursor is None:
                return found

    def fetch_changed_after_sales(self, *, updated_since: datetime, cursor: str | None) -> AfterSalesPage:
        return self._returns({"update_time_ge": int(updated_since.timestamp())}, cursor)

    @staticmethod
    def _after_sale(item: Mapping[str, Any]) -> RemoteAfterSale | None:
        """A return or refund in our words (a replacement is not an after-sale here: None)."""
        kind = RETURN_TYPES.get(item.get("return_type", ""))
        if kind is None:
            return None
        status = RETURN_STATUS.get(item["return_status"])
        if item["return_status"] == "RETURN_OR_REFUND_REQUEST_SUCCESS":
            returned = kind == RemoteAfterSaleKind.RETURN_AND_REFUND
            status = RemoteAfterSaleStatus.RETURNED if returned else RemoteAfterSaleStatus.APPROVED
        if status is None:
            return None
        units: Counter[str] = Counter()
        amounts: dict[str, Decimal] = {}
        for line in item.get("return_line_items") or []:
            units[line["seller_sku"]] += 1
            money = line.get("refund_amount") or {}
            amounts[line["seller_sku"]] = amounts.get(line["seller_sku"], Decimal(0)) + Decimal(
                money.get("refund_subtotal") or money.get("refund_total") or "0"
            )
        return RemoteAfterSale(
            external_id=str(item["return_id"]),
            order_external_id=str(item["order_id"]),
            kind=kind,
            status=status,
            currency=(item.get("refund_amount") or {}).get("currency", ""),
            lines=tuple(RemoteAfterSaleLine(sku, units[sku], amounts[sku]) for sku in units),
            reason=item.get("return_reason_text") or "",
            updated_at=datetime.fromtimestamp(int(item["update_time"]), UTC),
        )

    @staticmethod
    def _order(order: Mapping[str, Any]) -> RemoteOrder:
        units: Counter[str] = Counter()
        prices: dict[str, Decimal] = {}
        for item in order.get("line_items") or []:
            units[item["seller_sku"]] += 1
            prices[item["seller_sku"]] = Decimal(item["sale_price"])
        address = order.get("recipient_address") or {}
        return RemoteOrder(
            external_id=order["id"],
            status=ORDER_STATUS.get(order["status"], RemoteOrderStatus.UNPAID),
            currency=(order.get("payment") or {}).get("currency", ""),
            buyer_name=address.get("name") or "TikTok Shop buyer",
            buyer_country=address.get("region_code"),
            lines=tuple(RemoteOrderLine(sku, units[sku], prices[sku]) for sku in units),
            updated_at=datetime.fromtimestamp(int(order["update_time"]), UTC),
        )


def parse_webhook(credentials: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> list[MarketplaceEvent]:
    """Verify a TikTok Shop webhook and say what it is about."""
    expected = webhook_signature(credentials["app_key"], credentials["app_secret"], body)
    if not hmac.compare_digest((headers.get("Authorization") or "").encode(), expected.encode()):
        raise BadSignature("Authorization does not match the body")
    try:
        payload = json.loads(body)
        event_id = str(payload["tts_notification_id"])
        kind_code = int(payload["type"])
    except (ValueError, KeyError, TypeError) as error:
        raise BadSignature(f"not a TikTok Shop notification: {error}") from error
    data = payload.get("data") or {}
    if kind_code == WEBHOOK_ORDER_STATUS_CHANGE:
        kind, subject = EventKind.ORDER, data.get("order_id")
    elif kind_code == WEBHOOK_RETURN_STATUS_CHANGE:
        kind, subject = EventKind.AFTER_SALE, data.get("order_id")
    elif kind_code == WEBHOOK_PRODUCT_STATUS_CHANGE:
        kind, subject = EventKind.LISTING, data.get("product_id")
    else:
        kind, subject = EventKind.OTHER, None
    at = payload.get("timestamp")
    return [
        MarketplaceEvent(
            event_id=event_id,
            topic=f"type:{kind_code}",
            kind=kind,
            subject_id=str(subject) if subject is not None else None,
            occurred_at=datetime.fromtimestamp(int(at), UTC) if at else None,
        )
    ]
