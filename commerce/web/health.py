"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy.exc import SQLAlchemyError

from commerce.web.database import database
from commerce.web.problems import problem_response


def init_app(app: Flask) -> None:
    @app.get("/healthz", endpoint="healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz", endpoint="readyz")
    def readyz():
        try:
            database().ping()
        except SQLAlchemyError:
            return problem_response(503, "database_unavailable", "The database is not reachable.")
        return jsonify(status="ready", database=database().dialect_name)
