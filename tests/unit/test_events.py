"""Reactions that run inside a publisher's statement: every handler of the event, or none."""

import sys

import pytest

from commerce import events

HERE = sys.modules[__name__]


def test_a_reaction_inside_a_statement_comes_from_every_handler(monkeypatch):
    built = []

    @events.reacts_within(lambda dialect, **sources: ("push", dialect, sources["sku_ids"]))
    def follows_stock(session, event, *, actor):
        built.append(event)

    monkeypatch.setitem(events.HANDLERS, events.StockChanged, ("tests.unit.test_events:FOLLOWERS",))
    monkeypatch.setattr(HERE, "FOLLOWERS", follows_stock, raising=False)
    assert events.within_statement(events.StockChanged, "postgresql", sku_ids="lines") == [
        ("push", "postgresql", "lines")
    ]
    assert built == []


def test_a_handler_without_a_statement_form_is_refused(monkeypatch):
    def only_in_python(session, event, *, actor):
        raise AssertionError("not called")

    monkeypatch.setattr(HERE, "ONLY_IN_PYTHON", only_in_python, raising=False)
    monkeypatch.setitem(
        events.HANDLERS,
        events.StockChanged,
        ("commerce.listings.reactions:queue_stock_pushes", "tests.unit.test_events:ONLY_IN_PYTHON"),
    )
    with pytest.raises(TypeError, match="only_in_python cannot run inside a statement"):
        events.within_statement(events.StockChanged, "postgresql", sku_ids=None)


def test_stock_changes_have_a_statement_form_for_every_handler():
    from sqlalchemy import select

    from commerce.catalog.models import Sku

    reactions = events.within_statement(events.StockChanged, "postgresql", sku_ids=select(Sku.id))
    assert [reaction.table.name for reaction in reactions] == ["job"]
