"""Exchange rates: the central parity client on its simulator (and the fake, one contract), the customs day
rule, the scheduled fetch that sets customs' monthly rate, and the rebate side's lookup."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import func, select

from commerce.actors import Actor
from commerce.customs.models import CustomsExchangeRate
from commerce.jobs.models import Job
from commerce.rebates import fx, tasks
from commerce.rebates.errors import ParityMissing
from commerce.rebates.models import CentralParityRate, FxBasis
from integrations.base import RetryableError, TerminalError
from integrations.fx.client import CfetsClient
from integrations.fx.fake import FakeParitySource
from integrations.fx.simulator import CfetsSimulator
from integrations.simulation import Faults

MID_AUTUMN = date(2026, 9, 25)
SET = {("USD", date(2026, 10, 21)): Decimal("7.1268"), ("JPY", date(2026, 10, 21)): Decimal("0.047391")}


def client_on(simulator: CfetsSimulator) -> CfetsClient:
    return CfetsClient("http://cfets.test", transport=httpx.WSGITransport(app=simulator.app))


@pytest.fixture(params=["client_on_simulator", "fake"])
def source(request):
    """The same source, as the real client on the simulator and as the in-memory fake."""
    simulator = CfetsSimulator(holidays={MID_AUTUMN}, rates=SET)
    if request.param == "fake":
        quotes = {}
        for day in (date(2026, 9, 24), date(2026, 10, 20), date(2026, 10, 21)):
            quotes[("USD", day)] = Decimal(simulator.fixing("USD", 1, Decimal("7.1"), day))
        quotes[("JPY", date(2026, 10, 21))] = Decimal("0.047391")
        return FakeParitySource(quotes)
    return client_on(simulator)


def test_fixings_come_in_cny_per_unit_and_holidays_have_none(source):
    quotes = source.central_parity(start=date(2026, 9, 24), end=date(2026, 9, 27), currencies=["USD"])
    assert [quote.day for quote in quotes] == [date(2026, 9, 24)]

    october = source.central_parity(start=date(2026, 10, 21), end=date(2026, 10, 21), currencies=["USD", "JPY"])
    assert sorted((quote.currency, quote.cny_per_unit) for quote in october) == [
        ("JPY", Decimal("0.047391")),
        ("USD", Decimal("7.1268")),
    ]


def test_the_client_pages_through_long_stretches_and_splits_a_year():
    simulator = CfetsSimulator()
    quotes = client_on(simulator).central_parity(start=date(2025, 11, 1), end=date(2026, 10, 31), currencies=["USD"])
    working_days = [
        day
        for day in (date.fromordinal(n) for n in range(date(2025, 11, 1).toordinal(), date(2026, 11, 1).toordinal()))
        if day.weekday() < 5
    ]
    assert sorted(quote.day for quote in quotes) == working_days
    assert len(simulator.traffic.accepted) == 7  # two stretches: 130 and 131 fixings, 50 a page


def test_the_simulators_refusals_reach_the_client_as_the_two_kinds_of_failure():
    throttled = CfetsSimulator(rate_limit=0.001)
    throttled.bucket.tokens = 0
    with pytest.raises(RetryableError) as error:
        client_on(throttled).central_parity(start=date(2026, 10, 1), end=date(2026, 10, 2), currencies=["USD"])
    assert error.value.throttled and error.value.retry_after > 0

    failing = CfetsSimulator(faults=Faults(error_rate=1.0))
    with pytest.raises(RetryableError, match="502"):
        client_on(failing).central_parity(start=date(2026, 10, 1), end=date(2026, 10, 2), currencies=["USD"])

    refused = {"head": {"rep_code": "200"}, "data": {"flagMessage": "只提供一年历史数据查询及下载"}, "records": None}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=refused))
    with pytest.raises(TerminalError, match="一年"):
        CfetsClient("http://cfets.test", transport=transport).central_parity(
            start=date(2026, 10, 1), end=date(2026, 10, 2), currencies=["USD"]
        )
    garbage = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(TerminalError, match="undecodable"):
        CfetsClient("http://cfets.test", transport=garbage).central_parity(
            start=date(2026, 10, 1), end=date(2026, 10, 2), currencies=["USD"]
        )


@pytest.mark.parametrize(
    ("period", "holidays", "day"),
    [
        ("2026-11", (), date(2026, 10, 21)),
        ("2026-01", (), date(2025, 12, 17)),
        ("2026-10", (), date(2026, 9, 16)),
        # Customs Order No. 272, from December 2024: a third Wednesday that is no trading day
        # gives way to the next trading day, past holidays and the weekend.
        ("2026-10", (date(2026, 9, 16),), date(2026, 9, 17)),
        ("2026-10", (date(2026, 9, 16), date(2026, 9, 17), date(2026, 9, 18)), date(2026, 9, 21)),
        ("2024-12", (date(2024, 11, 20),), date(2024, 11, 21)),
        # Before it, the fourth Wednesday.
        ("2024-11", (date(2024, 10, 16),), date(2024, 10, 23)),
        ("2000-01", (), date(1999, 12, 15)),
    ],
)
def test_customs_takes_the_third_wednesday_of_the_previous_month_or_the_next_trading_day(period, holidays, day):
    assert fx.customs_rate_day(period, holidays=holidays) == day


def test_the_scheduled_fetch_stores_fixings_and_sets_the_next_months_customs_rate(database, deployment):
    simulator = CfetsSimulator(rates=SET)
    on_simulator = replace(deployment, parity_source=lambda _settings: client_on(simulator))
    job = Job(
        kind=tasks.FETCH_KIND, key="k", payload={"start": "2026-10-19", "end": "2026-10-23", "currencies": ["USD"]}
    )
    tasks.fetch_parity(on_simulator, job)
    tasks.fetch_parity(on_simulator, job)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CentralParityRate)) == 5
        (rate,) = session.scalars(select(CustomsExchangeRate)).all()
        assert (rate.currency, rate.valid_from, rate.cny_per_unit, rate.source, rate.parity_day) == (
            "USD",
            date(2026, 11, 1),
            Decimal("7.126800"),
            "central_parity",
            date(2026, 10, 21),
        )


def test_a_missing_fixing_is_an_explicit_error_never_a_default(database):
    with database.session() as session:
        with pytest.raises(ParityMissing):
            fx.derive_customs_rates(session, period="2026-11", currencies=["USD"])
        assert session.scalar(select(func.count()).select_from(CustomsExchangeRate)) == 0
        fx.record_parity(
            session,
            [fx.ParityRateInput(currency="USD", day=date(2026, 9, 30), cny_per_unit=Decimal("7.15"))],
            source=fx.RateSource.MANUAL,
        )
        table = fx.ParityTable.load(session, ["USD"], date(2026, 10, 1), date(2026, 10, 31))
    # 1 October is a holiday: the rebate side takes the last fixing before it, but never one older than a week.
    assert table.on("USD", fx.rebate_day(date(2026, 10, 5), FxBasis.MONTH_START)) == Decimal("7.15")
    assert table.on("USD", date(2026, 10, 8)) is None
    assert table.on("EUR", date(2026, 10, 1)) is None
    assert table.on("CNY", date(2026, 10, 1)) == Decimal("1")


def test_a_fetch_span_over_a_year_is_refused_and_nothing_is_queued(database):
    with database.session() as session:
        with pytest.raises(tasks.FetchSpanInvalid):
            tasks.queue_fetch(
                session, actor=Actor.system(), start=date(2025, 1, 1), end=date(2026, 1, 2), currencies=["USD"]
            )
        assert session.scalar(select(func.count()).select_from(Job)) == 0


PUBLISHED = [
    ("USD", "2026-10-21", "7.1268", "7.1268"),
    ("HKD", "2026-10-21", "0.92343", "0.92343"),
    ("JPY", "2026-10-21", "0.047391", "0.047391"),
    ("EUR", "2026-10-21", "8.3", "8.3000"),
]


def test_every_fixing_stored_reads_back_as_it_was_published(client, factory):
    from tests.factories import open_shop

    shop = open_shop(factory)
    operator = shop.world.headers["trade_operator"]
    rates = [{"currency": currency, "day": day, "cny_per_unit": value} for currency, day, value, _shown in PUBLISHED]
    stored = client.put("/api/v1/fx/central-parity", headers=operator, json={"rates": rates})
    assert (stored.status_code, stored.json) == (200, {"recorded": 4})
    listed = client.get("/api/v1/fx/central-parity?start=2026-10-01&end=2026-10-31", headers=operator)
    assert listed.status_code == 200, listed.json
    assert sorted((item["currency"], item["day"], item["cny_per_unit"]) for item in listed.json["items"]) == sorted(
        (currency, day, shown) for currency, day, _value, shown in PUBLISHED
    )
    # Customs' rate set from them reads back too.
    derived = client.post(
        "/api/v1/fx/customs-rates", headers=operator, json={"period": "2026-11", "currencies": ["HKD"]}
    )
    assert derived.status_code == 200, derived.json
    customs = client.get("/api/v1/customs/exchange-rates", headers=operator)
    assert customs.status_code == 200, customs.json
    assert [(rate["currency"], rate["cny_per_unit"]) for rate in customs.json["items"]] == [("HKD", "0.92343")]


def test_a_fixing_finer_than_the_column_is_refused_and_nothing_is_stored(client, factory, database):
    from tests.factories import open_shop

    shop = open_shop(factory)
    answer = client.put(
        "/api/v1/fx/central-parity",
        headers=shop.world.headers["trade_operator"],
        json={"rates": [{"currency": "USD", "day": "2026-10-21", "cny_per_unit": "7.1268001"}]},
    )
    assert (answer.status_code, answer.json["code"]) == (422, "too_many_decimals")
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(CentralParityRate)) == 0
