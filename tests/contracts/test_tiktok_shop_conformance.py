"""The TikTok Shop client held against ``tiktok-shop-api``, an SDK from PyPI written by others (a test dependency).

Every request of a session with the shop is signed as the SDK's ``Signer`` signs it; the product
bodies are what the SDK's request models take, without a field they do not know; webhooks are
verified and parsed by the SDK's ``Webhooks``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from tiktok_shop_api.generated.models import CreateProductRequest, EditProductRequest
from tiktok_shop_api.signing import Signer
from tiktok_shop_api.webhooks import Webhooks

from integrations.market_store import Event
from integrations.marketplace import (
    EventKind,
    ImageFile,
    ListingContent,
    RemoteAfterSaleKind,
    RemoteAfterSaleLine,
    RemoteAfterSaleStatus,
    SkuContent,
    StockLine,
)
from integrations.stand_ins import simulator_credentials
from integrations.tiktok_shop.client import TikTokShopClient, parse_webhook, product_body
from integrations.tiktok_shop.simulator import TikTokShopSimulator
from tests.factories import photo_bytes

CREDENTIALS = simulator_credentials("tiktok_shop")
CONTENT = ListingContent(
    "p-1",
    "Cashmere scarf",
    "Warm\nSoft",
    "USD",
    (SkuContent("sku-1", Decimal("45.00"), 5, attributes={"color": "camel"}, barcode="6901234567892"),),
    brand="Qinghe Cashmere",
    attributes={"hs_code": "6117100000"},
    images=("https://commerce.example.com/media/images/1/a.jpg",),
    image_files=(ImageFile("a.jpg", lambda: photo_bytes(size=(600, 600))),),
)


class Recording(httpx.BaseTransport):
    """The shop behind it, every request sent to it and the JSON it answered each with."""

    def __init__(self, simulator: TikTokShopSimulator):
        self.inner = httpx.WSGITransport(app=simulator.app)
        self.sent: list[httpx.Request] = []
        self.answers: dict[int, dict] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        response = self.inner.handle_request(request)
        content = response.read()
        if response.headers.get("content-type", "").startswith("application/json"):
            self.answers[id(request)] = json.loads(content)
        return httpx.Response(response.status_code, headers=response.headers, content=content)


def test_every_request_of_a_session_is_signed_as_the_sdk_signs_it():
    simulator = TikTokShopSimulator()
    transport = Recording(simulator)
    client = TikTokShopClient(
        CREDENTIALS, {"base_url": "http://tts.test", "brand_id": "7082427311584347905"}, transport=transport
    )
    published = client.publish(CONTENT, external_id=None, may_exist=True)
    simulator.store.finish_reviews()
    remote = client.read(published.external_id)
    client.push_stock(
        published.external_id, [StockLine("sku-1", remote.sku_ids["sku-1"], 4)], idempotency_key="stock-1"
    )
    client.publish(CONTENT, external_id=published.external_id, may_exist=True)
    client.fetch_orders(updated_since=datetime(2026, 12, 1, tzinfo=UTC), cursor=None)
    client.withdraw(published.external_id)

    uploads = [request for request in transport.sent if request.url.path.endswith("/images/upload")]
    # The photo was uploaded once (the edit named the URI it was given) and the product names it.
    assert len(uploads) == 1 and uploads[0].headers["content-type"].startswith("multipart/form-data")
    assert list(simulator.images) == list(client.media.values())
    assert tuple(simulator.store.get(published.external_id).images) == tuple(client.media.values())
    assert len(transport.sent) >= 7
    for request in transport.sent:
        query = list(request.url.params.multi_items())
        expected = Signer.sign(
            path=request.url.path,
            query=query,
            content_type=request.headers.get("content-type"),
            body=request.content or None,
            app_secret=CREDENTIALS["app_secret"],
        )
        assert dict(query)["sign"] == expected, request.url.path


def test_product_bodies_are_what_the_sdks_models_take():
    body = product_body(CONTENT, "7000714532876273410", "7082427311584347905", ("tos-maliva-i-o3syd03w52-us/abc",))

    created = CreateProductRequest.from_dict(body)
    edited = EditProductRequest.from_dict(body)

    assert created.additional_properties == {} and edited.additional_properties == {}
    assert created.brand_id == "7082427311584347905"
    assert body["main_images"] == [{"uri": "tos-maliva-i-o3syd03w52-us/abc"}]
    # The category attributes an operator gives, by id, are what the model takes too.
    with_attributes = product_body(
        CONTENT,
        "w",
        None,
        (),
        [{"id": "100392", "values": [{"id": "1000059"}]}, {"id": "100107", "values": [{"name": "Cashmere"}]}],
    )
    assert CreateProductRequest.from_dict(with_attributes).additional_properties == {}
    # A product without the mark names no brand.
    unmarked = product_body(ListingContent("p-2", "Scarf", "", "USD", CONTENT.skus), "w", "7082427311584347905")
    assert "brand_id" not in unmarked


def test_webhooks_are_signed_and_shaped_as_the_sdk_expects():
    simulator = TikTokShopSimulator()
    listing = simulator.store.create(CONTENT)
    simulator.store.finish_reviews()
    bought = simulator.store.buy(seller_sku="sku-1", quantity=1)
    at = datetime(2026, 12, 3, 10, 15, tzinfo=UTC)
    for event, model in (
        (Event(id="n-1", kind="listing", subject_id=listing.id, detail={}, at=at), "ProductStatusChangeWebhook"),
        (Event(id="n-2", kind="order", subject_id=bought.id, detail={}, at=at), "OrderStatusChangeWebhook"),
    ):
        headers, body = simulator.webhook_request(event)

        assert Webhooks.verify(
            app_key=CREDENTIALS["app_key"],
            app_secret=CREDENTIALS["app_secret"],
            raw_body=body,
            signature=headers["Authorization"],
        )
        # The SDK's strict parsing: every required field of the event's model is there.
        assert type(Webhooks.parse(body)).__name__ == model


def test_category_attributes_without_ids_are_refused_before_any_call():
    import pytest

    from integrations.base import TerminalError

    for given in ([{"name": "Material", "values": [{"name": "Cashmere"}]}], [{"id": "1", "values": [{}]}], {"id": 1}):
        with pytest.raises(TerminalError):
            TikTokShopClient(CREDENTIALS, {"product_attributes": given})
    client = TikTokShopClient(CREDENTIALS, {"product_attributes": [{"id": 100107, "values": [{"name": " Cashmere "}]}]})
    assert client.product_attributes == [{"id": "100107", "values": [{"name": "Cashmere"}]}]


def test_an_account_whose_attributes_have_no_ids_is_refused_and_nothing_is_stored(client, factory, database):
    from sqlalchemy import func, select

    from commerce.listings.models import ChannelAccount

    world = factory.world()
    answer = client.post(
        "/api/v1/channel-accounts",
        headers=world.headers["admin"],
        json={
            "platform": "tiktok_shop",
            "name": "Shop",
            "credentials": CREDENTIALS,
            "settings": {"product_attributes": [{"name": "Material", "values": [{"name": "Cashmere"}]}]},
        },
    )
    assert (answer.status_code, answer.json["code"]) == (422, "invalid_account_settings")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ChannelAccount)) == 0


def test_returns_are_searched_read_and_told_as_the_sdk_models_them():
    from tiktok_shop_api.generated.models import SearchReturnsRequest, SearchReturnsResponse

    simulator = TikTokShopSimulator()
    simulator.store.create(CONTENT)
    simulator.store.finish_reviews()
    bought = simulator.store.buy(seller_sku="sku-1", quantity=3)
    back = simulator.store.request_after_sale(
        bought.id, RemoteAfterSaleKind.RETURN_AND_REFUND, [("sku-1", 3, Decimal("100.00"))], reason="too small"
    )
    simulator.store.move_after_sale(back.id, RemoteAfterSaleStatus.APPROVED)
    transport = Recording(simulator)
    client = TikTokShopClient(CREDENTIALS, {"base_url": "http://shop.test"}, transport=transport)

    found = client.fetch_after_sales(bought.id)
    changed = client.fetch_changed_after_sales(updated_since=datetime(2026, 1, 1, tzinfo=UTC), cursor=None)

    searches = [request for request in transport.sent if request.url.path == "/return_refund/202309/returns/search"]
    assert len(searches) == 2
    for request in searches:
        assert SearchReturnsRequest.from_dict(json.loads(request.content)).additional_properties == {}
        answer = transport.answers[id(request)]["data"]
        parsed = SearchReturnsResponse.from_dict({"code": 0, "message": "Success", "data": answer}).data
        assert parsed.additional_properties == {}
        (shown,) = parsed.return_orders
        assert shown.additional_properties == {}
        assert [item.additional_properties for item in shown.return_line_items] == [{}, {}, {}]
    # Three units, one return line item each, 33.33 + 33.33 + 33.34.
    assert [(sale.kind, sale.status, sale.lines) for sale in found] == [
        (
            RemoteAfterSaleKind.RETURN_AND_REFUND,
            RemoteAfterSaleStatus.APPROVED,
            (RemoteAfterSaleLine("sku-1", 3, Decimal("100.00")),),
        )
    ]
    assert changed.after_sales == tuple(found)
    headers, body = simulator.webhook_request(
        Event(
            id="n-3",
            kind="after_sale",
            subject_id=bought.id,
            detail={"after_sale_id": back.id, "status": "approved"},
            at=datetime(2026, 12, 3, 10, 15, tzinfo=UTC),
        )
    )
    told = Webhooks.parse(body)
    assert type(told).__name__ == "ReturnStatusChangeWebhook"
    assert (told.data.order_id, told.data.return_status) == (bought.id, "AWAITING_BUYER_SHIP")
    [event] = parse_webhook(CREDENTIALS, headers, body)
    assert (event.kind, event.subject_id) == (EventKind.AFTER_SALE, bought.id)


def test_statements_and_their_transactions_are_read_as_the_sdk_models_them():
    from tiktok_shop_api.generated.api.finance.get_statements import _get_kwargs as statements_request
    from tiktok_shop_api.generated.api.finance.get_transactions_by_statement import (
        _get_kwargs as transactions_request,
    )
    from tiktok_shop_api.generated.models import GetStatementsResponse, GetTransactionsByStatementResponse

    simulator = TikTokShopSimulator()
    simulator.store.create(CONTENT)
    simulator.store.finish_reviews()
    bought = simulator.store.buy(seller_sku="sku-1", quantity=2)
    simulator.store.add_transaction("adjustment", None, Decimal("-3.20"))
    paid = simulator.store.pay_out(fee_rate=Decimal("0.08"))
    transport = Recording(simulator)
    client = TikTokShopClient(CREDENTIALS, {"base_url": "http://shop.test"}, transport=transport)

    [statement] = client.fetch_payouts(issued_since=datetime(2026, 1, 1, tzinfo=UTC), cursor=None).payouts
    settled = client.fetch_payout_transactions(statement.external_id, cursor=None).transactions

    listing, lines = transport.sent[-2:]
    sdk_statements = statements_request(sort_field="statement_time", statement_time_ge=1, page_size=1, page_token="x")
    sdk_lines = transactions_request(paid.id, sort_field="order_create_time", page_size=1, page_token="x")
    assert (listing.method, listing.url.path) == ("GET", sdk_statements["url"])
    assert (lines.method, lines.url.path) == ("GET", sdk_lines["url"])
    # Every parameter sent is one the SDK's request takes (besides the signing ones), the required
    # sort_field among them.
    signed = {"app_key", "timestamp", "shop_cipher", "sign"}
    assert set(listing.url.params) - signed <= set(sdk_statements["params"]) | {"sort_order"}
    assert set(lines.url.params) - signed <= set(sdk_lines["params"]) | {"sort_order"}
    assert (listing.url.params["sort_field"], lines.url.params["sort_field"]) == ("statement_time", "order_create_time")
    for request, model in ((listing, GetStatementsResponse), (lines, GetTransactionsByStatementResponse)):
        parsed = model.from_dict(transport.answers[id(request)]).data
        assert parsed.additional_properties == {}
    fee = -(Decimal("90.00") * Decimal("0.08")).quantize(Decimal("0.01"))
    assert (statement.external_id, statement.paid, statement.net) == (
        paid.id,
        True,
        Decimal("90.00") + fee - Decimal("3.20"),
    )
    assert [(line.kind.value, line.order_external_id, line.amount, line.fee, line.net) for line in settled] == [
        ("sale", bought.id, Decimal("90.00"), fee, Decimal("90.00") + fee),
        ("adjustment", None, Decimal("-3.20"), Decimal(0), Decimal("-3.20")),
    ]
