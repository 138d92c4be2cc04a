"""Listings end to end: the API, the queue and the real clients talking to simulators over HTTP."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.jobs.models import Job
from commerce.listings.content import product_identity, seller_sku
from commerce.listings.models import ChannelAccount, Listing, WebhookReceipt
from commerce.orders.models import SalesOrder
from integrations.marketplace import RemoteOrderStatus
from tests.factories import stock_of
from tests.marketplaces import connect_account, deliver_webhooks, drain, running_simulator

PLATFORMS = ("shopify", "tiktok_shop", "douyin")


def _approved_product(factory, world):
    product = factory.product(world.maker_a_id, status="approved", trademark_id=world.trademark_id)
    return product


def _sku_id(client, world, product_id: int) -> int:
    return client.get(f"/api/v1/products/{product_id}", headers=world.headers["sme_a"]).json["skus"][0]["id"]


def _listing(client, world, listing_id: int) -> dict:
    return client.get(f"/api/v1/listings/{listing_id}", headers=world.headers["admin"]).json


def _publish(client, world, product_id: int, account_id: int) -> dict:
    response = client.post(
        f"/api/v1/products/{product_id}/listings",
        headers=world.headers["sme_a"],
        json={"channel_account_id": account_id},
    )
    assert response.status_code == 202, response.json
    return response.json


@contextmanager
def listed_product(factory, client, deployment, platform: str):
    """A cluster, an approved product under the mark, and its listing published to a simulator."""
    world = factory.world()
    product = _approved_product(factory, world)
    sku_id = _sku_id(client, world, product.id)
    with running_simulator(platform) as (simulator, url):
        account = connect_account(client, world.headers["admin"], platform, url)
        _publish(client, world, product.id, account["id"])
        drain(deployment)
        yield world, product, sku_id, simulator, account


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_product_goes_live_on_each_marketplace(platform, factory, client, deployment):
    world = factory.world()
    product = _approved_product(factory, world)
    sku_id = _sku_id(client, world, product.id)
    with running_simulator(platform) as (simulator, url):
        simulator.store.behaviour.review_seconds = 3600.0
        brand = {}
        if platform == "tiktok_shop":
            # TikTok Shop names a brand by its id in the shop's brand list.
            simulator.brands["7082427311584347905"] = "清河羊绒"
            brand = {"brand_id": "7082427311584347905"}
        if platform == "douyin":
            # Douyin names it by its id in the brand library, and a product without it by the no-brand id.
            simulator.brands["3350193"] = "清河羊绒"
            brand = {"standard_brand_id": "3350193", "no_brand_id": "596120136"}
        account = connect_account(client, world.headers["admin"], platform, url, **brand)
        listing = _publish(client, world, product.id, account["id"])
        assert (listing["status"], listing["external_id"], listing["attempts"]) == ("pending", None, 0)

        drain(deployment)
        after_publish = _listing(client, world, listing["id"])
        remote = simulator.store.find(product_identity(product.id) if platform != "tiktok_shop" else seller_sku(sku_id))
        assert remote is not None
        assert remote.title == "Cashmere crew-neck sweater"
        assert remote.brand == "清河羊绒"
        assert remote.skus[seller_sku(sku_id)].price == Decimal("399.00")
        assert remote.skus[seller_sku(sku_id)].quantity == 10
        if platform == "shopify":
            assert (after_publish["status"], after_publish["platform_status"]) == ("live", "ACTIVE")
        else:
            # The marketplace's own review is under way: our listing waits in publishing.
            assert after_publish["status"] == "publishing"
            assert after_publish["platform_status"] in ("PENDING", "check_status:2")
            simulator.store.finish_reviews()
            answers = deliver_webhooks(simulator, client, account["id"])
            assert [answer.status_code for answer in answers] == [200]
            drain(deployment)
            assert _listing(client, world, listing["id"])["status"] == "live"
        final = _listing(client, world, listing["id"])
        assert final["external_id"] is not None
        assert (final["with_mark"], final["last_error"]) == (True, None)
        assert simulator.store.duplicates() == 0


def test_asking_twice_keeps_one_listing(factory, client, database):
    world = factory.world()
    product = _approved_product(factory, world)
    with running_simulator("shopify") as (_simulator, url):
        account = connect_account(client, world.headers["admin"], "shopify", url)
        first = _publish(client, world, product.id, account["id"])
        second = _publish(client, world, product.id, account["id"])
    assert first["id"] == second["id"]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Listing)) == 1
        assert session.scalar(select(func.count()).select_from(Job).where(Job.kind == "listings.publish")) == 1


def test_only_approved_products_are_listed(factory, client):
    world = factory.world()
    draft = factory.product(world.maker_a_id)
    account = connect_account(client, world.headers["admin"], "shopify", "http://127.0.0.1:9")
    response = client.post(
        f"/api/v1/products/{draft.id}/listings",
        headers={**world.headers["sme_a"], "Accept-Language": "zh-CN"},
        json={"channel_account_id": account["id"]},
    )
    assert response.status_code == 409
    assert response.json["code"] == "product_not_approved"
    assert response.json["detail"] == "只有审核通过的商品才能上架到电商平台。"
    assert client.get("/api/v1/listings", headers=world.headers["admin"]).json["items"] == []


def test_credentials_are_sealed_checked_and_never_returned(factory, client, database):
    world = factory.world()
    incomplete = client.post(
        "/api/v1/channel-accounts",
        headers={**world.headers["admin"], "Accept-Language": "en"},
        json={"platform": "douyin", "name": "抖店", "credentials": {"app_key": "k", "app_secret": " "}},
    )
    assert incomplete.status_code == 422
    assert incomplete.json["code"] == "credentials_incomplete"
    assert incomplete.json["detail"] == "The douyin credentials need: app_secret, access_token, shop_id."
    unknown = client.post(
        "/api/v1/channel-accounts",
        headers=world.headers["admin"],
        json={"platform": "ebay", "name": "x", "credentials": {}},
    )
    assert unknown.status_code == 422
    account = connect_account(client, world.headers["admin"], "douyin", "http://127.0.0.1:9")
    assert "credentials" not in account and "credentials_sealed" not in account
    assert account["credential_fields"] == ["app_key", "app_secret", "access_token", "shop_id"]
    again = client.post(
        "/api/v1/channel-accounts",
        headers=world.headers["admin"],
        json={"platform": "douyin", "name": "douyin test", "credentials": {"app_key": "k"}},
    )
    assert again.status_code == 422
    with database.session() as session:
        stored = session.get(ChannelAccount, account["id"])
        assert "dy-secret" not in stored.credentials_sealed and "dy-token" not in stored.credentials_sealed
    listed = client.get("/api/v1/channel-accounts", headers=world.headers["admin"]).json["items"]
    assert [item["id"] for item in listed] == [account["id"]]
    assert "dy-secret" not in str(listed)


def test_stock_changes_reach_the_marketplace_and_live_stream_skus_go_first(factory, client, database, deployment):
    with listed_product(factory, client, deployment, "shopify") as (world, product, sku_id, simulator, account):
        order = {
            "channel": "direct",
            "external_id": "D-1",
            "buyer": {"name": "Wang"},
            "currency": "CNY",
            "lines": [{"sku_id": sku_id, "quantity": 3}],
        }
        assert client.post("/api/v1/orders", headers=world.headers["trade_operator"], json=order).status_code == 201
        order["external_id"] = "D-2"
        order["lines"][0]["quantity"] = 1
        assert client.post("/api/v1/orders", headers=world.headers["trade_operator"], json=order).status_code == 201
        with database.session() as session:
            listing_id = session.scalar(select(Listing.id).where(Listing.product_id == product.id))
            pushes = session.execute(select(Job.key, Job.priority, Job.status).where(Job.kind == "listings.push_stock"))
            queued = [tuple(row) for row in pushes if row.status == "queued"]
            assert queued == [(f"listing:{listing_id}:stock", 50, "queued")]
        drain(deployment)
        remote = simulator.store.find(product_identity(product.id))
        assert remote.skus[seller_sku(sku_id)].quantity == stock_of(database, sku_id)[3] == 6

        host = world.headers["host"]
        stream = client.post(
            "/api/v1/streams",
            headers=host,
            json={"title": "羊绒专场", "category": "cashmere", "scheduled_start": "2026-12-01T20:00:00+08:00"},
        ).json
        lineup = {"items": [{"product_id": product.id, "sku_allocations": {str(sku_id): 2}}]}
        assert client.put(f"/api/v1/streams/{stream['id']}/lineup", headers=host, json=lineup).status_code == 200
        drain(deployment)
        assert client.post(f"/api/v1/streams/{stream['id']}/start", headers=host).status_code == 200
        order["external_id"] = "D-3"
        assert client.post("/api/v1/orders", headers=world.headers["trade_operator"], json=order).status_code == 201
        with database.session() as session:
            queued = session.execute(
                select(Job.priority).where(Job.kind == "listings.push_stock", Job.status == "queued")
            ).scalars()
            assert list(queued) == [10]
        drain(deployment)
        assert remote.skus[seller_sku(sku_id)].quantity == stock_of(database, sku_id)[3] == 3


def test_marketplace_orders_arrive_once_by_webhook_and_follow_the_marketplace(factory, client, database, deployment):
    with listed_product(factory, client, deployment, "tiktok_shop") as (
        world,
        product,
        sku_id,
        simulator,
        account,
    ):
        simulator.take_webhooks()
        bought = simulator.store.buy(seller_sku=seller_sku(sku_id), quantity=2, buyer_name="Ada", country="GB")
        [(headers, body)] = simulator.take_webhooks()
        path = f"/api/v1/webhooks/tiktok_shop/{account['id']}"

        forged = client.post(path, data=body, headers={**headers, "Authorization": "0" * 64})
        assert forged.status_code == 401
        assert forged.json["code"] == "invalid_signature"
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(WebhookReceipt)) == 0

        first = client.post(path, data=body, headers=headers)
        again = client.post(path, data=body, headers=headers)
        assert (first.status_code, first.json) == (200, {"received": 1, "duplicates": 0})
        assert (again.status_code, again.json) == (200, {"received": 0, "duplicates": 1})
        drain(deployment)
        orders = client.get("/api/v1/orders?channel=tiktok_shop", headers=world.headers["admin"]).json["items"]
        assert [(o["external_id"], o["status"], o["buyer"]["country"]) for o in orders] == [(bought.id, "paid", "GB")]
        assert [(line["sku_id"], line["quantity"]) for line in orders[0]["lines"]] == [(sku_id, 2)]
        assert stock_of(database, sku_id) == (10, 2, 0, 8)

        simulator.store.set_order_status(bought.id, RemoteOrderStatus.CANCELLED)
        deliver_webhooks(simulator, client, account["id"])
        drain(deployment)
        cancelled = client.get(f"/api/v1/orders/{orders[0]['id']}", headers=world.headers["admin"]).json
        assert cancelled["status"] == "cancelled"
        assert stock_of(database, sku_id) == (10, 0, 0, 10)
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(SalesOrder)) == 1


def test_polling_finds_orders_whose_webhooks_were_lost(factory, client, database, deployment):
    from commerce.listings.service import PRIORITY_EVENT
    from commerce.listings.tasks import queue_for_accounts

    with listed_product(factory, client, deployment, "douyin") as (world, product, sku_id, simulator, account):
        lost = simulator.store.buy(seller_sku=seller_sku(sku_id), quantity=1)
        simulator.store.set_order_status(lost.id, RemoteOrderStatus.SHIPPED)
        simulator.take_webhooks()
        with database.session() as session:
            assert queue_for_accounts(session, "listings.poll_orders", priority=PRIORITY_EVENT) == 1
        drain(deployment)
        with database.session() as session:
            assert queue_for_accounts(session, "listings.poll_orders", priority=PRIORITY_EVENT) == 1
        drain(deployment)
    orders = client.get("/api/v1/orders?channel=douyin", headers=world.headers["admin"]).json["items"]
    assert [(order["external_id"], order["status"]) for order in orders] == [(lost.id, "shipped")]
    assert stock_of(database, sku_id) == (9, 0, 0, 9)


def test_a_marketplace_rejection_is_kept_apart_from_our_status(factory, client, deployment):
    world = factory.world()
    product = factory.product(
        world.maker_a_id,
        status="approved",
        translations={"en": {"title": "Counterfeit-proof scarf", "description": "Genuine."}},
    )
    with running_simulator("douyin") as (simulator, url):
        account = connect_account(client, world.headers["admin"], "douyin", url, locale="en")
        listing = _publish(client, world, product.id, account["id"])
        drain(deployment)
        deliver_webhooks(simulator, client, account["id"])
        drain(deployment)
    rejected = _listing(client, world, listing["id"])
    assert (rejected["status"], rejected["platform_status"]) == ("rejected", "status:0 check_status:4")
    assert rejected["review_note"] == "prohibited wording: counterfeit"


def test_an_edit_the_marketplace_accepted_but_did_not_apply_is_sent_again(factory, client, database, deployment):
    world = factory.world()
    product = _approved_product(factory, world)
    sku_id = _sku_id(client, world, product.id)
    with running_simulator("shopify") as (simulator, url):
        account = connect_account(client, world.headers["admin"], "shopify", url)
        listing = _publish(client, world, product.id, account["id"])
        drain(deployment)
        simulator.store.behaviour.drop_edits = 1
        patch = {"skus": [{"id": sku_id, "price": {"amount": "420.00", "currency": "CNY"}}]}
        assert (
            client.patch(f"/api/v1/products/{product.id}", headers=world.headers["sme_a"], json=patch).status_code
            == 200
        )
        with database.session() as session:
            job = session.scalars(select(Job).where(Job.kind == "listings.publish", Job.status == "queued")).one()
        Worker = __import__("commerce.jobs.worker", fromlist=["Worker"]).Worker
        Worker(deployment, worker_id="w").run_once()
        with database.session() as session:
            retried = session.get(Job, job.id)
            assert retried.status == "queued"
            assert (
                retried.last_error
                == f"the marketplace accepted the edit but did not apply it: cc-sku-{sku_id} price is 399.00"
            )
        assert simulator.store.find(product_identity(product.id)).skus[seller_sku(sku_id)].price == Decimal("399.00")
        with database.session() as session:
            session.get(Job, job.id).run_at = session.get(Job, job.id).created_at
            session.commit()
        drain(deployment)
        assert simulator.store.find(product_identity(product.id)).skus[seller_sku(sku_id)].price == Decimal("420.00")
        assert _listing(client, world, listing["id"])["status"] == "live"


def test_losing_the_mark_withdraws_or_republishes_by_account_policy(factory, client, deployment):
    world = factory.world()
    product = _approved_product(factory, world)
    with running_simulator("shopify") as (shop, shop_url), running_simulator("douyin") as (douyin, douyin_url):
        withdraw = connect_account(client, world.headers["admin"], "shopify", shop_url)
        republish = connect_account(
            client, world.headers["admin"], "douyin", douyin_url, on_mark_lapse="republish_without_mark"
        )
        first = _publish(client, world, product.id, withdraw["id"])
        second = _publish(client, world, product.id, republish["id"])
        drain(deployment)
        suspended = client.patch(
            f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}",
            headers=world.headers["brand_admin"],
            json={"status": "suspended", "reason": "quality complaint"},
        )
        assert suspended.status_code == 200, suspended.json
        drain(deployment)
        assert _listing(client, world, first["id"])["status"] == "withdrawn"
        assert shop.store.find(product_identity(product.id)).active is False
        unmarked = _listing(client, world, second["id"])
        assert (unmarked["status"], unmarked["with_mark"]) == ("publishing", False)
        assert douyin.store.find(product_identity(product.id)).brand is None


def test_rate_limits_wait_without_using_up_attempts_and_show_in_health(factory, client, database, settings, deployment):
    world = factory.world()
    product = _approved_product(factory, world)
    with running_simulator("tiktok_shop", rate_limit=1) as (simulator, url):
        account = connect_account(client, world.headers["admin"], "tiktok_shop", url)
        listing = _publish(client, world, product.id, account["id"])
        simulator.bucket.tokens = 0
        # The 429's Retry-After (1 s) holds the account further ahead than a worker waits for a slot.
        drain(replace(deployment, settings=settings.model_copy(update={"marketplace_max_wait_seconds": 0.2})))
        with database.session() as session:
            job = session.scalars(select(Job).where(Job.kind == "listings.publish")).one()
            assert (job.status, job.attempts, job.last_error) == ("queued", 0, None)
        assert simulator.traffic.snapshot()["throttled"] == 1
        health = client.get("/api/v1/channel-accounts/health", headers=world.headers["admin"]).json["items"]
        assert [
            (h["channel_account_id"], h["throttled_count"], h["jobs_queued"], h["listings"]["pending"]) for h in health
        ] == [(account["id"], 1, 1, 0)]
        throttled = _listing(client, world, listing["id"])
        assert (throttled["status"], throttled["attempts"], throttled["last_error"]) == ("publishing", 0, None)


def test_a_terminal_error_fails_the_listing_and_the_job_can_be_retried(factory, client, deployment):
    world = factory.world()
    product = _approved_product(factory, world)
    with running_simulator("shopify", access_token="another-token") as (_simulator, url):
        account = connect_account(client, world.headers["admin"], "shopify", url)
        listing = _publish(client, world, product.id, account["id"])
        drain(deployment)
    failed = _listing(client, world, listing["id"])
    assert failed["status"] == "failed"
    assert failed["last_error"] == "shopify: 401 access denied (check the access token and scopes)"
    dead = client.get("/api/v1/jobs?status=dead", headers=world.headers["admin"]).json["items"]
    assert [job["kind"] for job in dead] == ["listings.publish"]
    health = client.get("/api/v1/channel-accounts/health", headers=world.headers["admin"]).json["items"]
    assert (health[0]["jobs_dead"], health[0]["last_error"]) == (1, failed["last_error"])
    assert client.post(f"/api/v1/jobs/{dead[0]['id']}/retry", headers=world.headers["admin"]).status_code == 200


def test_webhooks_out_of_order_converge_on_the_marketplaces_state(factory, client, database, deployment):
    with listed_product(factory, client, deployment, "douyin") as (world, product, sku_id, simulator, account):
        simulator.take_webhooks()
        bought = simulator.store.buy(seller_sku=seller_sku(sku_id), quantity=1)
        simulator.store.set_order_status(bought.id, RemoteOrderStatus.CANCELLED)
        paid, cancelled = simulator.take_webhooks()
        path = f"/api/v1/webhooks/douyin/{account['id']}"
        assert client.post(path, data=cancelled[1], headers=cancelled[0]).json["received"] == 1
        assert client.post(path, data=paid[1], headers=paid[0]).json["received"] == 1
        drain(deployment)
    assert client.get("/api/v1/orders?channel=douyin", headers=world.headers["admin"]).json["items"] == []
    assert stock_of(database, sku_id) == (10, 0, 0, 10)


def test_reconciliation_puts_back_quantities_that_drifted_on_the_marketplace(factory, client, database, deployment):
    from commerce.listings.service import PRIORITY_RECONCILE
    from commerce.listings.tasks import queue_for_accounts

    with listed_product(factory, client, deployment, "tiktok_shop") as (
        world,
        product,
        sku_id,
        simulator,
        account,
    ):
        remote = simulator.store.find(seller_sku(sku_id))
        remote.skus[seller_sku(sku_id)].quantity = 99  # changed by hand in the seller centre
        drain(deployment)
        assert remote.skus[seller_sku(sku_id)].quantity == 99  # nothing moved on our side
        with database.session() as session:
            assert queue_for_accounts(session, "listings.reconcile_stock", priority=PRIORITY_RECONCILE) == 1
        drain(deployment)
        assert remote.skus[seller_sku(sku_id)].quantity == 10


def test_a_shopify_sale_we_have_not_heard_of_makes_the_push_wait_instead_of_overwriting_it(
    factory, client, database, deployment
):
    from commerce.jobs.models import JobStatus

    with listed_product(factory, client, deployment, "shopify") as (world, product, sku_id, simulator, account):
        simulator.take_webhooks()
        simulator.store.buy(seller_sku=seller_sku(sku_id), quantity=2)  # its webhook is late
        simulator.take_webhooks()
        adjusted = client.post(
            f"/api/v1/skus/{sku_id}/stock-adjustments",
            headers=world.headers["sme_a"],
            json={"delta": 5, "reason": "received"},
        )
        assert adjusted.json["available"] == 15
        drain(deployment)
        remote = simulator.store.find(product_identity(product.id))
        assert remote.skus[seller_sku(sku_id)].quantity == 8  # the sale is not overwritten
        with database.session() as session:
            push = session.scalars(select(Job).where(Job.kind == "listings.push_stock")).one()
            assert (push.status, push.last_error) == (
                JobStatus.QUEUED,
                "shopify: inventory changed since it was last set",
            )
            listing = session.scalars(select(Listing)).one()
            assert listing.pushed_stock == {seller_sku(sku_id): 8}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_photos_reach_each_marketplace_once_whichever_worker_publishes(
    platform, factory, client, deployment, database, media, monkeypatch
):
    from commerce.listings.connections import Connections
    from commerce.listings.models import MarketplaceMedia
    from tests.factories import photo_bytes, upload_photo

    world = factory.world()
    product = _approved_product(factory, world)
    for color in ((10, 20, 30), (200, 100, 50)):
        answer = upload_photo(client, world.headers["sme_a"], product.id, photo_bytes(color=color))
        assert answer.status_code == 201, answer.json
    with running_simulator(platform) as (simulator, url):
        if platform == "douyin":
            # The material centre fetches photos from the platform's public address.
            monkeypatch.setattr(deployment, "settings", deployment.settings.model_copy(update={"public_url": url}))
        account = connect_account(client, world.headers["admin"], platform, url)
        listing = _publish(client, world, product.id, account["id"])
        drain(deployment)
        # Another worker (or this one restarted) publishes the product again after an edit.
        deployment.marketplace_clients = Connections()
        sku_id = _sku_id(client, world, product.id)
        edit = client.patch(
            f"/api/v1/products/{product.id}",
            headers=world.headers["sme_a"],
            json={"skus": [{"id": sku_id, "price": {"amount": "420.00", "currency": "CNY"}}]},
        )
        assert edit.status_code == 200, edit.json
        drain(deployment)

        held = simulator.store.listings[_listing(client, world, listing["id"])["external_id"].rsplit("/", 1)[-1]]
        if platform == "shopify":
            # Staged (the platform has no public address here) once each, then named by file id.
            assert len(simulator.staged) == 2
            uploaded = list(simulator.files)
        elif platform == "tiktok_shop":
            uploaded = list(simulator.images)
        else:
            uploaded = [material["byte_url"] for material in simulator.materials.values()]
        with database.session() as session:
            kept = session.scalars(
                select(MarketplaceMedia.reference).where(MarketplaceMedia.channel_account_id == account["id"])
            ).all()

    assert held.skus[seller_sku(sku_id)].price == Decimal("420.00")
    assert len(uploaded) == 2
    assert sorted(kept) == sorted(uploaded)
    if platform != "shopify":
        assert held.images == uploaded


def test_what_a_marketplace_holds_is_kept_per_account_and_forgotten_when_lost(database):
    from commerce.db import write_transaction
    from commerce.listings.connections import AccountMedia

    with database.session() as session, write_transaction(session):
        accounts = [
            ChannelAccount(platform="tiktok_shop", name=name, credentials_sealed="-", rate_limit_per_second=1)
            for name in ("First", "Second")
        ]
        session.add_all(accounts)
        session.flush()
        first_id, second_id = (account.id for account in accounts)
    first, again, second = (
        AccountMedia(database, first_id),
        AccountMedia(database, first_id),
        AccountMedia(database, second_id),
    )

    first.put("ab.jpg", "tos-1")
    first.put("ab.jpg", "tos-2")  # uploaded again: the newer reference wins
    seen = (again.get("ab.jpg"), second.get("ab.jpg"))
    again.forget("ab.jpg")

    assert seen == ("tos-2", None)
    assert AccountMedia(database, first_id).get("ab.jpg") is None


def test_an_account_maps_hs_headings_to_its_marketplace_categories(factory, client, database):
    from commerce.listings.content import category_for

    world = factory.world()
    settings = {"category": "600001", "categories": {"6110": "601226", "611012": "601230", "6117": "601301"}}
    with running_simulator("tiktok_shop") as (_simulator, url):
        account = connect_account(client, world.headers["admin"], "tiktok_shop", url, **settings)
        refused = client.post(
            "/api/v1/channel-accounts",
            headers=world.headers["admin"],
            json={
                "platform": "tiktok_shop",
                "name": "Bad mapping",
                "credentials": {"app_key": "a", "app_secret": "s", "access_token": "t", "shop_cipher": "c"},
                "settings": {"base_url": url, "categories": {"knitwear": "601226"}},
            },
        )
    with database.session() as session:
        row = session.get(ChannelAccount, account["id"])
        found = [category_for(row, code) for code in ("6110120000", "6110200000", "6117101000", "6203420000", None)]

    assert found == ["601230", "601226", "601301", "600001", "600001"]
    assert (refused.status_code, refused.json["code"]) == (422, "validation_error")
    with database.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(ChannelAccount).where(ChannelAccount.name == "Bad mapping"))
            == 0
        )


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_no_credential_reaches_the_logs_of_a_sync(level, factory, client, deployment, capsys):
    import logging

    from commerce.web.observability import configure_logging
    from integrations.stand_ins import simulator_credentials

    root = logging.getLogger()
    kept = (root.level, list(root.handlers), {name: logging.getLogger(name).level for name in ("httpx", "httpcore")})
    configure_logging(level, as_json=True)
    try:
        world = factory.world()
        product = _approved_product(factory, world)
        for platform in PLATFORMS:
            with running_simulator(platform) as (simulator, url):
                account = connect_account(client, world.headers["admin"], platform, url)
                _publish(client, world, product.id, account["id"])
                drain(deployment)
                simulator.store.finish_reviews()
                deliver_webhooks(simulator, client, account["id"])
                drain(deployment)
    finally:
        root.setLevel(kept[0])
        root.handlers[:] = kept[1]
        for name, value in kept[2].items():
            logging.getLogger(name).setLevel(value)
    written = capsys.readouterr().err

    secrets = {
        value
        for platform in PLATFORMS
        for name, value in simulator_credentials(platform).items()
        if name in ("access_token", "app_secret", "webhook_secret")
    }
    assert written.count("\n") > 10  # the sync did log
    assert [secret for secret in sorted(secrets) if secret in written] == []


def test_a_shopify_webhook_replayed_under_a_new_event_id_is_a_duplicate_and_ids_are_kept_whole(
    factory, client, database, deployment
):
    with listed_product(factory, client, deployment, "shopify") as (world, product, sku_id, simulator, account):
        simulator.take_webhooks()
        simulator.store.buy(seller_sku=seller_sku(sku_id), quantity=1, buyer_name="Ada", country="GB")
        [(headers, body)] = simulator.take_webhooks()
        path = f"/api/v1/webhooks/shopify/{account['id']}"
        long_id = "e" * 300
        first = client.post(path, data=body, headers={**headers, "X-Shopify-Event-Id": long_id})
        # The event id and the topic are headers Shopify does not sign: changed, the body is still the same.
        replayed = client.post(
            path, data=body, headers={**headers, "X-Shopify-Event-Id": "another-id", "X-Shopify-Topic": "orders/paid"}
        )
        with database.session() as session:
            kept = session.scalars(select(WebhookReceipt.event_id)).all()

    assert (first.json, replayed.json) == ({"received": 1, "duplicates": 0}, {"received": 0, "duplicates": 1})
    assert kept == [long_id]
