import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import make_url, text

from commerce.db import Database, alembic_config, upgrade_schema
from commerce.models import metadata


def test_migrations_build_exactly_the_models_schema(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_database_is_at_the_single_head(database):
    script = ScriptDirectory.from_config(alembic_config(database.url))
    assert len(script.get_heads()) == 1
    with database.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == script.get_current_head()


@pytest.fixture
def scratch_url(database, tmp_path):
    """An empty database of the same kind as the suite's, for migrating step by step."""
    if database.is_sqlite:
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    url = make_url(database.url)
    name = f"{url.database}_scratch"
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_rate_allowances_of_existing_accounts_learn_their_slot_length(scratch_url):
    upgrade_schema(scratch_url, "0007")
    scratch = Database(scratch_url)
    try:
        with scratch.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO channel_account (id, platform, name, credentials_sealed, settings,"
                    " rate_limit_per_second, throttled_count, created_at)"
                    " VALUES (7, 'douyin', 'shop', 'x', '{}', 40, 0, CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text("INSERT INTO rate_allowance (key, next_slot) VALUES ('channel_account:7', 5), ('customs:1', 0)")
            )
        upgrade_schema(scratch_url, "0008")
        with scratch.engine.connect() as connection:
            rows = connection.execute(text("SELECT key, next_slot, slot_seconds FROM rate_allowance ORDER BY key"))
            assert [tuple(row) for row in rows] == [("channel_account:7", 5.0, 0.025), ("customs:1", 0.0, None)]
    finally:
        scratch.dispose()
