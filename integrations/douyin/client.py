"""Douyin shop open platform (抖店开放平台) client.

* One endpoint per method (``/product/addV2`` for ``product.addV2``), POST, with the common
  parameters ``app_key, method, access_token, timestamp`` (``yyyy-MM-dd HH:mm:ss``, GMT+8),
  ``v=2``, ``sign_method=hmac-sha256`` and ``sign`` in the query and the business parameters
  as the JSON body (``param_json``: keys sorted, no spaces). The signature is the hex
  HMAC-SHA256, keyed with the app secret, of: secret + ``app_key`` + key + ``method`` + method
  + ``param_json`` + body + ``timestamp`` + timestamp + ``v`` + 2 + secret.
* Answers are ``{"code", "msg", "sub_code", "sub_msg", "log_id", "data"}``; ``code`` 10000 is
  success. Prices are integers in fen; the storefront's currency is CNY.
* A product is identified on our side by ``outer_product_id``, which the platform keeps, so
  a publish whose answer was lost is found again with ``product.detail`` instead of created twice.
* Stock goes through ``sku.syncStockBatch`` with the whole quantities in ``sku_sync_list``
  (``incremental`` false): the same push twice leaves the same stock.
* Photos go to the shop's material centre (``material.uploadImageSync``, by the platform's public
  address, ``need_distinct``) and a product names them by the ``byte_url`` they get once approved.
* After-sales: ``afterSale.List`` by parent order (``order_id``) or by update time
  (``update_start_time``), pages from 0 of at most 100; types 0 退货退款, 1 已发货仅退款 and 2 未发货仅退款
  (换货, 价保 and 补寄 are not refunds); the standard statuses 6 (waiting for the shop), 7 (waiting
  for the buyer's return), 11 (goods back, waiting for the shop), 12 (succeeded: refunded once
  ``refund_status`` is 3), 27 and 29 (refused), 28 (closed); amounts in fen per related SKU order.
  Refund messages are tags 200-207, naming the parent order as ``p_id``.
* Settlement bills are read as a payout a day (``settlement``).
* Message push: ``event-sign`` over app key + raw body + app secret, MD5 or HMAC-SHA256 (keyed
  with the app secret) as the ``sign-method`` header says; the body is a list of
  ``{"tag", "msg_id", "data"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from integrations.base import RetryableError, TerminalError, json_of, send
from integrations.douyin.settlement import SettlementReading
from integrations.marketplace import (
    AccountClient,
    AfterSalesPage,
    BadSignature,
    EventKind,
    ImageFile,
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

PLATFORM = "douyin"
# Material centre audit states (1 waiting, 2 in review, 3 approved, 4 refused), and how a photo
# still in review is kept.
MATERIAL_APPROVED = 3
MATERIAL_REFUSED = 4
PENDING_MATERIAL = "material:"
SUCCESS = 10000
BEIJING = timezone(timedelta(hours=8))
PRODUCT_NOT_FOUND_SUB_CODE = "isv.product-not-exist"
RETRYABLE_CODES = {20000, 50002}  # service busy, and calls over the app's limit
CHECK_STATUS = {
    1: ReviewState.OFFLINE,  # not submitted
    2: ReviewState.IN_REVIEW,
    3: ReviewState.APPROVED,
    4: ReviewState.REJECTED,
    5: ReviewState.OFFLINE,  # banned
    7: ReviewState.APPROVED,  # approved, waiting to be listed
}
ORDER_STATUS = {
    1: RemoteOrderStatus.UNPAID,
    105: RemoteOrderStatus.PAID,
    2: RemoteOrderStatus.PAID,
    101: RemoteOrderStatus.SHIPPED,
    3: RemoteOrderStatus.SHIPPED,
    4: RemoteOrderStatus.CANCELLED,
    5: RemoteOrderStatus.COMPLETED,
}
ORDER_TAGS = {"100", "101", "102", "103", "105", "106", "110"}
AFTER_SALE_TAGS = {"200", "201", "202", "203", "204", "205", "206", "207"}
AFTER_SALE_TYPES = {
    0: RemoteAfterSaleKind.RETURN_AND_REFUND,
    1: RemoteAfterSaleKind.REFUND_ONLY,  # after shipping: the buyer keeps the units
    2: RemoteAfterSaleKind.REFUND_ONLY,
}
AFTER_SALE_STATUS = {
    6: RemoteAfterSaleStatus.REQUESTED,
    7: RemoteAfterSaleStatus.APPROVED,
    11: RemoteAfterSaleStatus.RETURNED,
    27: RemoteAfterSaleStatus.REFUSED,
    28: RemoteAfterSaleStatus.REFUSED,
    29: RemoteAfterSaleStatus.REFUSED,
}
AFTER_SALE_SUCCEEDED = 12
REFUND_PAID = 3
AFTER_SALE_PAGE = 100
PRODUCT_TAGS = {"400", "402", "403"}


def param_json(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signature(app_key: str, app_secret: str, method: str, body: str, timestamp: str) -> str:
    message = f"{app_secret}app_key{app_key}method{method}param_json{body}timestamp{timestamp}v2{app_secret}"
    return hmac.new(app_secret.encode(), message.encode(), hashlib.sha256).hexdigest()


# How a message push is signed, as its ``sign-method`` header says: over app_key + body + app_secret,
# MD5 (what a push without the header uses) or HMAC-SHA256 keyed with the app secret.
PUSH_SIGN_METHODS = ("md5", "hmac-sha256")


def push_signature(app_key: str, app_secret: str, body: bytes, method: str = "md5") -> str:
    signed = app_key.encode() + body + app_secret.encode()
    if method == "hmac-sha256":
        return hmac.new(app_secret.encode(), signed, hashlib.sha256).hexdigest()
    if method == "md5":
        return hashlib.md5(signed, usedforsecurity=False).hexdigest()
    raise ValueError(f"unknown push sign method {method!r}")


def fen(amount: Decimal) -> int:
    """A CNY amount in fen, the unit Douyin prices are given in."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise TerminalError(f"douyin: {amount} has more than two decimals")
    return int(cents)


def spec_fields(content: ListingContent) -> dict[str, Any]:
    """Douyin's spec fields: ``specs`` names each spec and its values, ``spec_prices`` one row per SKU."""
    names = sorted({name for sku in content.skus for name in sku.attributes}) or ["规格"]
    specs = "^".join(
        f"{name}|" + ",".join(sorted({sku.attributes.get(name, "默认") for sku in content.skus})) for name in names
    )
    rows = []
    for sku in content.skus:
        row = {
            "outer_sku_id": sku.seller_sku,
            "code": sku.seller_sku,
            "price": fen(sku.price),
            "stock_num": sku.quantity,
        }
        for position, name in enumerate(names[:3], start=1):
            row[f"spec_detail_name{position}"] = sku.attributes.get(name, "默认")
        rows.append(row)
    return {"specs": specs, "spec_prices": json.dumps(rows, ensure_ascii=False, separators=(",", ":"))}


class DouyinClient(SettlementReading, AccountClient):
    platform = PLATFORM
    api_base_url = "https://openapi-fxg.jinritemai.com"

    def configure(self, credentials: Mapping[str, str], settings: Mapping[str, Any]) -> None:
        self.app_key = credentials["app_key"]
        self.app_secret = credentials["app_secret"]
        self.access_token = credentials["access_token"]
        self.category_leaf_id = int(settings.get("category_leaf_id") or 20219)
        # The brand library's ids: the collective mark as registered there, and the id that says
        # "no brand" (both per shop and category, set by the operator).
        self.standard_brand_id: str | None = settings.get("standard_brand_id")
        self.no_brand_id: str | None = settings.get("no_brand_id")
        # The material centre's folder the shop's photos go to ("0": its root); ``media`` holds the
        # photos already there: name -> their byte_url once approved, or "material:<id>" while reviewed.
        self.material_folder_id = str(settings.get("material_folder_id") or "0")

    def call(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One signed method call; returns ``data`` or raises by the answer's code."""
        body = param_json(params)
        timestamp = datetime.fromtimestamp(self.clock(), BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        query = {
            "app_key": self.app_key,
            "method": method,
            "access_token": self.access_token,
            "timestamp": timestamp,
            "v": "2",
            "sign_method": "hmac-sha256",
            "sign": signature(self.app_key, self.app_secret, method, body, timestamp),
        }
        request = self.http.build_request(
            "POST",
            "/" + method.replace(".", "/"),
            params=query,
            content=body.encode(),
            headers={"Content-Type": "application/json;charset=UTF-8"},
        )
        response = send(self.http, request, gate=self.gate, counterpart=PLATFORM)
        answer = json_of(response, counterpart=PLATFORM)
        code = answer.get("code")
        if code == SUCCESS:
            data = answer.get("data")
            return data if isinstance(data, dict) else {}
        message = f"douyin {method}: {code} {answer.get('msg')} {answer.get('sub_code')} {answer.get('sub_msg')}"
        if code in RETRYABLE_CODES:
            raise RetryableError(message, retry_after=1.0, throttled=code == 50002)
        if answer.get("sub_code") == PRODUCT_NOT_FOUND_SUB_CODE:
            raise ListingNotFound(message)
        raise TerminalError(message.strip())

    def _pictures(self, images: tuple[ImageFile, ...]) -> str:
        """The product's ``pic``: each photo's address in the shop's material centre. A photo is
        uploaded once (by its public address; the same content answers the same material) and
        named only once approved; while any is still reviewed, the publish comes back later."""
        reviewed: set[str] = set()
        for image in images:
            if self.media.get(image.name) is None:
                state = self._upload(image)
                if self._note(image, state) is None:
                    reviewed.add(image.name)
        addresses, waiting = [], []
        for image in images:
            held = self.media.get(image.name)
            if held.startswith(PENDING_MATERIAL) and image.name not in reviewed:
                state = self.call("material.queryMaterialDetail", {"material_id": held.removeprefix(PENDING_MATERIAL)})
                held = self._note(image, state.get("material_info") or {})
            if held is None or held.startswith(PENDING_MATERIAL):
                waiting.append(image.name)
            else:
                addresses.append(held)
        if waiting:
            raise RetryableError(
                f"douyin: photos {', '.join(waiting)} are in the material centre's review", retry_after=5.0
            )
        return "|".join(addresses)

    def _upload(self, image: ImageFile) -> dict[str, Any]:
        if image.url is None:
            raise TerminalError(
                "douyin: the material centre fetches photos from the platform's public address "
                "(COMMERCE_PUBLIC_URL), which is not set"
            )
        stem, _dot, extension = image.name.rpartition(".")
        return self.call(
            "material.uploadImageSync",
            {
                "folder_id": self.material_folder_id,
                "url": image.url,
                "material_name": f"{stem[:40]}.{extension}",
                "need_distinct": True,
            },
        )

    def _note(self, image: ImageFile, state: Mapping[str, Any]) -> str | None:
        """Keep what the material centre said of a photo: its byte_url once approved (returned),
        or its material id while reviewed (None); a refused photo fails the listing."""
        audit = int(state.get("audit_status") or 0)
        if audit == MATERIAL_APPROVED and state.get("byte_url"):
            self.media.put(image.name, state["byte_url"])
            return state["byte_url"]
        if audit == MATERIAL_REFUSED:
            raise TerminalError(
                f"douyin: the material centre refused photo {image.name}: {state.get('audit_reject_desc') or ''}"
            )
        self.media.put(image.name, f"{PENDING_MATERIAL}{state['material_id']}")
        return None

    def _product_params(self, content: ListingContent) -> dict[str, Any]:
        if content.currency != "CNY":
            raise TerminalError(f"douyin: prices must be in CNY, not {content.currency}")
        return {
            "outer_product_id": content.identity,
            "name": content.title,
            "description": "".join(f"<p>{line}</p>" for line in content.description.splitlines()),
            "category_leaf_id": int(content.category) if (content.category or "").isdigit() else self.category_leaf_id,
            "product_type": 0,
            "pic": self._pictures(content.image_files),
            "mobile": "",
            "reduce_type": 1,  # stock is taken when the buyer pays
            "freight_id": 0,
            "commit": True,
            **self._brand(content),
            **spec_fields(content),
        }

    def _brand(self, content: ListingContent) -> dict[str, Any]:
        """The product's brand by its id in the brand library: the mark's where the product shows it,
        otherwise the shop's no-brand id."""
        brand_id = self.standard_brand_id if content.brand else None
        brand_id = brand_id or self.no_brand_id
        return {"standard_brand_id": int(brand_id)} if brand_id and str(brand_id).isdigit() else {}

    def publish(self, content: ListingContent, *, external_id: str | None, may_exist: bool) -> PublishedListing:
        params = self._product_params(content)
        if external_id is None and may_exist:
            try:
                external_id = str(self.call("product.detail", {"out_product_id": content.identity})["product_id"])
            except ListingNotFound:
                external_id = None
        if external_id is None:
            data = self.call("product.addV2", params)
            external_id = str(data["product_id"])
            sku_ids = {row["outer_sku_id"]: str(row["sku_id"]) for row in data.get("sku") or []}
        else:
            self.call("product.editV2", {**params, "product_id": int(external_id)})
            sku_ids = self.read(external_id).sku_ids
        return PublishedListing(external_id, ReviewState.IN_REVIEW, "check_status:2", sku_ids)

    def read(self, external_id: str) -> RemoteListing:
        data = self.call("product.detail", {"product_id": external_id, "show_draft": "false"})
        check = int(data.get("check_status", 1))
        status = int(data.get("status", 1))
        rows = data.get("spec_prices") or []
        review = CHECK_STATUS.get(check, ReviewState.OFFLINE)
        if status != 0 and review == ReviewState.APPROVED:
            review = ReviewState.OFFLINE
        return RemoteListing(
            external_id=str(data["product_id"]),
            review=review,
            platform_status=f"status:{status} check_status:{check}",
            title=data.get("name", ""),
            prices={row["outer_sku_id"]: Decimal(int(row["price"])) / 100 for row in rows},
            quantities={row["outer_sku_id"]: int(row["stock_num"]) for row in rows},
            sku_ids={row["outer_sku_id"]: str(row["sku_id"]) for row in rows},
            review_note=data.get("audit_reason") or None,
        )

    # The quantities are absolute: sending them again changes nothing, so no idempotency key is sent.
    def push_stock(self, external_id: str, lines: list[StockLine], *, idempotency_key: str) -> None:  # noqa: ARG002
        self.call(
            "sku.syncStockBatch",
            {
                "product_id": int(external_id),
                # Whole quantities: the same push twice leaves the same stock (the platform's
                # idempotent_id only counts for incremental changes, which are not used).
                "incremental": False,
                "sku_sync_list": [{"sku_id": int(line.external_sku_id), "stock_num": line.quantity} for line in lines],
            },
        )

    def withdraw(self, external_id: str) -> None:
        self.call("product.setOffline", {"product_id": int(external_id)})

    def fetch_orders(self, *, updated_since: datetime, cursor: str | None) -> OrdersPage:
        page = int(cursor or 0)
        size = 50
        data = self.call(
            "order.searchList",
            {
                "update_time_start": int(updated_since.timestamp()),
                "order_by": "update_time",
                "order_asc": True,
                "page": page,
                "size": size,
            },
        )
        orders = tuple(self._order(order) for order in data.get("shop_order_list") or [])
        more = (page + 1) * size < int(data.get("total", 0))
        return OrdersPage(orders, str(page + 1) if more else None)

    def fetch_order(self, external_id: str) -> RemoteOrder:
        data = self.call("order.orderDetail", {"shop_order_id": external_id})
        return self._order(data["shop_order_detail"])

    def _after_sale_page(self, filters: Mapping[str, Any], page: int) -> tuple[list[RemoteAfterSale], bool]:
        data = self.call(
            "afterSale.List",
            {**filters, "order_by": ["update_time asc"], "page": page, "size": AFTER_SALE_PAGE},
        )
        found = [after_sale for item in data.get("items") or [] if (after_sale := self._after_sale(item)) is not None]
        return found, bool(data.get("has_more"))

    def fetch_after_sales(self, order_external_id: str) -> list[RemoteAfterSale]:
        found: list[RemoteAfterSale] = []
        page = 0
        while True:
            items, more = self._after_sale_page({"order_id": order_external_id}, page)
            found += items
            if not more:
                return found
            page += 1

    def fetch_changed_after_sales(self, *, updated_since: datetime, cursor: str | None) -> AfterSalesPage:
        page = int(cursor or 0)
        items, more = self._after_sale_page({"update_start_time": int(updated_since.timestamp())}, page)
        return AfterSalesPage(tuple(items), str(page + 1) if more else None)

    @staticmethod
    def _after_sale(item: Mapping[str, Any]) -> RemoteAfterSale | None:
        """An after-sale in our words (an exchange, a price protection or a resend: None)."""
        info = item["aftersale_info"]
        kind = AFTER_SALE_TYPES.get(int(info["aftersale_type"]))
        code = int(info["aftersale_status"])
        if code == AFTER_SALE_SUCCEEDED:
            paid = int(info.get("refund_status") or 0) == REFUND_PAID
            status = RemoteAfterSaleStatus.REFUNDED if paid else RemoteAfterSaleStatus.APPROVED
        else:
            status = AFTER_SALE_STATUS.get(code)
        if kind is None or status is None:
            return None
        order = item.get("order_info") or {}
        return RemoteAfterSale(
            external_id=str(info["aftersale_id"]),
            order_external_id=str(order.get("shop_order_id") or info["related_id"]),
            kind=kind,
            status=status,
            currency="CNY",
            lines=tuple(
                RemoteAfterSaleLine(
                    related["shop_sku_code"],
                    int(related.get("aftersale_item_num") or 0),
                    Decimal(int(related.get("aftersale_pay_amount") or 0)) / 100,
                )
                for related in order.get("related_order_info") or []
            ),
            reason=(item.get("text_part") or {}).get("reason_text") or "",
            updated_at=datetime.fromtimestamp(int(info["update_time"]), UTC),
        )

    @staticmethod
    def _order(order: Mapping[str, Any]) -> RemoteOrder:
        address = order.get("post_addr") or {}
        return RemoteOrder(
            external_id=str(order["order_id"]),
            status=ORDER_STATUS.get(int(order["order_status"]), RemoteOrderStatus.UNPAID),
            currency="CNY",
            buyer_name=order.get("post_receiver") or "抖音买家",
            buyer_country=address.get("country_code") or "CN",
            lines=tuple(
                RemoteOrderLine(
                    line["out_sku_id"],
                    int(line["item_num"]),
                    Decimal(int(line["origin_amount"])) / 100 / int(line["item_num"]),
                )
                for line in order.get("sku_order_list") or []
            ),
            updated_at=datetime.fromtimestamp(int(order["update_time"]), UTC),
        )


def parse_webhook(credentials: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> list[MarketplaceEvent]:
    """Verify a Douyin message push and say what each message is about."""
    method = (headers.get("sign-method") or "md5").strip().lower()
    if method not in PUSH_SIGN_METHODS:
        raise BadSignature(f"unknown sign-method {method!r}")
    app_id = headers.get("app-id")
    if app_id is not None and app_id != credentials["app_key"]:
        raise BadSignature("app-id is not this account's app")
    expected = push_signature(credentials["app_key"], credentials["app_secret"], body, method)
    if not hmac.compare_digest((headers.get("event-sign") or "").encode(), expected.encode()):
        raise BadSignature("event-sign does not match the body")
    try:
        messages = json.loads(body)
        if not isinstance(messages, list):
            raise TypeError("the body is not a list of messages")
        events = []
        for message in messages:
            tag = str(message["tag"])
            data = json.loads(message["data"]) if isinstance(message.get("data"), str) else message.get("data") or {}
            if tag in ORDER_TAGS:
                kind, subject = EventKind.ORDER, data.get("p_id")
            elif tag in AFTER_SALE_TAGS:
                kind, subject = EventKind.AFTER_SALE, data.get("p_id")
            elif tag in PRODUCT_TAGS:
                kind, subject = EventKind.LISTING, data.get("product_id")
            else:
                kind, subject = EventKind.OTHER, None
            at = data.get("update_time")
            events.append(
                MarketplaceEvent(
                    event_id=str(message["msg_id"]),
                    topic=f"tag:{tag}",
                    kind=kind,
                    subject_id=str(subject) if subject is not None else None,
                    occurred_at=datetime.fromtimestamp(int(at), UTC) if at else None,
                )
            )
    except (ValueError, KeyError, TypeError) as error:
        raise BadSignature(f"not a Douyin message push: {error}") from error
    return events
