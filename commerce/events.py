"""Domain events, and the one table of who reacts to them.

Handlers run inside the publishing unit of work, so a reaction commits or rolls back with
the change that caused it. Handlers that must reach the outside world enqueue a job.

Order intake on PostgreSQL writes the reactions to ``StockChanged`` inside its own statement
(``orders.postgresql``); it refuses to build that statement while this table names a handler
of ``StockChanged`` it does not write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

from sqlmodel import Session

from commerce.actors import Actor


@dataclass(frozen=True, slots=True)
class MembershipLapsed:
    """A firm may no longer use a collective trademark (suspended, revoked or expired)."""

    membership_id: int
    trademark_id: int
    enterprise_id: int
    status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class MembershipReinstated:
    """A firm may use a collective trademark again."""

    membership_id: int
    trademark_id: int
    enterprise_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class StockChanged:
    """The available stock of some SKUs moved (orders, cancellations, allocations, counts)."""

    sku_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ProductChanged:
    """A product was edited, approved, sent back to review or retired."""

    product_id: int
    status: str


HANDLERS: dict[type, tuple[str, ...]] = {
    MembershipLapsed: (
        "commerce.catalog.reactions:withdraw_trademark_use",
        "commerce.live.reactions:leave_upcoming_lineups",
        "commerce.listings.reactions:follow_mark_lapse",
    ),
    MembershipReinstated: ("commerce.listings.reactions:follow_mark_reinstatement",),
    StockChanged: ("commerce.listings.reactions:queue_stock_pushes",),
    ProductChanged: ("commerce.listings.reactions:follow_product_change",),
}


def publish(session: Session, event: Any, *, actor: Actor) -> None:
    """Run every handler of the event in the caller's unit of work."""
    for handler in _handlers(type(event)):
        handler(session, event, actor=actor)


def _handlers(event_type: type) -> list[Callable]:
    handlers = []
    for path in HANDLERS.get(event_type, ()):
        module_name, function_name = path.split(":")
        handlers.append(getattr(import_module(module_name), function_name))
    return handlers
