"""Pages for people: Jinja pages whose small scripts work over the API, signed in by a session cookie."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask


def init_app(app: Flask, *, secure_cookies: bool, lifetime: timedelta) -> None:
    """Registers the pages, their session cookie and CSRF tokens, and the remembered language."""
    from commerce.pages import association, console, firm, host, sessions, trade
    from commerce.pages.rendering import remember_locale

    app.config.update(
        SESSION_COOKIE_NAME="commerce_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=lifetime,
        # Forms check their token themselves; the API checks the header when it acts on a session cookie.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    for module in (sessions, console, firm, association, host, trade):
        app.register_blueprint(module.bp)
    app.after_request(remember_locale)
