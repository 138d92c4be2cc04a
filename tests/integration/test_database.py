import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, select, text, update
from sqlalchemy.exc import IntegrityError

from commerce.db import ExactDecimal, UTCDateTime, utcnow, write_transaction
from commerce.inventory.models import StockLevel

metadata = MetaData()
ledger = Table(
    "exactness_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", ExactDecimal(scale=2)),
    Column("unit_price", ExactDecimal(scale=4)),
    Column("at", UTCDateTime()),
)


@pytest.fixture
def probe(database):
    metadata.create_all(database.engine)
    yield database
    metadata.drop_all(database.engine)


def test_large_amounts_stay_exact_and_sum_exactly(probe):
    amounts = [Decimal("1234567890123456.78"), Decimal("0.01"), Decimal("-0.10")]
    with probe.engine.begin() as connection:
        connection.execute(
            ledger.insert(), [{"amount": amount, "unit_price": Decimal("12.3456")} for amount in amounts]
        )
    with probe.engine.connect() as connection:
        stored = connection.execute(select(ledger.c.amount).order_by(ledger.c.id)).scalars().all()
        total = connection.execute(select(func.sum(ledger.c.amount))).scalar()
        price = connection.execute(select(ledger.c.unit_price)).scalars().first()
    assert stored == amounts
    assert total == Decimal("1234567890123456.69")
    assert price == Decimal("12.3456")


def test_more_decimals_than_the_column_keeps_are_refused(probe):
    with pytest.raises(Exception, match="more than 2 decimal places"), probe.engine.begin() as connection:
        connection.execute(ledger.insert(), [{"amount": Decimal("1.005")}])


def test_timestamps_come_back_aware_in_utc(probe):
    shanghai = timezone(timedelta(hours=8))
    with probe.engine.begin() as connection:
        connection.execute(ledger.insert(), [{"at": datetime(2026, 11, 22, 8, 30, tzinfo=shanghai)}])
    with probe.engine.connect() as connection:
        at = connection.execute(select(ledger.c.at)).scalar()
    assert at == datetime(2026, 11, 22, 0, 30, tzinfo=UTC)
    assert at.tzinfo is UTC


def test_naive_timestamps_are_refused(probe):
    with pytest.raises(Exception, match="naive"), probe.engine.begin() as connection:
        connection.execute(ledger.insert(), [{"at": datetime(2026, 1, 1)}])


def test_stock_constraints_are_a_backstop_in_the_database(factory, session):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    sku_id = session.scalar(select(StockLevel.sku_id))
    assert product.id
    with pytest.raises(IntegrityError), write_transaction(session):
        session.execute(StockLevel.__table__.update().values(available=StockLevel.available - 100))
    session.rollback()
    with pytest.raises(IntegrityError), write_transaction(session):
        session.execute(StockLevel.__table__.update().values(reserved=3))
    session.rollback()
    level = session.get(StockLevel, sku_id)
    assert (level.on_hand, level.reserved, level.available) == (10, 0, 10)


@pytest.mark.shared_database
def test_concurrent_adjustments_lose_no_update(factory, database):
    """Eight threads adjust one SKU at once; every unit is accounted for."""
    from commerce.actors import Actor, Role
    from commerce.inventory.service import adjust_stock

    world = factory.world()
    factory.product(world.maker_a_id)
    with database.session() as session:
        sku_id = session.scalar(select(StockLevel.sku_id))
    actor = Actor(user_id=world.user_ids["sme_a"], role=Role.SME, enterprise_id=world.maker_a_id)
    errors = []

    def work():
        try:
            for _ in range(25):
                with database.session() as session:
                    adjust_stock(session, actor=actor, sku_id=sku_id, delta=1, reason="count")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database.session() as session:
        level = session.get(StockLevel, sku_id)
        assert (level.on_hand, level.available) == (210, 210)


@pytest.mark.shared_database
def test_reads_leave_writers_free_and_a_write_is_all_or_nothing(factory, database):
    """A session's reads hold nothing other writers wait for (PostgreSQL: no open transaction at all);
    a write transaction after them either commits whole or leaves nothing."""
    world = factory.world()
    factory.product(world.maker_a_id)
    stock = select(StockLevel.on_hand)
    with database.session() as session:
        sku_id, on_hand = session.execute(select(StockLevel.sku_id, StockLevel.on_hand)).one()
        stock = stock.where(StockLevel.sku_id == sku_id)
        if database.is_sqlite:
            # WAL: another connection writes while this session's read is open.
            with database.engine.begin() as other:
                other.execute(update(StockLevel).where(StockLevel.sku_id == sku_id).values(updated_at=utcnow()))
        else:
            pid = session.scalar(text("SELECT pg_backend_pid()"))
            with database.engine.connect() as other:
                state = other.scalar(text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
            assert state == "idle"
        more = update(StockLevel).where(StockLevel.sku_id == sku_id)
        with pytest.raises(RuntimeError), write_transaction(session):
            session.execute(more.values(on_hand=StockLevel.on_hand + 5, available=StockLevel.available + 5))
            raise RuntimeError("the request failed half way")
        assert session.scalar(stock) == on_hand
        with write_transaction(session):
            session.execute(more.values(on_hand=StockLevel.on_hand + 1, available=StockLevel.available + 1))
    with database.session() as session:
        assert session.scalar(stock) == on_hand + 1
