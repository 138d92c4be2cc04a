"""Reading a page of products costs the same few queries however many products it holds."""

from sqlalchemy import event


def _count_queries(deployment, call):
    """The statements ``call`` sends, its bearer token read afresh (not as a worker keeps it a moment)."""
    database = deployment.database
    deployment.recent_tokens.clear()
    statements = []

    def record(_connection, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        response = call()
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    # Transaction control is not a query (a test's own session joins a savepoint of its transaction).
    control = ("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    return response, [s for s in statements if not s.lstrip().upper().startswith(control)]


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
