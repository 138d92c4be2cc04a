"""HTTP edge of the rates rebates are computed with: rebate rates by HS code, the central
parity, and customs' monthly rates derived from it.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from commerce.customs.shapes import ExchangeRatePublic
from commerce.rebates import fx, rates, tasks
from commerce.rebates.models import RateSource
from commerce.rebates.shapes import ParityRatePublic, ParityRates, Period, RebateRatePublic, RebateRates
from commerce.rebates.views.uploads import FileForm, Queued, Recorded, uploaded_file
from commerce.validation import CurrencyCode, HsCode
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.openapi import api_blueprint
from commerce.web.responses import respond

bp = api_blueprint(
    "rebate_rates",
    __name__,
    tag="Rebate and exchange rates",
    description="Rebate rates by HS code, the central parity and customs' monthly rates",
)


class RateQuery(BaseModel):
    hs_code: HsCode | None = None


class ParityQuery(BaseModel):
    currency: CurrencyCode | None = None
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")


class CustomsRateRequest(BaseModel):
    period: Period
    currencies: list[CurrencyCode] = Field(default_factory=lambda: ["USD"], min_length=1, max_length=30)


class FetchRequest(BaseModel):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    currencies: list[CurrencyCode] = Field(default_factory=lambda: ["USD"], min_length=1, max_length=30)


class RebateRateList(BaseModel):
    items: list[RebateRatePublic]


class ParityList(BaseModel):
    items: list[ParityRatePublic]


class CustomsRateList(BaseModel):
    items: list[ExchangeRatePublic]


def _rate_public(rate) -> RebateRatePublic:
    return RebateRatePublic(
        hs_code=rate.hs_code,
        rate=rate.rate.normalize(),
        vat_rate=rate.vat_rate.normalize(),
        valid_from=rate.valid_from,
        announcement=rate.announcement,
    )


@bp.put("/rebate-rates", responses={200: RebateRateList})
def put_rebate_rates(body: RebateRates):
    """Record dated rebate rates by 10-digit HS code (admin); the same code and day again replaces."""
    stored = rates.put_rates(db_session(), actor=current_actor(), rates=body.rates)
    return respond(RebateRateList(items=[_rate_public(rate) for rate in stored]))


@bp.get("/rebate-rates", responses={200: RebateRateList})
def list_rebate_rates(query: RateQuery):
    """The dated rebate-rate table."""
    found = rates.list_rates(db_session(), actor=current_actor(), hs_code=query.hs_code)
    return respond(RebateRateList(items=[_rate_public(rate) for rate in found]))


@bp.post("/rebate-rates/imports", responses={200: Recorded})
def import_rebate_rates(form: FileForm):
    """Load rates from a CSV or XLSX file (hs_code, rate, valid_from[, vat_rate, announcement]); all or nothing."""
    upload = uploaded_file(form)
    parsed = rates.read_rate_file(upload.stream, upload.filename)
    stored = rates.put_rates(db_session(), actor=current_actor(), rates=parsed)
    return respond(Recorded(recorded=len(stored)))


@bp.put("/fx/central-parity", responses={200: Recorded})
def put_central_parity(body: ParityRates):
    """Record central parity fixings by hand (CNY for one unit on a day)."""
    count = fx.put_parity(db_session(), actor=current_actor(), rates=body.rates)
    return respond(Recorded(recorded=count))


@bp.post("/fx/central-parity/imports", responses={200: Recorded})
def import_central_parity(form: FileForm):
    """Load fixings from a CSV or XLSX file (currency, day, cny_per_unit); all or nothing."""
    upload = uploaded_file(form)
    parsed = fx.read_parity_file(upload.stream, upload.filename)
    count = fx.put_parity(db_session(), actor=current_actor(), rates=parsed, source=RateSource.IMPORT)
    return respond(Recorded(recorded=count))


@bp.get("/fx/central-parity", responses={200: ParityList})
def list_central_parity(query: ParityQuery):
    """Fixings on record, with their source (at most 5,000)."""
    found = fx.list_parity(
        db_session(), actor=current_actor(), currency=query.currency, start=query.start, end=query.end
    )
    return respond(ParityList(items=[ParityRatePublic.model_validate(row, from_attributes=True) for row in found]))


@bp.post("/fx/central-parity/fetch", responses={202: Queued})
def fetch_central_parity(body: FetchRequest):
    """Queue a fetch of the published fixings of a stretch of days from the interbank market."""
    job_id = tasks.queue_fetch(
        db_session(), actor=current_actor(), start=body.start, end=body.end, currencies=body.currencies
    )
    return respond(Queued(job_id=job_id), 202)


@bp.post("/fx/customs-rates", responses={200: CustomsRateList})
def derive_customs_rates(body: CustomsRateRequest):
    """Set customs' rates of a month from the central parity of the previous month's third Wednesday."""
    stored = tasks.derive_customs_rates(
        db_session(), actor=current_actor(), period=body.period, currencies=body.currencies
    )
    return respond(
        CustomsRateList(items=[ExchangeRatePublic.model_validate(rate, from_attributes=True) for rate in stored])
    )
