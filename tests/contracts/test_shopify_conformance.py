"""The Shopify client held against Shopify's official Admin schemas and its published cost rules.

Every request the client sends in a session with a shop (publish, read, stock, withdraw, orders
with more line items than one page) is validated with its variables by graphql-core against the
official schema of the version it speaks, and its requested cost computed by Shopify's rules.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from commerce.listings.models import ChannelAccount
from integrations.base import RetryableError
from integrations.marketplace import (
    ImageFile,
    ListingContent,
    RemoteAfterSaleKind,
    RemoteAfterSaleStatus,
    SkuContent,
    StockLine,
)
from integrations.shopify import client as shopify
from integrations.shopify import queries as shopify_queries
from integrations.shopify.simulator import ShopifySimulator
from integrations.simulation import TokenBucket
from integrations.stand_ins import simulator_credentials
from tests.clock import ManualClock
from tests.contracts.shopify_schema import admin_schema, problems, requested_cost

DOCUMENTS = {
    "productSet": shopify_queries.PRODUCT_SET,
    "product": shopify_queries.PRODUCT_QUERY,
    "productUpdate": shopify_queries.PRODUCT_UPDATE,
    "inventorySetQuantities": shopify_queries.INVENTORY_SET,
    "locations": shopify_queries.LOCATIONS,
    "orders": shopify_queries.ORDERS,
    "order": shopify_queries.ORDER_QUERY,
    "orderLines": shopify_queries.ORDER_LINES,
    "orderAfterSales": shopify_queries.ORDER_AFTER_SALES,
    "ordersAfterSales": shopify_queries.ORDERS_AFTER_SALES,
    "payouts": shopify_queries.PAYOUTS,
    "payoutTransactions": shopify_queries.PAYOUT_TRANSACTIONS,
    "webhookSubscriptions": shopify_queries.WEBHOOKS,
    "webhookSubscriptionCreate": shopify_queries.WEBHOOK_CREATE,
    "stagedUploadsCreate": shopify_queries.STAGED_UPLOADS,
}


class Recording(httpx.BaseTransport):
    """The shop behind it, every GraphQL request the client sent, and every staged upload."""

    def __init__(self, simulator: ShopifySimulator):
        self.inner = httpx.WSGITransport(app=simulator.app)
        self.sent: list[dict] = []
        self.uploads: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/graphql.json"):
            self.sent.append({"path": request.url.path, **json.loads(request.read())})
        else:
            request.read()
            self.uploads.append(request)
        return self.inner.handle_request(request)


def shop_client(simulator: ShopifySimulator) -> shopify.ShopifyClient:
    """The client on the shop's simulator, its location known."""
    return shopify.ShopifyClient(
        simulator_credentials("shopify"),
        {"base_url": "http://shop.test", "location_id": "gid://shopify/Location/1"},
        transport=httpx.WSGITransport(app=simulator.app),
    )


@pytest.mark.parametrize("version", shopify_queries.supported_versions(date(2026, 12, 3)))
def test_every_document_is_valid_on_each_supported_version(version):
    schema = admin_schema(version)
    for name, document in DOCUMENTS.items():
        operation_problems = [problem for problem in problems(schema, document, {}) if "Variable" not in problem]
        assert operation_problems == [], (version, name)


def test_a_session_with_a_shop_sends_only_what_the_schema_takes_within_the_cost_limit():
    simulator = ShopifySimulator()
    transport = Recording(simulator)
    client = shopify.ShopifyClient(
        simulator_credentials("shopify"), {"base_url": "http://shop.test"}, transport=transport
    )
    content = ListingContent(
        "cashmere-sweater",
        "Cashmere sweater",
        "Soft\nWarm",
        "USD",
        (
            SkuContent("SW-RED-M", Decimal("120.00"), 30, attributes={"color": "red", "size": "M"}),
            SkuContent("SW-RED-L", Decimal("125.00"), 20, attributes={"color": "red", "size": "L"}),
        ),
        brand="Qinghe Cashmere",
        category="Sweaters",
        image_files=(
            # One photo the shop fetches from the platform's public address, one staged by upload.
            ImageFile(
                "ab12.jpg",
                lambda: b"jpeg bytes",
                content_type="image/jpeg",
                url="https://commerce.example.com/media/images/1/ab12.jpg",
            ),
            ImageFile("cd34.png", lambda: b"png bytes", content_type="image/png"),
        ),
    )
    published = client.publish(content, external_id=None, may_exist=False)
    client.publish(content, external_id=published.external_id, may_exist=True)
    remote = client.read(published.external_id)
    client.push_stock(
        published.external_id,
        [StockLine("SW-RED-M", remote.sku_ids["SW-RED-M"], 28, expected=30)],
        idempotency_key="stock-1",
    )
    before = datetime.now(UTC) - timedelta(seconds=5)
    # An order of 25 lines: more than the first page of line items read with it.
    for _ in range(12):
        simulator.store.buy(seller_sku="SW-RED-M", quantity=1)
    big = simulator.store.buy(seller_sku="SW-RED-L", quantity=1)
    big.lines.extend([("SW-RED-M", 1, Decimal("120.00"))] * 24)
    page = client.fetch_orders(updated_since=before, cursor=None)
    while page.next_cursor:
        page = client.fetch_orders(updated_since=before, cursor=page.next_cursor)
    one = client.fetch_order(big.id)
    # A return refunded, and money alone: the order's after-sales, then those changed since.
    back = simulator.store.request_after_sale(
        big.id, RemoteAfterSaleKind.RETURN_AND_REFUND, [("SW-RED-M", 2, Decimal("240.00"))], reason="too small"
    )
    for status in (RemoteAfterSaleStatus.APPROVED, RemoteAfterSaleStatus.RETURNED, RemoteAfterSaleStatus.REFUNDED):
        simulator.store.move_after_sale(back.id, status)
    money = simulator.store.request_after_sale(
        big.id, RemoteAfterSaleKind.PARTIAL_REFUND, [("SW-RED-L", 0, Decimal("12.50"))]
    )
    simulator.store.move_after_sale(money.id, RemoteAfterSaleStatus.APPROVED)
    simulator.store.move_after_sale(money.id, RemoteAfterSaleStatus.REFUNDED)
    after_sales = client.fetch_after_sales(big.id)
    changed = client.fetch_changed_after_sales(updated_since=before, cursor=None)
    while changed.next_cursor:
        changed = client.fetch_changed_after_sales(updated_since=before, cursor=changed.next_cursor)
    paid = simulator.store.pay_out(fee_rate=Decimal("0.029"))
    payouts = client.fetch_payouts(issued_since=before, cursor=None)
    carried = client.fetch_payout_transactions(paid.id, cursor=None)
    client.withdraw(published.external_id)
    address = "https://commerce.example.com/api/v1/webhooks/shopify/1"
    first = client.subscribe_webhooks(address)
    again = client.subscribe_webhooks(address)

    assert len(one.lines) == 25
    assert [(payout.external_id, payout.paid, payout.net) for payout in payouts.payouts] == [(paid.id, True, paid.net)]
    assert sum(line.net for line in carried.transactions) == paid.net
    assert {line.kind.value for line in carried.transactions} == {"sale", "refund"}
    assert [
        (
            sale.external_id,
            sale.kind,
            sale.status,
            [(line.seller_sku, line.quantity, line.amount) for line in sale.lines],
        )
        for sale in after_sales
    ] == [
        (
            f"return:{back.id}",
            RemoteAfterSaleKind.RETURN_AND_REFUND,
            RemoteAfterSaleStatus.REFUNDED,
            [("SW-RED-M", 2, Decimal("240.00"))],
        ),
        (
            f"refund:{money.id}",
            RemoteAfterSaleKind.PARTIAL_REFUND,
            RemoteAfterSaleStatus.REFUNDED,
            [("", 0, Decimal("12.50"))],
        ),
    ]
    sets = [request["variables"]["input"]["files"] for request in transport.sent if "productSet" in request["query"]]
    (upload,) = transport.uploads
    (key,) = simulator.staged
    resource = f"{upload.url}/{key}"
    assert sets[0] == [
        {
            "originalSource": "https://commerce.example.com/media/images/1/ab12.jpg",
            "contentType": "IMAGE",
            "filename": "ab12.jpg",
            "duplicateResolutionMode": "REPLACE",
        },
        {
            "originalSource": resource,
            "contentType": "IMAGE",
            "filename": "cd34.png",
            "duplicateResolutionMode": "REPLACE",
        },
    ]
    # Published again, the photos are named by the ids of the files the shop made of them.
    assert sets[1] == [{"id": "gid://shopify/MediaImage/1"}, {"id": "gid://shopify/MediaImage/2"}]
    assert dict(client.media) == {"ab12.jpg": "gid://shopify/MediaImage/1", "cd34.png": "gid://shopify/MediaImage/2"}
    assert simulator.files == {
        "gid://shopify/MediaImage/1": {"filename": "ab12.jpg", "source": sets[0][0]["originalSource"]},
        "gid://shopify/MediaImage/2": {"filename": "cd34.png", "source": resource},
    }
    # The staged upload is a form post: the target's parameters, then the file, last.
    form = upload.content.decode("latin-1")
    assert upload.headers["content-type"].startswith("multipart/form-data")
    assert form.index('name="policy"') < form.index('name="file"; filename="cd34.png"')
    assert list(simulator.staged.values()) == [b"png bytes"]
    assert (first, again) == (list(shopify_queries.WEBHOOK_TOPICS), [])
    assert simulator.subscriptions == [(topic, address) for topic in shopify_queries.WEBHOOK_TOPICS]
    schema = admin_schema(client.api_version)
    roots = []
    for request in transport.sent:
        assert request["path"] == f"/admin/api/{shopify_queries.LATEST_API_VERSION}/graphql.json"
        assert problems(schema, request["query"], request["variables"]) == [], request["query"]
        cost = requested_cost(schema, request["query"], request["variables"])
        root = next(name for name, document in DOCUMENTS.items() if document == request["query"])
        assert cost <= shopify_queries.MAX_QUERY_COST
        if root == "productSet":
            sizes = request["variables"]
            assert (sizes["variants"], sizes["media"]) == (2, 2)
            assert cost == shopify_queries.product_set_cost(2, 2) == 22
        else:
            assert cost == shopify_queries.REQUESTED_COST[root], root
        roots.append(root)
    assert set(roots) == set(DOCUMENTS)


def test_the_old_order_query_would_have_cost_more_than_a_query_may():
    schema = admin_schema("2026-10")
    old = shopify_queries.ORDERS.replace(f"first: {shopify_queries.ORDER_LINES_FIRST}", "first: 100")
    assert requested_cost(schema, old, {"first": 50}) == 15_252
    assert requested_cost(schema, shopify_queries.ORDERS, {"first": shopify_queries.ORDERS_FIRST}) == 652


def test_only_versions_shopify_still_supports_are_used():
    assert shopify_queries.supported_versions(date(2026, 12, 3)) == ["2026-01", "2026-04", "2026-07", "2026-10"]
    assert shopify_queries.supported_versions(date(2026, 1, 1)) == ["2025-07", "2025-10", "2026-01"]
    assert shopify_queries.LATEST_API_VERSION == "2026-10"
    retired = shopify.ShopifyClient({**simulator_credentials("shopify"), "api_version": "2025-01"})
    assert retired.path == "/admin/api/2026-10/graphql.json"


def test_an_account_naming_a_retired_version_is_refused_and_nothing_is_stored(client, factory, database):
    world = factory.world()
    answer = client.post(
        "/api/v1/channel-accounts",
        headers={**world.headers["admin"], "Accept-Language": "en"},
        json={
            "platform": "shopify",
            "name": "Old shop",
            "credentials": {**simulator_credentials("shopify"), "api_version": "2025-01"},
        },
    )
    assert (answer.status_code, answer.json["code"]) == (422, "unsupported_api_version")
    assert "2026-10" in answer.json["detail"]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ChannelAccount)) == 0


def test_connecting_a_shop_queues_its_webhook_subscriptions_to_the_public_address(
    client, factory, database, deployment, monkeypatch
):
    from commerce.jobs.models import Job

    world = factory.world()
    body = {"platform": "shopify", "name": "Shop", "credentials": simulator_credentials("shopify")}
    unaddressed = client.post("/api/v1/channel-accounts", headers=world.headers["admin"], json=body)
    monkeypatch.setattr(
        deployment, "settings", deployment.settings.model_copy(update={"public_url": "https://commerce.example.com"})
    )
    addressed = client.post(
        "/api/v1/channel-accounts", headers=world.headers["admin"], json={**body, "name": "Second shop"}
    )

    assert (unaddressed.status_code, addressed.status_code) == (201, 201)
    with database.session() as session:
        queued = session.execute(select(Job.key, Job.payload).where(Job.kind == "listings.subscribe_webhooks")).all()
    account = addressed.json["id"]
    assert [(key, payload) for key, payload in queued] == [
        (
            f"account:{account}:webhooks",
            {"channel_account_id": account, "uri": f"https://commerce.example.com/api/v1/webhooks/shopify/{account}"},
        )
    ]


def test_the_client_waits_for_the_cost_bucket_instead_of_being_throttled():
    clock = ManualClock()
    simulator = ShopifySimulator(rate_limit=1)
    simulator.bucket = TokenBucket(10.0, burst=20.0, clock=clock)
    client = shop_client(simulator)
    client.clock = clock
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 3))
        clock.advance(seconds)

    client.sleep = sleep
    content = ListingContent("p-1", "Scarf", "", "USD", (SkuContent("sku-1", Decimal("10.00"), 5),))
    for _ in range(4):
        client.publish(content, external_id=None, may_exist=True)

    assert simulator.traffic.snapshot()["throttled"] == 0
    # The shop said 10 of its 20 points were left after each call and that 10 come back a second.
    assert waits == [1.0, 1.0, 1.0]


def test_the_shop_refuses_a_document_or_variables_its_schema_does_not_take():
    simulator = ShopifySimulator(schema=admin_schema("2026-10"))
    client = shopify.ShopifyClient(simulator_credentials("shopify"), {"base_url": "http://shop.test"})
    transport = httpx.WSGITransport(app=simulator.app)
    headers = {"X-Shopify-Access-Token": client.access_token}

    def ask(query: str, variables: dict) -> dict:
        with httpx.Client(transport=transport, base_url="http://shop.test") as http:
            return http.post(client.path, json={"query": query, "variables": variables}, headers=headers).json()

    old_stock = shopify_queries.INVENTORY_SET.replace("changeFromQuantity", "compareQuantity")
    stale_variables = {
        "input": {
            "name": "available",
            "reason": "correction",
            "ignoreCompareQuantity": True,
            "quantities": [{"inventoryItemId": "gid://shopify/InventoryItem/1", "locationId": "x", "quantity": 1}],
        },
        "key": "k-1",
    }
    refused = ask(old_stock, stale_variables)
    unknown = ask("query { shop { nonsenseField } }", {})

    assert "ignoreCompareQuantity" in refused["errors"][0]["message"]
    assert unknown["errors"][0]["message"] == "Cannot query field 'nonsenseField' on type 'Shop'."
    assert simulator.store.listings == {}


def test_the_shop_charges_the_requested_cost_and_gives_back_what_an_answer_did_not_use():
    clock = ManualClock()
    simulator = ShopifySimulator(schema=admin_schema("2026-10"))
    simulator.bucket = TokenBucket(100.0, burst=2000.0, clock=clock)
    client = shop_client(simulator)
    content = ListingContent("p-1", "Scarf", "", "USD", (SkuContent("sku-1", Decimal("10.00"), 5),))
    published = client.publish(content, external_id=None, may_exist=True)
    after_publish = simulator.bucket.tokens
    with httpx.Client(transport=httpx.WSGITransport(app=simulator.app), base_url="http://shop.test") as http:
        headers = {"X-Shopify-Access-Token": client.access_token}
        read = http.post(
            client.path,
            json={"query": shopify_queries.PRODUCT_QUERY, "variables": {"id": published.external_id}},
            headers=headers,
        ).json()
        after_read = simulator.bucket.tokens
        old = shopify_queries.ORDERS.replace(f"first: {shopify_queries.ORDER_LINES_FIRST}", "first: 100")
        too_dear = http.post(client.path, json={"query": old, "variables": {"first": 50}}, headers=headers).json()

    # productSet: 19 asked (one variant, one medium); its answer held no media and no user error,
    # so it cost 17 points: the mutation's 10, then 1, 2, 2, 2 and nothing for what it returned.
    assert after_publish == 2000 - 17
    # The product read: 525 asked, 7 used: the product 1, its variants 2 + (1 + 1), its media 2 + 0.
    assert read["extensions"]["cost"]["requestedQueryCost"] == 525
    assert read["extensions"]["cost"]["actualQueryCost"] == 7
    assert after_read == after_publish - 7
    assert too_dear["errors"][0]["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 15_252}
    assert "data" not in too_dear
    assert simulator.bucket.tokens == after_read


def test_a_staged_upload_is_taken_only_as_signed_and_a_photo_never_uploaded_is_refused():
    simulator = ShopifySimulator(schema=admin_schema("2026-10"))
    client = shop_client(simulator)
    target = client.graphql(
        shopify_queries.STAGED_UPLOADS,
        {"input": [{"resource": "IMAGE", "filename": "ef56.jpg", "mimeType": "image/jpeg", "httpMethod": "POST"}]},
        cost=shopify_queries.REQUESTED_COST["stagedUploadsCreate"],
    )["stagedUploadsCreate"]["stagedTargets"][0]
    fields = {parameter["name"]: parameter["value"] for parameter in target["parameters"]}
    forged = client.http.post(
        target["url"],
        data={**fields, "x-goog-signature": "0" * 64},
        files={"file": ("ef56.jpg", b"jpeg", "image/jpeg")},
    )
    content = ListingContent(
        "p-1",
        "Scarf",
        "",
        "USD",
        (SkuContent("sku-1", Decimal("10.00"), 5),),
    )
    product = {
        "handle": "p-1",
        "title": "Scarf",
        "variants": [{"sku": "sku-1", "price": "10.00", "optionValues": [{"optionName": "Title", "name": "Default"}]}],
        "productOptions": [{"name": "Title", "values": [{"name": "Default"}]}],
        "files": [{"originalSource": target["resourceUrl"], "contentType": "IMAGE", "filename": "ef56.jpg"}],
    }
    never_uploaded = client.graphql(
        shopify_queries.PRODUCT_SET,
        {"input": product, "identifier": {"handle": "p-1"}, "variants": 1, "media": 1},
        cost=shopify_queries.product_set_cost(1, 1),
    )["productSet"]

    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content
    assert simulator.staged == {}
    assert never_uploaded["product"] is None
    assert never_uploaded["userErrors"][0]["field"] == ["input", "files", "0", "originalSource"]
    assert simulator.store.find(content.identity) is None and simulator.files == {}


def test_a_file_deleted_in_the_shops_admin_is_sent_again():
    simulator = ShopifySimulator(schema=admin_schema("2026-10"))
    client = shop_client(simulator)
    photo = ImageFile("ab12.jpg", lambda: b"", url="https://commerce.example.com/media/images/1/ab12.jpg")
    content = ListingContent(
        "p-1", "Scarf", "", "USD", (SkuContent("sku-1", Decimal("10.00"), 5),), image_files=(photo,)
    )
    published = client.publish(content, external_id=None, may_exist=True)
    # The seller deletes the file in the shop's admin.
    del simulator.files[client.media["ab12.jpg"]]

    with pytest.raises(RetryableError, match="no longer holds photos ab12.jpg"):
        client.publish(content, external_id=published.external_id, may_exist=True)
    forgotten = dict(client.media)
    client.publish(content, external_id=published.external_id, may_exist=True)

    assert forgotten == {}
    assert client.media == {"ab12.jpg": "gid://shopify/MediaImage/2"}
    assert simulator.files == {
        "gid://shopify/MediaImage/2": {"filename": "ab12.jpg", "source": photo.url},
    }


def test_calls_sent_together_count_on_what_the_others_left_and_leave_a_reserve():
    clock = ManualClock()
    client = shopify.ShopifyClient(simulator_credentials("shopify"), {"base_url": "http://shop.test"})
    client.clock = clock
    client.sleep = lambda seconds: (clock.sleep(seconds), clock.advance(seconds))
    # The shop said 100 of its 100 points were there, coming back at 20 a second.
    client._note_bucket(
        {
            "extensions": {
                "cost": {"throttleStatus": {"currentlyAvailable": 100, "restoreRate": 20.0, "maximumAvailable": 100.0}}
            }
        }
    )

    for _ in range(3):
        client._pace(40)

    # Two calls of 40 fit with the tenth of the bucket kept back; the third waits for 50 - 20 points,
    # then takes its 40.
    assert clock.slept == [1.5]
    assert client.cost_bucket.state == (10.0, 20.0, 100.0, clock())
