"""Reactions to stock changes written inside an order's statement: exactly those the table names."""

import pytest
from sqlalchemy import select

from commerce import events
from commerce.catalog.models import Sku
from commerce.orders import postgresql


def test_an_orders_statement_writes_the_stock_pushes_of_the_listings():
    pushes = postgresql._stock_pushes(select(Sku.id))
    assert pushes.table.name == "job"
    assert events.HANDLERS[events.StockChanged] == ("commerce.listings.reactions:queue_stock_pushes",)


def test_a_handler_the_statement_does_not_write_stops_the_fast_path(monkeypatch):
    monkeypatch.setitem(
        events.HANDLERS,
        events.StockChanged,
        ("commerce.listings.reactions:queue_stock_pushes", "tests.unit.test_events:ANOTHER"),
    )
    with pytest.raises(RuntimeError, match="tests.unit.test_events:ANOTHER"):
        postgresql._stock_pushes(select(Sku.id))
