"""The request's database session: opened on first use, closed when the request ends."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlmodel import Session

from commerce.config import Settings
from commerce.db import Database
from commerce.deployment import Deployment


def current_deployment() -> Deployment:
    """The deployment of the application serving the request (or running the command)."""
    return current_app.extensions["commerce.deployment"]


def current_settings() -> Settings:
    """The settings of the application serving the request."""
    return current_deployment().settings


def database() -> Database:
    return current_deployment().database


def db_session() -> Session:
    """The session of the current request."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


def init_app(app: Flask, deployment: Deployment) -> None:
    app.extensions["commerce.deployment"] = deployment

    @app.teardown_appcontext
    def _close_session(_error):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
