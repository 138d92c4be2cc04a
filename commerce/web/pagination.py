"""Cursor pagination at the edge: opaque cursors over the keyset pages of the domain."""

from __future__ import annotations

import base64
import binascii
import json
from functools import cache
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from commerce.pagination import MAX_PAGE_SIZE, Page
from commerce.validation import MESSAGES

T = TypeVar("T")
# Ids are 32-bit integers on PostgreSQL: a cursor past the largest is none we gave.
MAX_ID = 2**31 - 1


def encode_cursor(after: int | None) -> str | None:
    if after is None:
        return None
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = value["after"]
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_ID:
            raise ValueError
        return after
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise PydanticCustomError("invalid_cursor", MESSAGES["invalid_cursor"]) from None


Cursor = Annotated[
    int | None,
    BeforeValidator(decode_cursor),
    WithJsonSchema({"type": "string", "description": "next_cursor of the previous page"}),
]


class QueryModel(BaseModel):
    """Base of query-string shapes; their JSON schema, read on every request to parse them, is made once."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        return _query_schema(cls)


@cache
def _query_schema(model: type[BaseModel]) -> dict[str, Any]:
    return BaseModel.model_json_schema.__func__(model)


class ListQuery(QueryModel):
    """``?limit=`` (1-200, default 50) and ``?cursor=`` from the previous page's ``next_cursor``."""

    limit: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)
    cursor: Cursor = None


class ItemList(BaseModel, Generic[T]):
    """A page of a collection and the cursor of the next one (null on the last page)."""

    items: list[T]
    next_cursor: str | None


def page_of(model: type[BaseModel], page: Page, items: list | None = None) -> ItemList:
    """The list answer for a domain page, each item shaped by ``model`` unless given."""
    if items is None:
        items = [model.model_validate(item, from_attributes=True) for item in page.items]
    return ItemList[model](items=items, next_cursor=encode_cursor(page.next_after))
