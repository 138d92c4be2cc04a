"""Test fixtures: one schema per run (built by the migrations), emptied after every test.

The suite runs on a SQLite file by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, text

from commerce import create_app
from commerce.config import Settings
from commerce.db import Database, upgrade_schema
from tests.factories import Factory


def _reset_database(url: str) -> None:
    """Drop everything in the test database, so the migrations build it from nothing."""
    database = Database(url)
    with database.engine.begin() as connection:
        if database.is_sqlite:
            tables = inspect(connection).get_table_names()
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    _reset_database(url)
    upgrade_schema(url)
    return url


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        instance_path=tmp_path_factory.mktemp("instance"),
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        log_json=False,
        log_level="WARNING",
        embedded_worker=False,
        import_inline_max_bytes=64 * 1024,
        import_chunk_rows=50,
        max_upload_bytes=2 * 1024 * 1024,
    )


@pytest.fixture(scope="session")
def app(settings):
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["commerce.database"].dispose()


@pytest.fixture(scope="session")
def database(app) -> Database:
    return app.extensions["commerce.database"]


def _empty_all_tables(database: Database) -> None:
    from commerce.models import metadata

    tables = [table.name for table in metadata.sorted_tables]
    with database.engine.begin() as connection:
        if database.is_sqlite:
            for name in reversed(tables):
                connection.exec_driver_sql(f'DELETE FROM "{name}"')
        else:
            connection.exec_driver_sql(
                "TRUNCATE " + ", ".join(f'"{name}"' for name in tables) + " RESTART IDENTITY CASCADE"
            )


@pytest.fixture(autouse=True)
def _clean_database(request) -> Iterator[None]:
    yield
    if "database" in request.fixturenames or "app" in request.fixturenames:
        _empty_all_tables(request.getfixturevalue("database"))


@pytest.fixture
def session(database):
    with database.session() as db_session:
        yield db_session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(database, client) -> Factory:
    return Factory(database, client)
