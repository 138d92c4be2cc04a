"""Authentication at the edge: who is calling, by bearer token (the API) or by the pages' session cookie."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from commerce.accounts import service as accounts
from commerce.accounts.errors import CsrfFailed, InvalidToken
from commerce.actors import Actor
from commerce.web.database import current_deployment, db_session

# The session cookie of the pages carries a token of its own, issued at sign-in.
SESSION_TOKEN = "token"
CSRF_HEADER = "X-CSRFToken"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookie, its signer made once per application instead of on every
    request (the API's requests, most of them, carry no cookie at all)."""

    def get_signing_serializer(self, app: Flask):
        signer = app.extensions.get("commerce.cookie_signer")
        if signer is None:
            signer = app.extensions["commerce.cookie_signer"] = super().get_signing_serializer(app)
        return signer


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def session_token() -> str | None:
    """The token of a person signed in through the pages, if any."""
    token = session.get(SESSION_TOKEN)
    return token if isinstance(token, str) and token else None


def request_token() -> str | None:
    """The token this request acts with: a bearer token, or the session's."""
    return bearer_token() or session_token()


def require_csrf(value: str | None) -> None:
    """A change made with the session cookie must carry the page's CSRF token (header or form field)."""
    try:
        validate_csrf(value)
    except ValidationError:
        raise CsrfFailed() from None


def sign_in_with_password(email: str, password: str):
    """Exchange an e-mail and password for a new token, with the deployment's lifetime and sign-in limits;
    the API's token endpoint and the sign-in page both call it. Returns (token, its record, the user)."""
    deployment = current_deployment()
    settings = deployment.settings
    return accounts.issue_token(
        db_session(),
        email=email,
        password=password,
        ttl=timedelta(hours=settings.token_ttl_hours),
        passwords=deployment.passwords,
        address=request.remote_addr or "unknown",
        limits=accounts.SignInLimits(
            settings.sign_in_account_failures, settings.sign_in_address_failures, settings.sign_in_pause_seconds
        ),
    )


def current_actor() -> Actor:
    """The authenticated caller; 401 if the token is missing, unknown, expired or revoked."""
    if "actor" in g:
        return g.actor
    token = bearer_token()
    if token is None:
        token = session_token()
        if token is None:
            raise InvalidToken()
        if request.method not in SAFE_METHODS:
            require_csrf(request.headers.get(CSRF_HEADER))
    g.actor = accounts.authenticate(db_session(), token=token, recent=current_deployment().recent_tokens)
    return g.actor
