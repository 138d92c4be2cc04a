from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from commerce.db import alembic_config
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
