"""A Douyin shop speaking the open platform's dialect (抖店开放平台), for client tests and demos.

Its after-sales (``afterSale.List``) are Douyin's: 退货退款 (type 0), 已发货仅退款 (1) and 未发货仅退款
(2), with the standard after-sale statuses (6 waiting for the shop, 7 waiting for the buyer's
return, 11 goods back and waiting for the shop's second agreement, 12 succeeded, 27 refused,
28 closed), amounts in fen; each change is pushed as one of the refund messages (tags 200-207).
Its settlement bills (``order.getSettleBillDetailV3``) are one a SKU order settled or taken back,
at the moment of the payout that carried it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from flask import Flask, jsonify, request

from integrations.douyin.simulator_money import AFTER_SALE_TAG, MoneyShapes
from integrations.market_store import Event, StoredListing, StoredOrder, StoreRefusal
from integrations.marketplace import (
    ListingContent,
    RemoteAfterSaleStatus,
    RemoteOrderStatus,
    ReviewState,
    SkuContent,
)
from integrations.simulation import Simulator

# The open platform's own rules (op.jinritemai.com): a method call is signed with HMAC-SHA256, keyed
# with the app secret, over app_secret + "app_key" + key + "method" + method + "param_json" + the
# parameters as compact JSON with sorted keys + "timestamp" + time + "v" + version + app_secret;
# a message push carries event-sign over app_key + body + app_secret, MD5 or HMAC-SHA256 as its
# sign-method header says.
BEIJING = timezone(timedelta(hours=8))
SUCCESS = 10000
PRODUCT_NOT_FOUND_SUB_CODE = "isv.product-not-exist"


def param_json(params: Any) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signature(app_key: str, app_secret: str, method: str, body: str, timestamp: str) -> str:
    pattern = f"app_key{app_key}method{method}param_json{body}timestamp{timestamp}v{2}"
    return hmac.new(app_secret.encode(), f"{app_secret}{pattern}{app_secret}".encode(), hashlib.sha256).hexdigest()


def push_sign(app_key: str, app_secret: str, body: bytes, method: str) -> str:
    signed = app_key.encode() + body + app_secret.encode()
    if method == "md5":
        return hashlib.md5(signed, usedforsecurity=False).hexdigest()
    return hmac.new(app_secret.encode(), signed, hashlib.sha256).hexdigest()


CHECK_STATUS = {ReviewState.IN_REVIEW: 2, ReviewState.APPROVED: 3, ReviewState.REJECTED: 4, ReviewState.OFFLINE: 3}
ORDER_STATUS = {
    RemoteOrderStatus.UNPAID: 1,
    RemoteOrderStatus.PAID: 2,
    RemoteOrderStatus.SHIPPED: 3,
    RemoteOrderStatus.CANCELLED: 4,
    RemoteOrderStatus.COMPLETED: 5,
}
ORDER_TAG = {
    RemoteOrderStatus.UNPAID: "100",
    RemoteOrderStatus.PAID: "101",
    RemoteOrderStatus.SHIPPED: "102",
    RemoteOrderStatus.COMPLETED: "103",
    RemoteOrderStatus.CANCELLED: "106",
}
CLOCK_SKEW_SECONDS = 600


def status_text(listing: StoredListing) -> str:
    return f"status:{0 if listing.active else 1} check_status:{CHECK_STATUS[listing.review]}"


class DouyinSimulator(MoneyShapes, Simulator):
    platform = "douyin"

    def __init__(
        self,
        *,
        app_key: str = "dy-app",
        app_secret: str = "dy-secret",
        access_token: str = "dy-token",
        clock: Callable[[], float] = time.time,
        push_sign_method: str = "md5",
        material_review_seconds: float = 0.0,
        **options: Any,
    ):
        self.app_key, self.app_secret, self.access_token = app_key, app_secret, access_token
        self.clock = clock
        # How its message pushes are signed: md5 (the platform's default) or hmac-sha256.
        self.push_sign_method = push_sign_method
        # The brand library: id -> name (an id not in it, such as the no-brand id, names no brand).
        self.brands: dict[str, str] = {}
        # The material centre: id -> {"name", "folder_id", "origin_url", "byte_url", "uploaded"}, found
        # by the address it came from and by its byte_url; a photo is approved this long after it is
        # uploaded (audit_status 1, then 3).
        self.materials: dict[str, dict[str, Any]] = {}
        self.material_by_source: dict[str, str] = {}
        self.material_by_byte_url: dict[str, str] = {}
        self.material_review_seconds = material_review_seconds
        super().__init__(**options)

    @staticmethod
    def answer(
        data: Any = None,
        *,
        code: int = SUCCESS,
        msg: str = "success",
        sub_code: str = "",
        sub_msg: str = "",
        status: int = 200,
        headers=None,
    ):
        body = {
            "code": code,
            "msg": msg,
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            "log_id": uuid.uuid4().hex,
            "data": data or {},
        }
        return jsonify(body), status, headers or {}

    def _refuse(self, method_path: str):
        query = request.args.to_dict()
        method = query.get("method", "")
        if method.replace(".", "/") != method_path:
            return self.answer(code=40003, msg="method does not match the path", sub_code="isv.parameter-invalid")
        if query.get("app_key") != self.app_key or query.get("access_token") != self.access_token:
            return self.answer(
                code=30001, msg="access_token is invalid or expired", sub_code="isv.access-token-invalid"
            )
        body = request.get_data(as_text=True)
        timestamp = query.get("timestamp", "")
        if query.get("sign") != signature(self.app_key, self.app_secret, method, body, timestamp):
            return self.answer(code=40004, msg="signature is invalid", sub_code="isv.signature-invalid")
        try:
            sent = datetime.strptime(timestamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING).timestamp()
        except ValueError:
            return self.answer(code=40003, msg="timestamp is malformed", sub_code="isv.parameter-invalid")
        if abs(sent - self.clock()) > CLOCK_SKEW_SECONDS:
            return self.answer(
                code=40003, msg="timestamp is more than 10 minutes off", sub_code="isv.timestamp-invalid"
            )
        wait = self.admit()
        if wait is not None:
            return self.answer(
                code=50002,
                msg="calls over the limit",
                sub_code="isv.access-limit",
                status=429,
                headers={"Retry-After": str(max(1, round(wait)))},
            )
        if self.should_fail():
            return self.answer(code=20000, msg="service busy", sub_code="isp.service-error", status=502)
        return None

    def build_app(self) -> Flask:
        app = Flask("douyin_simulator")
        methods: dict[str, Callable[[dict], Any]] = {
            "product/addV2": self._add,
            "product/editV2": self._edit,
            "product/detail": self._detail,
            "product/setOffline": self._offline,
            "sku/syncStockBatch": self._sync_stock,
            "order/searchList": self._search_orders,
            "order/orderDetail": self._order_detail,
            "afterSale/List": self._after_sale_list,
            "order/getSettleBillDetailV3": self._settle_bills,
            "material/uploadImageSync": self._upload_material,
            "material/queryMaterialDetail": self._material_detail,
        }

        @app.post("/<group>/<name>")
        def call(group: str, name: str):
            path = f"{group}/{name}"
            if path not in methods:
                return self.answer(code=40001, msg="method not found", sub_code="isv.method-not-exist")
            refused = self._refuse(path)
            if refused is not None:
                return refused
            try:
                params = json.loads(request.get_data(as_text=True) or "{}")
            except ValueError:
                return self.answer(code=40003, msg="param_json is not JSON", sub_code="isv.parameter-invalid")
            try:
                return self.answer(methods[path](params))
            except StoreRefusal as refusal:
                if refusal.reason == "not_found":
                    return self.answer(
                        code=50000, msg="业务处理失败", sub_code=PRODUCT_NOT_FOUND_SUB_CODE, sub_msg=str(refusal)
                    )
                return self.answer(code=50000, msg="业务处理失败", sub_code="isv.business-failed", sub_msg=str(refusal))
            except (KeyError, ValueError, TypeError) as error:
                return self.answer(code=40003, msg="参数错误", sub_code="isv.parameter-invalid", sub_msg=str(error))

        return app

    # The material centre: photos are uploaded by a public address, reviewed, then named by their
    # byte_url (only once approved, audit_status 3) in a product's pic.

    def _upload_material(self, params: dict) -> dict:
        name, url = params["material_name"], params.get("url") or ""
        if not params.get("folder_id") or not name or len(name) > 50:
            raise ValueError("folder_id and a material_name of at most 50 characters are required")
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must be an address the material centre can fetch")
        with self.store.lock:
            same = self.material_by_source.get(url)
            if params.get("need_distinct") and same is not None:
                return {**self._material_state(same), "is_new": False}
            material_id = str(7_000_000_000_000_000_000 + len(self.materials) + 1)
            byte_url = f"https://p3-aio.ecombdimg.com/obj/ecom-shop-material/{material_id}"
            self.material_by_source[url] = material_id
            self.material_by_byte_url[byte_url] = material_id
            self.materials[material_id] = {
                "name": name,
                "folder_id": str(params["folder_id"]),
                "origin_url": url,
                "byte_url": byte_url,
                "uploaded": self.clock(),
            }
        return {**self._material_state(material_id), "is_new": True}

    def _material_state(self, material_id: str) -> dict:
        held = self.materials[material_id]
        approved = self.clock() - held["uploaded"] >= self.material_review_seconds
        state = {"material_id": material_id, "folder_id": held["folder_id"], "audit_status": 3 if approved else 1}
        return {**state, "byte_url": held["byte_url"]} if approved else state

    def _material_detail(self, params: dict) -> dict:
        material_id = str(params["material_id"])
        if material_id not in self.materials:
            raise StoreRefusal("invalid", "素材不存在或已被删除")
        held = self.materials[material_id]
        return {
            "material_info": {
                **self._material_state(material_id),
                "origin_url": held["origin_url"],
                "materil_name": held["name"],
                "material_type": "photo",
                "operate_status": 1,
            }
        }

    def _content(self, params: dict) -> ListingContent:
        names = [part.split("|", 1)[0] for part in params["specs"].split("^")]
        rows = json.loads(params["spec_prices"])
        return ListingContent(
            identity=params["outer_product_id"],
            title=params["name"],
            description=params.get("description", ""),
            currency="CNY",
            brand=self.brands.get(str(params.get("standard_brand_id"))),
            category=str(params.get("category_leaf_id")),
            images=tuple(url for url in (params.get("pic") or "").split("|") if url),
            skus=tuple(
                SkuContent(
                    seller_sku=row["outer_sku_id"],
                    price=Decimal(int(row["price"])) / 100,
                    quantity=int(row["stock_num"]),
                    attributes={
                        name: row[f"spec_detail_name{i}"] for i, name in enumerate(names[:3], start=1) if name != "规格"
                    },
                )
                for row in rows
            ),
        )

    def _check_pictures(self, params: dict) -> None:
        for url in (params.get("pic") or "").split("|"):
            material_id = self.material_by_byte_url.get(url)
            if url and (material_id is None or "byte_url" not in self._material_state(material_id)):
                raise StoreRefusal("invalid", f"pic {url} is not an approved image of the shop's material centre")

    def _add(self, params: dict) -> dict:
        self._check_pictures(params)
        listing = self.store.create(self._content(params))
        return {
            "product_id": int(listing.id),
            "outer_product_id": listing.identity,
            "create_time": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "sku": [
                {"sku_id": int(sku.id), "outer_sku_id": sku.seller_sku, "code": sku.seller_sku}
                for sku in listing.skus.values()
            ],
        }

    def _edit(self, params: dict) -> dict:
        self._check_pictures(params)
        self.store.replace(str(params["product_id"]), self._content(params))
        return {}

    def _detail(self, params: dict) -> dict:
        if params.get("product_id"):
            listing = self.store.get(str(params["product_id"]))
        else:
            listing = self.store.find(params["out_product_id"])
            if listing is None:
                raise StoreRefusal("not_found", "商品不存在")
        return {
            "product_id": int(listing.id),
            "outer_product_id": listing.identity,
            "name": listing.title,
            "status": 0 if listing.active else 1,
            "check_status": CHECK_STATUS[listing.review],
            "audit_reason": listing.review_note,
            "spec_prices": [
                {
                    "sku_id": int(sku.id),
                    "outer_sku_id": sku.seller_sku,
                    "code": sku.seller_sku,
                    "price": int(sku.price * 100),
                    "stock_num": sku.quantity,
                }
                for sku in listing.skus.values()
            ],
        }

    def _offline(self, params: dict) -> dict:
        self.store.deactivate(str(params["product_id"]))
        return {}

    def _sync_stock(self, params: dict) -> dict:
        listing = self.store.get(str(params["product_id"]))
        by_id = {sku.id: sku.seller_sku for sku in listing.skus.values()}
        quantities = {}
        if "sku_sync_list" not in params:
            raise StoreRefusal("invalid", "sku_sync_list is required")
        for row in params["sku_sync_list"]:
            if str(row["sku_id"]) not in by_id:
                raise StoreRefusal("invalid", f"sku {row['sku_id']} is not in product {listing.id}")
            quantities[by_id[str(row["sku_id"])]] = (int(row["stock_num"]), None)
        if params.get("incremental"):
            raise StoreRefusal("invalid", "incremental stock changes are not supported by this simulator")
        # Whole quantities: an idempotent_id means nothing unless the change is incremental.
        self.store.set_stock(listing.id, quantities, key=None)
        return {}

    def _order(self, order: StoredOrder) -> dict:
        return {
            "order_id": order.id,
            "order_status": ORDER_STATUS[order.status],
            "create_time": int(order.created_at.timestamp()),
            "update_time": int(order.updated_at.timestamp()),
            "post_receiver": order.buyer_name,
            "post_addr": {"country_code": order.buyer_country},
            "pay_amount": sum(int(price * 100) * quantity for _s, quantity, price in order.lines),
            "sku_order_list": [
                {
                    "out_sku_id": seller_sku,
                    "code": seller_sku,
                    "item_num": quantity,
                    "origin_amount": int(price * 100) * quantity,
                }
                for seller_sku, quantity, price in order.lines
            ],
        }

    def _search_orders(self, params: dict) -> dict:
        since = datetime.fromtimestamp(int(params.get("update_time_start", 0)), UTC)
        orders = self.store.orders_since(since)
        page, size = int(params.get("page", 0)), int(params.get("size", 50))
        return {
            "shop_order_list": [self._order(order) for order in orders[page * size : (page + 1) * size]],
            "total": len(orders),
            "page": page,
            "size": size,
        }

    def _order_detail(self, params: dict) -> dict:
        return {"shop_order_detail": self._order(self.store.order(str(params["shop_order_id"])))}

    def webhook_request(self, event: Event) -> tuple[dict[str, str], bytes] | None:
        if event.kind == "after_sale":
            item = self.store.after_sales[event.detail["after_sale_id"]]
            shown = self._after_sale(item)["aftersale_info"]
            tag = AFTER_SALE_TAG[RemoteAfterSaleStatus(event.detail["status"])]
            data = {
                "p_id": int(item.order_id),
                "aftersale_id": int(item.id),
                "aftersale_status": shown["aftersale_status"],
                "aftersale_type": shown["aftersale_type"],
                "refund_amount": shown["refund_amount"],
                "update_time": int(event.at.timestamp()),
            }
        elif event.kind == "order":
            order = self.store.order(event.subject_id)
            tag = ORDER_TAG[order.status]
            data = {
                "p_id": int(order.id),
                "order_status": ORDER_STATUS[order.status],
                "update_time": int(order.updated_at.timestamp()),
            }
        else:
            listing = self.store.get(event.subject_id)
            tag = "402"
            data = {
                "product_id": int(listing.id),
                "check_status": CHECK_STATUS[listing.review],
                "update_time": int(event.at.timestamp()),
            }
        body = json.dumps([{"tag": tag, "msg_id": event.id, "data": param_json(data)}], ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "app-id": self.app_key,
            "sign-method": self.push_sign_method,
            "event-sign": push_sign(self.app_key, self.app_secret, body, self.push_sign_method),
        }
        return headers, body
