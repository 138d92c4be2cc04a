"""Batch formation under concurrency: an order is never in two batches, on either database."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from commerce.actors import Actor, Role
from commerce.customs import batches
from commerce.customs.errors import FormationCollided, NothingToDeclare
from commerce.customs.models import CustomsBatchOrder
from commerce.orders.models import CustomsMode
from tests.e2e.test_customs import configure, shipped_export_order
from tests.factories import open_shop


@pytest.mark.shared_database
def test_concurrent_formations_never_take_an_order_twice(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    orders = [
        shipped_export_order(client, shop, f"C-{number}", [{"sku_id": shop.scarf_skus[0], "quantity": 1}])
        for number in range(12)
    ]
    actor = Actor(
        user_id=shop.world.user_ids["trade_operator"], role=Role.TRADE_OPERATOR, enterprise_id=shop.world.platform_id
    )
    outcomes: list[str] = []
    start = threading.Barrier(4)

    def form():
        start.wait()
        with database.session() as session:
            try:
                batches.form_batch(session, actor=actor, customs_mode=CustomsMode.CROSS_BORDER_B2C)
                outcomes.append("formed")
            except (NothingToDeclare, FormationCollided) as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=form) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with database.session() as session:
        held = session.execute(select(CustomsBatchOrder.order_id, CustomsBatchOrder.batch_id)).all()
    assert sorted(order_id for order_id, _ in held) == sorted(orders)
    assert Counter(order_id for order_id, _ in held).most_common(1)[0][1] == 1
    assert outcomes.count("formed") == len({batch_id for _, batch_id in held})
    assert outcomes.count("formed") >= 1
