"""Bearer-token authentication at the edge: who is calling."""

from __future__ import annotations

from flask import g, request

from commerce.accounts import service as accounts
from commerce.accounts.errors import InvalidToken
from commerce.accounts.models import Actor
from commerce.web.database import db_session


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_actor() -> Actor:
    """The authenticated caller; 401 if the token is missing, unknown, expired or revoked."""
    if "actor" in g:
        return g.actor
    token = bearer_token()
    if token is None:
        raise InvalidToken()
    g.actor = accounts.authenticate(db_session(), token=token)
    return g.actor
