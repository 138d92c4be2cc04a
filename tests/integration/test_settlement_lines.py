"""Every choice a statement line depends on, worked out by hand: a commission on the product, on
the stream and the host's own, an agreement no longer valid, a fee of 0, two currencies, refunds
of both kinds; and computing the drafts again writes the same lines in the same order."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from commerce.actors import Actor, Role
from commerce.settlement import statements
from commerce.settlement.models import Statement, StatementLine
from tests.e2e.test_after_sales import _paid_order, _request, _step
from tests.e2e.test_settlement import Stream

CENT = Decimal("0.01")


def _written(session) -> list[tuple]:
    rows = session.execute(
        select(
            Statement.enterprise_id,
            Statement.currency,
            StatementLine.kind,
            StatementLine.order_line_id,
            StatementLine.after_sale_id,
            StatementLine.amount,
            StatementLine.host_agreement_id,
            StatementLine.host_rate,
            StatementLine.host_commission,
            StatementLine.platform_agreement_id,
            StatementLine.platform_rate,
            StatementLine.platform_fee,
            StatementLine.net,
            StatementLine.at,
        )
        .join(Statement, Statement.id == StatementLine.statement_id)
        .order_by(Statement.enterprise_id, Statement.currency, StatementLine.id)
    )
    return [tuple(row) for row in rows]


def _figures(computed) -> list[tuple]:
    names = ("gross", "refunds", "host_commission", "platform_fee", "net_payable")
    return [
        (item.enterprise_id, item.currency, *(str(getattr(item, name).quantize(CENT)) for name in names))
        for item in computed
    ]


def test_each_line_takes_the_agreement_that_applies_and_computing_again_writes_the_same(client, factory, session):
    scene = Stream(client, factory)
    world, headers = scene.shop.world, scene.headers
    host = world.user_ids["host"]
    scene.agree(kind="host_commission", host_user_id=host, stream_id=scene.stream_id, rate="0.15")
    scene.agree(kind="platform_fee", enterprise_id=world.trader_id, rate="0")
    scene.agree(kind="platform_fee", enterprise_id=world.maker_a_id, rate="0.08", valid_to="2026-06-30")
    # A direct order in dollars, shipped, with a refund before shipping of one of its three units.
    dollars = _paid_order(
        client,
        scene.shop,
        "USD-1",
        [{"sku_id": scene.shop.sweater_skus[0], "quantity": 3, "unit_price": "55.55"}],
        currency="USD",
    )
    one = _request(client, headers["trade_operator"], dollars, dollars["lines"][0], "refund_only", quantity=1).json
    for step in ("approve", "refund"):
        assert _step(client, headers["sme_a"], one, step).status_code == 200
    shipped = client.post(
        f"/api/v1/orders/{dollars['id']}/status", headers=headers["trade_operator"], json={"status": "shipped"}
    )
    assert shipped.status_code == 200, shipped.json
    operator = Actor(
        user_id=world.user_ids["trade_operator"], role=Role.TRADE_OPERATOR, enterprise_id=world.platform_id
    )

    plain = statements.compute_statements(session, actor=operator, period="2026-12")
    # The stream's own 15% beats the host's 20% for the scarf and the cap; the gloves keep their 10%.
    # Maker A: scarf 318.00 - 159.00, 15% = -47.70 + 23.85, 5% = -15.90 + 7.95; in dollars 166.65 - 55.55
    # and 5% = -8.33 + 2.78 (55.55 x 0.05 = 2.7775). The cap's 0% fee is named on its line and takes nothing.
    assert _figures(plain) == [
        (world.maker_a_id, "CNY", "318.00", "-159.00", "-23.85", "-7.95", "127.20"),
        (world.maker_a_id, "USD", "166.65", "-55.55", "0.00", "-5.55", "105.55"),
        (world.maker_b_id, "CNY", "268.50", "-26.85", "-24.16", "-7.25", "210.24"),
        (world.trader_id, "CNY", "120.00", "0.00", "-18.00", "0.00", "102.00"),
    ]
    written = _written(session)
    assert len(written) == 2 + 2 + 2 + 1
    again = statements.compute_statements(session, actor=operator, period="2026-12")
    assert _figures(again) == _figures(plain)
    assert _written(session) == written
