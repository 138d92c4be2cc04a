"""After-sales of one line asked at the same moment: together they never pass the line's bounds."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from commerce.actors import Actor, Role
from commerce.aftersales import service
from commerce.aftersales.models import AfterSale, AfterSaleCreate
from commerce.orders.models import OrderLine
from tests.e2e.test_after_sales import _paid_order
from tests.factories import open_shop


def _at_once(database, actor: Actor, requests: list[AfterSaleCreate]) -> list[BaseException | None]:
    """Each request from its own thread and session, released together; what each raised."""
    outcomes: list[BaseException | None] = [None] * len(requests)
    start = threading.Barrier(len(requests))

    def ask(index: int) -> None:
        try:
            with database.session() as session:
                start.wait()
                service.request_after_sale(session, actor=actor, data=requests[index])
        except BaseException as error:  # collected and checked below
            outcomes[index] = error

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.shared_database
def test_refunds_and_returns_asked_at_once_stay_within_the_line(client, factory, database):
    shop = open_shop(factory)
    operator = Actor(
        user_id=shop.world.user_ids["trade_operator"], role=Role.TRADE_OPERATOR, enterprise_id=shop.world.platform_id
    )
    order = _paid_order(client, shop, "AS-C", [{"sku_id": shop.scarf_skus[0], "quantity": 3}], ship=True)
    line_id = order["lines"][0]["id"]

    def asked(kind: str, **fields) -> AfterSaleCreate:
        return AfterSaleCreate(order_id=order["id"], order_line_id=line_id, kind=kind, reason="r", **fields)

    # 3 x 199.00 paid: two returns of 2 units at 200.00 each fit neither twice in units nor in money.
    outcomes = _at_once(database, operator, [asked("return_and_refund", quantity=2, amount="200.00")] * 2)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["NoneType", "ReturnExceedsShipped"]
    outcomes = _at_once(database, operator, [asked("partial_refund", amount="200.00")] * 2)
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["NoneType", "RefundExceedsPaid"]
    with database.session() as session:
        line = session.get(OrderLine, line_id)
        assert (line.refund_claimed_amount, line.returned_quantity, line.shipped_quantity) == (
            Decimal("400.0000"),
            2,
            3,
        )
        amounts = session.scalars(
            select(AfterSale.amount).where(AfterSale.order_line_id == line_id).order_by(AfterSale.id)
        )
        assert list(amounts) == [Decimal("200.0000"), Decimal("200.0000")]
