"""The Douyin client held against ``doudian``, an SDK from PyPI written by others (a test dependency).

The SDK verifies message pushes the way the open platform documents for a push without a
``sign-method``: MD5 over app_key + body + app_secret, with the ``app-id`` header naming the app;
and it signs method calls with HMAC-SHA256 over its own pattern.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from doudian.core import AppType, DouDian

from integrations.base import RetryableError, TerminalError
from integrations.douyin import client as douyin
from integrations.douyin.simulator import DouyinSimulator
from integrations.market_store import Event
from integrations.marketplace import (
    BadSignature,
    EventKind,
    ImageFile,
    ListingContent,
    RemoteAfterSaleKind,
    SkuContent,
)
from integrations.stand_ins import simulator_credentials
from tests.clock import ManualClock

CREDENTIALS = simulator_credentials("douyin")


def sdk() -> DouDian:
    # A tool app without a code: the SDK makes no call to the platform when it is built.
    return DouDian(CREDENTIALS["app_key"], CREDENTIALS["app_secret"], app_type=AppType.TOOL)


def pushed(method: str) -> tuple[dict, bytes]:
    simulator = DouyinSimulator(push_sign_method=method)
    listing = simulator.store.create(ListingContent("p-1", "Scarf", "", "CNY", ()))
    return simulator.webhook_request(
        Event(id="7001", kind="listing", subject_id=listing.id, detail={}, at=datetime(2026, 12, 3, 10, 15, tzinfo=UTC))
    )


def test_a_push_the_platform_signs_with_md5_is_what_the_sdk_and_the_client_both_accept():
    headers, body = pushed("md5")

    assert sdk().callback(headers, body) == json.loads(body)
    [event] = douyin.parse_webhook(CREDENTIALS, headers, body)
    assert (event.event_id, event.topic) == ("7001", "tag:402")


def test_a_push_signed_with_hmac_sha256_is_accepted_when_its_header_says_so():
    headers, body = pushed("hmac-sha256")

    [event] = douyin.parse_webhook(CREDENTIALS, headers, body)

    assert event.event_id == "7001"
    # The SDK knows only MD5: the same push is not one it would take.
    assert sdk().callback(headers, body) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event-sign": "0" * 32}, "event-sign does not match"),
        ({"sign-method": "sha1"}, "unknown sign-method"),
        ({"app-id": "someone-else"}, "app-id is not this account's app"),
    ],
)
def test_a_push_that_does_not_verify_is_refused(change, reason):
    headers, body = pushed("md5")
    with pytest.raises(BadSignature, match=reason):
        douyin.parse_webhook(CREDENTIALS, {**headers, **change}, body)


def test_a_method_call_is_signed_as_the_sdk_signs_it():
    body = douyin.param_json({"product_id": 3539925204033339668, "title": "羊绒围巾"})
    timestamp = "2026-12-03 10:15:00"

    ours = douyin.signature(CREDENTIALS["app_key"], CREDENTIALS["app_secret"], "product.detail", body, timestamp)

    assert ours == sdk()._sign(method="product.detail", param_json=body, timestamp=timestamp)


@pytest.mark.parametrize(
    ("check_status", "status", "review"),
    [(2, 1, "in_review"), (3, 0, "approved"), (7, 0, "approved"), (4, 1, "rejected"), (3, 1, "offline")],
)
def test_review_states_are_read_as_the_platform_documents_them(check_status, status, review):
    def answer(request: httpx.Request) -> httpx.Response:
        data = {"product_id": 1, "check_status": check_status, "status": status, "name": "Scarf", "spec_prices": []}
        return httpx.Response(200, json={"code": 10000, "msg": "success", "data": data})

    client = douyin.DouyinClient(CREDENTIALS, {"base_url": "http://douyin.test"}, transport=httpx.MockTransport(answer))

    assert client.read("1").review.value == review


def test_photos_go_through_the_material_centre_once_and_a_product_names_them_when_approved():
    clock = ManualClock(start=time.time())
    simulator = DouyinSimulator(clock=clock, material_review_seconds=4.0)
    sent: list[httpx.Request] = []
    inner = httpx.WSGITransport(app=simulator.app)

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(request)
        return inner.handle_request(request)

    client = douyin.DouyinClient(
        CREDENTIALS,
        {"base_url": "http://douyin.test", "material_folder_id": "70031975314169695161250"},
        transport=httpx.MockTransport(handle),
        clock=clock,
    )
    address = "https://commerce.example.com/media/images/1/" + "ab" * 32 + ".jpg"
    photo = ImageFile("ab" * 32 + ".jpg", lambda: b"", url=address)
    back = ImageFile("cd" * 32 + ".png", lambda: b"", url=address.replace("ab" * 32 + ".jpg", "cd" * 32 + ".png"))
    content = ListingContent(
        "p-1", "羊绒围巾", "", "CNY", (SkuContent("sku-1", Decimal("99.00"), 3),), image_files=(photo, back)
    )

    with pytest.raises(RetryableError, match="in the material centre's review"):
        client.publish(content, external_id=None, may_exist=True)
    clock.advance(5)
    published = client.publish(content, external_id=None, may_exist=True)
    again = douyin.DouyinClient(
        CREDENTIALS, {"base_url": "http://douyin.test"}, transport=httpx.MockTransport(handle), clock=clock
    )
    again.media = client.media
    again.publish(content, external_id=published.external_id, may_exist=True)

    methods = [request.url.params["method"] for request in sent]
    upload = json.loads(sent[0].content)
    first, second = (material["byte_url"] for material in simulator.materials.values())
    # Both photos went up in the first attempt; the second asked how their review went.
    assert methods == [
        "material.uploadImageSync",
        "material.uploadImageSync",
        "material.queryMaterialDetail",
        "material.queryMaterialDetail",
        "product.detail",
        "product.addV2",
        "product.editV2",
        "product.detail",
    ]
    assert upload == {
        "folder_id": "70031975314169695161250",
        "material_name": "ab" * 20 + ".jpg",
        "need_distinct": True,
        "url": address,
    }
    assert simulator.store.get(published.external_id).images == [first, second]
    assert dict(client.media) == {photo.name: first, back.name: second}

    unaddressed = ListingContent(
        "p-2", "围巾", "", "CNY", (SkuContent("sku-2", Decimal("9.00"), 1),), image_files=(ImageFile("cd.jpg", bytes),)
    )
    with pytest.raises(TerminalError, match="COMMERCE_PUBLIC_URL"):
        client.publish(unaddressed, external_id=None, may_exist=False)
    assert simulator.store.find("p-2") is None and len(simulator.materials) == 2


# The after-sale list as the platform documents it (afterSale.List: standard statuses, types,
# amounts in fen per related SKU order): (type, status, refund status) -> ours.
@pytest.mark.parametrize(
    ("aftersale_type", "status", "refund_status", "kind", "ours"),
    [
        (2, 6, 1, "refund_only", "requested"),
        (2, 12, 2, "refund_only", "approved"),
        (2, 12, 3, "refund_only", "refunded"),
        (1, 12, 3, "refund_only", "refunded"),
        (0, 7, 1, "return_and_refund", "approved"),
        (0, 11, 1, "return_and_refund", "returned"),
        (0, 12, 3, "return_and_refund", "refunded"),
        (0, 27, 1, "return_and_refund", "refused"),
        (0, 28, 1, "return_and_refund", "refused"),
        (0, 29, 1, "return_and_refund", "refused"),
        (3, 6, 1, None, None),  # an exchange is not a refund
    ],
)
def test_after_sales_are_read_as_the_platform_documents_them(aftersale_type, status, refund_status, kind, ours):
    calls = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append((request.url.path, json.loads(request.content)))
        item = {
            "aftersale_info": {
                "aftersale_id": "7157461712345",
                "aftersale_type": aftersale_type,
                "aftersale_status": status,
                "related_id": "6919123456789",
                "update_time": 1_764_700_000,
                "refund_amount": 11300,
                "refund_status": refund_status,
            },
            "order_info": {
                "shop_order_id": "6919123456789",
                "related_order_info": [
                    {"sku_order_id": "6919123456790", "shop_sku_code": "cc-sku-7", "aftersale_item_num": 2,
                     "aftersale_pay_amount": 11300}
                ],
            },
            "text_part": {"reason_text": "不喜欢"},
        }  # fmt: skip
        data = {"items": [item], "has_more": False, "total": 1, "page": 0, "size": 100}
        return httpx.Response(200, json={"code": 10000, "msg": "success", "data": data})

    client = douyin.DouyinClient(CREDENTIALS, {"base_url": "http://douyin.test"}, transport=httpx.MockTransport(answer))

    found = client.fetch_after_sales("6919123456789")

    assert calls == [
        (
            "/afterSale/List",
            {"order_by": ["update_time asc"], "order_id": "6919123456789", "page": 0, "size": 100},
        )
    ]
    if kind is None:
        assert found == []
        return
    [sale] = found
    assert (sale.kind.value, sale.status.value, sale.order_external_id, sale.reason) == (
        kind,
        ours,
        "6919123456789",
        "不喜欢",
    )
    assert [(line.seller_sku, line.quantity, line.amount) for line in sale.lines] == [("cc-sku-7", 2, Decimal("113"))]


def test_a_refund_message_is_verified_by_the_sdk_and_names_its_order():
    simulator = DouyinSimulator()
    simulator.store.create(ListingContent("p-1", "Scarf", "", "CNY", (SkuContent("cc-sku-7", Decimal("56.50"), 5),)))
    simulator.store.finish_reviews()
    bought = simulator.store.buy(seller_sku="cc-sku-7", quantity=2)
    refund = simulator.store.request_after_sale(
        bought.id, RemoteAfterSaleKind.REFUND_ONLY, [("cc-sku-7", 1, Decimal("56.50"))]
    )
    headers, body = simulator.webhook_request(
        Event(
            id="7002",
            kind="after_sale",
            subject_id=bought.id,
            detail={"after_sale_id": refund.id, "status": "requested"},
            at=datetime(2026, 12, 3, 10, 15, tzinfo=UTC),
        )
    )

    assert sdk().callback(headers, body) == json.loads(body)
    [event] = douyin.parse_webhook(CREDENTIALS, headers, body)
    assert (event.topic, event.kind, event.subject_id) == ("tag:200", EventKind.AFTER_SALE, bought.id)


def test_settlement_bills_are_read_as_the_platform_documents_them_a_payout_a_day():
    """Bills as order.getSettleBillDetailV3 gives them (its response fields, amounts in fen): two
    days, the first over two pages; read as a payout a day."""
    calls = []
    bills = [
        {"settle_time": "2026-12-01 10:00:00", "request_no": "R1", "shop_order_id": "6919", "order_id": "69191",
         "settle_amount": 10_450, "trade_type": 0, "total_income": 11_300, "total_outcome": 850},
        {"settle_time": "2026-12-01 18:30:00", "request_no": "R2", "shop_order_id": "6920", "order_id": "69201",
         "settle_amount": -5_650, "trade_type": 1, "total_income": -5_650, "total_outcome": 0},
        {"settle_time": "2026-12-02 09:00:00", "request_no": "R3", "shop_order_id": "6921", "order_id": "69211",
         "settle_amount": 5_226, "trade_type": 0, "total_income": 5_650, "total_outcome": 424},
    ]  # fmt: skip

    def answer(request: httpx.Request) -> httpx.Response:
        params = json.loads(request.content)
        calls.append((request.url.path, params))
        start = datetime.strptime(params["start_time"], "%Y-%m-%d %H:%M:%S")
        end = datetime.strptime(params["end_time"], "%Y-%m-%d %H:%M:%S")
        found = [bill for bill in bills if start <= datetime.strptime(bill["settle_time"], "%Y-%m-%d %H:%M:%S") <= end]
        index = int(params.get("start_index") or 0)
        page = found[index : index + 2] if "start_index" in params or len(found) <= 2 else found[:2]
        more = index + 2 < len(found)
        data = {
            "code": "100000",
            "code_msg": "success",
            "data": page,
            "size": params["size"],
            "data_size": len(page),
            "is_end": 0 if more else 1,
            "next_start_index": str(index + 2) if more else "",
            "next_start_time": params["start_time"],
        }
        return httpx.Response(200, json={"code": 10000, "msg": "success", "data": data})

    today = datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp()
    client = douyin.DouyinClient(
        CREDENTIALS, {"base_url": "http://douyin.test"}, transport=httpx.MockTransport(answer), clock=lambda: today
    )

    page = client.fetch_payouts(issued_since=datetime(2026, 11, 30, 16, 0, tzinfo=UTC), cursor=None)
    lines = client.fetch_payout_transactions("settle:2026-12-01", cursor=None).transactions

    # The Go SDK's request fields (api/order_getSettleBillDetailV3): size, start_time, end_time,
    # start_index among them; a week at most, Beijing time.
    documented = {"size", "start_time", "end_time", "order_id", "product_id", "pay_type", "flow_type", "time_type",
                  "start_index"}  # fmt: skip
    assert all(set(params) <= documented and path == "/order/getSettleBillDetailV3" for path, params in calls)
    assert calls[0][1] == {"start_time": "2026-12-01 00:00:00", "end_time": "2026-12-03 23:59:59", "size": 100}
    assert [(payout.external_id, payout.net, payout.paid) for payout in page.payouts] == [
        ("settle:2026-12-01", Decimal("48.00"), True),
        ("settle:2026-12-02", Decimal("52.26"), True),
    ]
    assert page.next_cursor is None
    assert [(line.kind.value, line.order_external_id, line.amount, line.fee, line.net) for line in lines] == [
        ("sale", "6919", Decimal("113.00"), Decimal("-8.50"), Decimal("104.50")),
        ("refund", "6920", Decimal("-56.50"), Decimal("0"), Decimal("-56.50")),
    ]
