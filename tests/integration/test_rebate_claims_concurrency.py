"""Two computations of the same period at once: each invoice is matched once, one draft claim per firm."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from commerce.actors import Actor
from commerce.rebates import claims
from commerce.rebates.models import InvoiceMatch, RebateClaim, RebateClaimLine, VatInvoiceLine
from tests.e2e.test_customs import configure
from tests.e2e.test_rebates import cleared_export, invoice, proceeds, rebate_rates, trader_product
from tests.factories import open_shop


@pytest.mark.shared_database
def test_concurrent_computations_match_each_invoice_once(client, factory, database):
    shop = open_shop(factory)
    configure(client, shop)
    rebate_rates(client, shop, [{"hs_code": "6110120000", "rate": "0.13", "valid_from": "2026-01-01"}])
    sku = trader_product(factory, shop)
    for number in range(4):
        order_id, _ = cleared_export(client, shop, f"C-{number}", sku, 25, "100.00")
        proceeds(client, shop, order_id, "2500.00", f"B-{number}")
    for number in range(3):
        invoice(client, shop, shop.world.trader_id, f"2613200000000000010{number}", "3000.00", 30)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def compute() -> None:
        try:
            with database.session() as session:
                start.wait()
                claims.compute_claims(session, actor=Actor.system(), period="2026-09")
        except BaseException as error:  # collected and shown below
            errors.append(error)

    threads = [threading.Thread(target=compute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with database.session() as session:
        assert session.scalar(select(func.sum(InvoiceMatch.quantity))) == 90
        assert session.scalar(select(func.sum(VatInvoiceLine.matched_quantity))) == 90
        assert session.scalar(select(func.count()).select_from(RebateClaim)) == 1
        # 25 + (5 + 20) + (10 + 15) + 15 of the invoices' 90 units; the last line lacks 10.
        assert session.scalar(select(func.count()).select_from(RebateClaimLine)) == 6
        claim = session.scalars(select(RebateClaim)).one()
        assert claim.amount == Decimal("1170.00")
        assert [(item["kind"], item["params"]["quantity"]) for item in claim.missing] == [("invoice", "10")]
