"""Cursor pagination at the edge: opaque cursors over the keyset pages of the domain."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from commerce.pagination import Page
from commerce.validation import MESSAGES

T = TypeVar("T")


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
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError
        return after
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise PydanticCustomError("invalid_cursor", MESSAGES["invalid_cursor"]) from None


Cursor = Annotated[
    int | None,
    BeforeValidator(decode_cursor),
    WithJsonSchema({"type": "string", "description": "next_cursor of the previous page"}),
]


class ListQuery(BaseModel):
    """``?limit=`` (1-200, default 50) and ``?cursor=`` from the previous page's ``next_cursor``."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=50, ge=1, le=200)
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
