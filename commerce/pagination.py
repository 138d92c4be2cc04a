"""Keyset pagination over ascending ids: stable under inserts, cheap at any depth."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlmodel import Session

T = TypeVar("T")


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
    has_more = len(rows) > limit
    items = rows[:limit]
    return Page(items=items, next_after=items[-1].id if has_more and items else None)
