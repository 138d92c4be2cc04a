"""Queued and scheduled work of the rebate side: fetching the central parity, setting customs' monthly rates.

The scheduler queues a fetch of the last days' fixings every working morning; a worker runs it
through the parity source and, for each month whose customs day the stretch covers, sets customs'
rate from that day's fixing. Fetching the same days twice stores the same rows again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.config import Settings
from commerce.customs.calendar import china_today, first_day, shift_period
from commerce.customs.models import CustomsExchangeRate, CustomsPlatform
from commerce.db import Database, utcnow, write_transaction
from commerce.deployment import Deployment
from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from commerce.rebates import fx
from commerce.rebates.errors import FetchSpanInvalid, ParityMissing
from commerce.rebates.models import RateSource
from integrations.fx.client import CfetsClient
from integrations.fx.interface import ParitySource

log = logging.getLogger(__name__)
FETCH_KIND = "rebates.fetch_parity"
PRIORITY_FX = 90
MAXIMUM_FETCH_DAYS = 366
# Each morning's fetch reads this many days back, so a late publication or a missed morning is caught up.
FETCH_LOOKBACK_DAYS = 10

# A deployment's other parity source (``Deployment.parity_source``): tests and local demos give a
# fake, or the client on an in-process simulator.
SourceFactory = Callable[[Settings], ParitySource]


def source_for(deployment: Deployment) -> ParitySource:
    """Where the central parity comes from: the interbank market's site, at the configured address."""
    if deployment.parity_source is not None:
        return deployment.parity_source(deployment.settings)
    return CfetsClient(deployment.settings.fx_url)


def _enqueue_fetch(session: Session, *, start: date, end: date, currencies: list[str] | None) -> int:
    key = f"fx:{start.isoformat()}:{end.isoformat()}:{','.join(currencies or ['*'])}"
    return jobs.enqueue(
        session,
        kind=FETCH_KIND,
        key=key,
        payload={"start": start.isoformat(), "end": end.isoformat(), "currencies": currencies},
        priority=PRIORITY_FX,
    )


def queue_fetch(session: Session, *, actor: Actor, start: date, end: date, currencies: list[str]) -> int:
    """Queue a fetch of the fixings of a stretch of days (trade operators)."""
    require_role(actor, Role.TRADE_OPERATOR)
    if end < start or (end - start).days >= MAXIMUM_FETCH_DAYS:
        raise FetchSpanInvalid(field="to")
    with write_transaction(session):
        return _enqueue_fetch(session, start=start, end=end, currencies=sorted(set(currencies)))


def queue_daily_fetch(database: Database) -> int:
    """The scheduler's part: fetch the last days' fixings (late publications and gaps are caught up)."""
    today = china_today(utcnow())
    with database.session() as session, write_transaction(session):
        return _enqueue_fetch(session, start=today - timedelta(days=FETCH_LOOKBACK_DAYS), end=today, currencies=None)


def _holidays(session: Session) -> set[date]:
    days: set[date] = set()
    for holidays in session.scalars(select(CustomsPlatform.holidays)):
        days.update(date.fromisoformat(day) for day in holidays)
    return days


def _periods_decided_within(start: date, end: date, holidays: set[date]) -> list[str]:
    """The months whose customs day (see ``fx.customs_rate_day``) lies in the stretch."""
    periods = []
    month = f"{start.year:04d}-{start.month:02d}"
    while first_day(month) <= end:
        period = shift_period(month, 1)
        if start <= fx.customs_rate_day(period, holidays=holidays) <= end:
            periods.append(period)
        month = period
    return periods


def fetch_parity(deployment: Deployment, job: Job) -> None:
    """Fetch and store the stretch's fixings, then set customs' rates of the months they decide."""
    database, settings = deployment.database, deployment.settings
    start = date.fromisoformat(job.payload["start"])
    end = date.fromisoformat(job.payload["end"])
    currencies = job.payload.get("currencies") or settings.fx_currency_list
    source = source_for(deployment)
    quotes = source.central_parity(start=start, end=end, currencies=currencies)
    with database.session() as session:
        count = fx.record_parity(session, quotes, source=RateSource.CFETS)
        holidays = _holidays(session)
        for period in _periods_decided_within(start, end, holidays):
            try:
                fx.derive_customs_rates(session, period=period, currencies=currencies, holidays=holidays)
            except ParityMissing as missing:
                log.warning("customs rate of %s not set: %s", period, missing)
    log.info("central parity fetched", extra={"fixings": count, "start": start.isoformat(), "end": end.isoformat()})


def derive_customs_rates(
    session: Session, *, actor: Actor, period: str, currencies: list[str]
) -> list[CustomsExchangeRate]:
    """Set customs' rates of a month from the central parity on its customs day (trade operators)."""
    require_role(actor, Role.TRADE_OPERATOR)
    return fx.derive_customs_rates(session, period=period, currencies=currencies, holidays=_holidays(session))
