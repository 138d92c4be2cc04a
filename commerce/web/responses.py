"""Answering with pydantic shapes as JSON."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from pydantic import BaseModel


def respond(body: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer from a response shape."""
    response = Response(body.model_dump_json(), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def respond_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer from plain data already in its public shape."""
    response = Response(
        json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status, mimetype="application/json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def respond_json_text(body: str, status: int = 200) -> Response:
    """A JSON answer whose text is already written (by the database, for instance)."""
    return Response(body, status=status, mimetype="application/json")
