"""The statements a request costs: a page of products the same few however many it holds, an order
refused for what is gone no write at all."""

import json
import re

from sqlalchemy import event

from tests.e2e.test_orders import order_body
from tests.e2e.test_streams import _running_scarf_sale, live_stream, stream_order
from tests.factories import open_shop, stock_of


def _sent(deployment, call):
    """The statements ``call`` sends with their parameters, its bearer token read afresh (not as a
    worker keeps it a moment)."""
    database = deployment.database
    deployment.recent_tokens.clear()
    sent = []

    def record(_connection, _cursor, statement, parameters, *_args):
        sent.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        response = call()
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    # Transaction control is not a query (a test's own session joins a savepoint of its transaction).
    control = ("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    return response, [(s, parameters) for s, parameters in sent if not s.lstrip().upper().startswith(control)]


def _count_queries(deployment, call):
    """The statements ``call`` sends (``_sent``), without their parameters."""
    response, sent = _sent(deployment, call)
    return response, [statement for statement, _parameters in sent]


def _table(statement: str) -> str:
    """The table a statement reads or writes (its first outside any parenthesis)."""
    depth = 0
    for match in re.finditer(r"\(|\)|\b(?:FROM|INTO|UPDATE)\s+(\w+)", statement):
        if match.group(0) in "()":
            depth += 1 if match.group(0) == "(" else -1
        elif depth == 0:
            return match.group(1)
    raise AssertionError(statement)


def test_product_list_has_no_n_plus_one(client, factory, database, deployment):
    world = factory.world()
    headers = world.headers["admin"]
    for _ in range(3):
        factory.product(world.maker_a_id, status="approved", trademark_id=world.trademark_id)
    small, few = _count_queries(deployment, lambda: client.get("/api/v1/products?limit=50", headers=headers))
    for _ in range(30):
        factory.product(world.maker_b_id)
    large, many = _count_queries(deployment, lambda: client.get("/api/v1/products?limit=50", headers=headers))
    assert (len(small.json["items"]), len(large.json["items"])) == (3, 33)
    # The token, then on PostgreSQL the page's ids and documents (translations, SKUs, stock,
    # photos, trademark use) in one statement; elsewhere the ids, then the products, their
    # translations, their SKUs with stock, their photos and the makers' usable trademarks.
    assert len(few) == len(many) == (7 if database.is_sqlite else 2)


def test_a_brand_admins_page_reads_the_clusters_firms_inside_its_statement(client, factory, database, deployment):
    world = factory.world()
    factory.product(world.maker_a_id)
    answer, statements = _count_queries(
        deployment, lambda: client.get("/api/v1/products?limit=50", headers=world.headers["brand_admin"])
    )
    assert len(answer.json["items"]) == 1
    # The cluster's firms are a subquery of the page's ids (an array gathered once on PostgreSQL).
    assert len(statements) == (7 if database.is_sqlite else 2)


def test_an_order_for_a_sold_out_flash_sale_is_refused_by_its_read_alone(client, factory, database, deployment):
    shop = open_shop(factory)
    stream = live_stream(client, shop, scarf_allocation=10)
    sku = shop.scarf_skus[0]
    _running_scarf_sale(client, shop, database, stream, quantity=1, per_buyer_limit=1)
    assert stream_order(client, shop, stream["id"], "S-1", sku, 1, buyer="anna").status_code == 201
    stock = stock_of(database, sku)

    refused, statements = _count_queries(
        deployment, lambda: stream_order(client, shop, stream["id"], "S-2", sku, 1, buyer="ben")
    )
    assert (refused.status_code, refused.json["code"]) == (409, "flash_sale_sold_out")
    # The token, the SKU with its stream, lineup and sale, the channel's id looked up (a repeat
    # would be answered with its order), and the refusal counted for the host's report: no order
    # written and undone, no stock or sale row locked.
    assert [_table(statement) for statement in statements] == ["user_account", "sku", "sales_order", "stream_refusal"]
    assert [statement.split(None, 1)[0] for statement in statements] == ["SELECT", "SELECT", "SELECT", "INSERT"]
    assert stock_of(database, sku) == stock


def test_an_order_for_more_than_is_left_is_refused_by_its_read_alone(client, factory, database, deployment):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    lines = [{"sku_id": shop.scarf_skus[0], "quantity": 5}, {"sku_id": shop.gloves_skus[0], "quantity": 21}]
    stock = [stock_of(database, line["sku_id"]) for line in lines]

    refused, statements = _count_queries(
        deployment, lambda: client.post("/api/v1/orders", headers=headers, json=order_body("Q-1", lines))
    )
    assert (refused.status_code, refused.json["code"], refused.json["errors"][0]["field"]) == (
        409,
        "insufficient_stock",
        "lines.1.quantity",
    )
    # The token, the SKUs with their stock, and the channel's id looked up: nothing written.
    assert [_table(statement) for statement in statements] == ["user_account", "sku", "sales_order"]
    assert [stock_of(database, line["sku_id"]) for line in lines] == stock


def test_a_one_line_order_names_its_sku_as_it_is(client, factory, database, deployment):
    shop = open_shop(factory)
    headers = shop.world.headers["trade_operator"]
    scarf, gloves = shop.scarf_skus[0], shop.gloves_skus[0]

    def order(external_id, *sku_ids):
        response, sent = _sent(
            deployment,
            lambda: client.post(
                "/api/v1/orders",
                headers=headers,
                json=order_body(external_id, [{"sku_id": sku_id, "quantity": 1} for sku_id in sku_ids]),
            ),
        )
        assert response.status_code == 201
        return sent

    def lists(parameters):
        """The lists among a statement's parameters: arrays on PostgreSQL, JSON arrays on SQLite."""
        if database.is_sqlite:
            return [json.loads(p) for p in parameters if isinstance(p, str) and p.startswith("[")]
        return [p for p in parameters if isinstance(p, list)]

    def read_of(sent):
        return next(parameters for statement, parameters in sent if _table(statement) == "sku")

    one = order("N-1", scarf)
    # The SKU by its key, no list of one: no array for psycopg to build, no JSON for SQLite to
    # read, and on PostgreSQL a kept plan made for one row.
    assert (lists(read_of(one)), scarf in list(read_of(one))) == ([], True)
    if not database.is_sqlite:
        assert [parameters for _statement, parameters in one if lists(parameters)] == []
    two = order("N-2", scarf, gloves)
    assert [sorted(values) for values in lists(read_of(two))] == [sorted([scarf, gloves])]
