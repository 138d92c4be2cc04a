"""Keyset pagination over ascending ids: stable under inserts, cheap at any depth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlmodel import Session

T = TypeVar("T")

# The most items a page holds (``?limit=``).
MAX_PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_after: int | None


def fetch_page(
    session: Session, statement: Select, *, id_column: Any, limit: int, after: int | None, as_rows: bool = False
) -> Page:
    """Run a select ordered by id, returning one page (entities, or plain rows) and where the next starts."""
    if after is not None:
        statement = statement.where(id_column > after)
    statement = statement.order_by(id_column).limit(limit + 1)
    rows = list(session.execute(statement) if as_rows else session.scalars(statement))
    return page_of(rows, limit, id_of=lambda item: item.id)


def page_of(
    rows: Sequence[Any], limit: int, *, id_of: Callable[[Any], int], item: Callable[[Any], T] | None = None
) -> Page:
    """A page from up to ``limit + 1`` rows in id order: the extra row only tells that more follow."""
    shown = rows[:limit]
    next_after = id_of(shown[-1]) if len(rows) > limit and shown else None
    return Page(items=[item(row) for row in shown] if item else list(shown), next_after=next_after)
