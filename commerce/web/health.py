"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Flask
from flask_openapi3 import Tag
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from commerce.errors import N_
from commerce.web.database import database
from commerce.web.i18n import translate
from commerce.web.problems import Problem, problem_response
from commerce.web.responses import respond

TAG = Tag(name="Operations", description="Probes, background jobs")


class Alive(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    database: str


def init_app(app: Flask) -> None:
    @app.get("/healthz", endpoint="healthz", tags=[TAG], responses={200: Alive})
    def healthz():
        """The process is alive."""
        return respond(Alive(status="ok"))

    @app.get("/readyz", endpoint="readyz", tags=[TAG], responses={200: Ready, 503: Problem})
    def readyz():
        """The database answers."""
        try:
            database().ping()
        except SQLAlchemyError:
            return problem_response(503, "database_unavailable", translate(N_("The database is not reachable.")))
        return respond(Ready(status="ready", database=database().dialect_name))
