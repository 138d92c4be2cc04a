"""How the suite keeps tests apart: sessions joined to one transaction, each commit a savepoint."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce.clusters.models import Cluster
from commerce.db import write_transaction
from tests.isolation import rolled_back


def _clusters(session) -> list[str]:
    return list(session.scalars(select(Cluster.name).order_by(Cluster.id)))


def _add(session, name: str) -> None:
    with write_transaction(session):
        session.add(Cluster(name=name, industry="cashmere", region_code="13059"))


@pytest.mark.shared_database
def test_what_sessions_commit_within_the_transaction_is_gone_after_it(database):
    with rolled_back(database):
        with database.session() as reader:
            assert _clusters(reader) == []
            # Another session commits while the reader's savepoint is open; the reader ending its
            # read (rolling back or closing) must not take that work away.
            with database.session() as writer:
                _add(writer, "first")
            reader.rollback()
            assert _clusters(reader) == ["first"]
            with database.session() as writer:
                _add(writer, "second")
        with database.session() as session:
            assert _clusters(session) == ["first", "second"]
            # A unit of work that fails undoes itself and nothing before it.
            with pytest.raises(RuntimeError), write_transaction(session):
                session.add(Cluster(name="third", industry="cashmere", region_code="13059"))
                session.flush()
                raise RuntimeError("refused")
            assert _clusters(session) == ["first", "second"]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Cluster)) == 0


@pytest.mark.shared_database
def test_sessions_join_one_transaction_at_a_time(database):
    with rolled_back(database) as connection:
        assert database.within is connection
        with pytest.raises(RuntimeError, match="already work within"), rolled_back(database):
            pass
    assert database.within is None


def test_each_test_starts_from_an_empty_catalogue_whatever_ran_before(database, factory):
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Cluster)) == 0
    factory.cluster()
