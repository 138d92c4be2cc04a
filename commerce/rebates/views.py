"""HTTP edge of the rebate side: rates, exchange rates, firms' settings, invoices, proceeds, claims, ledger."""

from __future__ import annotations

from datetime import date

from flask_openapi3 import FileStorage
from pydantic import BaseModel, Field

from commerce.catalog.errors import MissingFile
from commerce.customs.models import ExchangeRatePublic
from commerce.rebates import claims, fx, invoices, ledger, profiles, rates, service, tasks
from commerce.rebates.claims import MISSING, WARNINGS
from commerce.rebates.models import (
    ClaimLinePublic,
    ClaimPublic,
    ClaimRequest,
    ClaimsComputed,
    ClaimStatus,
    InvoiceCreate,
    InvoiceLinePublic,
    InvoicePublic,
    LedgerBalances,
    LedgerEntry,
    LedgerPublic,
    ParityRatePublic,
    ParityRates,
    Period,
    ProceedsInput,
    ProceedsPublic,
    ProfileInput,
    ProfilePublic,
    RateSource,
    RebateRatePublic,
    RebateRates,
    RefundInput,
    VatReturnInput,
    VatReturnPublic,
)
from commerce.validation import CurrencyCode, HsCode, Identifier, Money
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.i18n import translate
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, encode_cursor
from commerce.web.responses import respond

bp = api_blueprint(
    "rebates",
    __name__,
    tag="Rebates",
    description="Rebate rates, exchange rates, invoices, export proceeds, rebate claims and the firms' ledgers",
)


class EnterprisePath(BaseModel):
    enterprise_id: Identifier


class InvoicePath(BaseModel):
    invoice_id: Identifier


class ClaimPath(BaseModel):
    claim_id: Identifier


class OrderPath(BaseModel):
    order_id: Identifier


class RateQuery(BaseModel):
    hs_code: HsCode | None = None


class ParityQuery(BaseModel):
    currency: CurrencyCode | None = None
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")


class InvoiceQuery(ListQuery):
    enterprise_id: Identifier | None = None


class ClaimQuery(ListQuery):
    period: Period | None = None
    enterprise_id: Identifier | None = None
    status: ClaimStatus | None = None


class FileForm(BaseModel):
    file: FileStorage


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


class Recorded(BaseModel):
    recorded: int


class Queued(BaseModel):
    job_id: int


class ProceedsList(BaseModel):
    items: list[ProceedsPublic]


def _upload(form: FileForm):
    if form.file is None or not form.file.filename:
        raise MissingFile(field="file")
    return form.file


def invoice_public(view: invoices.InvoiceView) -> InvoicePublic:
    invoice = view.invoice
    return InvoicePublic(
        id=invoice.id,
        enterprise_id=invoice.enterprise_id,
        kind=invoice.kind,
        number=invoice.number,
        issued_on=invoice.issued_on,
        seller_name=invoice.seller_name,
        amount_excl_vat=Money.of(invoice.amount_excl_vat, "CNY"),
        vat_amount=Money.of(invoice.vat_amount, "CNY"),
        lines=[
            InvoiceLinePublic(
                line_no=line.line_no,
                hs_code=line.hs_code,
                quantity=line.quantity,
                amount=Money.of(line.amount, "CNY"),
                matched_quantity=line.matched_quantity,
                matched_amount=Money.of(line.matched_amount, "CNY"),
            )
            for line in view.lines
        ],
        fully_matched=all(line.matched_quantity == line.quantity for line in view.lines),
    )


def claim_public(view: claims.ClaimView) -> ClaimPublic:
    claim = view.claim

    def cny(amount):
        return Money.of(amount, "CNY")

    missing = []
    for item in claim.missing:
        params = item.get("params", {})
        template = MISSING[item["kind"]]
        missing.append(
            {
                "kind": item["kind"],
                "message": translate(template, **params),
                "declaration_id": int(params["declaration_id"]) if "declaration_id" in params else None,
                "line_no": int(params["line_no"]) if "line_no" in params else None,
                "order_id": int(params["order_id"]) if "order_id" in params else None,
                "quantity": params.get("quantity"),
            }
        )
    return ClaimPublic(
        id=claim.id,
        enterprise_id=claim.enterprise_id,
        period=claim.period,
        method=claim.method,
        status=claim.status,
        filed_by_enterprise_id=claim.filed_by_enterprise_id,
        refund_account=claim.refund_account,
        basis=cny(claim.basis),
        exempt_credit_refund=cny(claim.exempt_credit_refund),
        not_creditable=cny(claim.not_creditable),
        tax_payable=cny(claim.tax_payable),
        credited_off=cny(claim.credited_off),
        carried_in=cny(claim.carried_in),
        carried_over=cny(claim.carried_over),
        amount=cny(claim.amount),
        refunded=cny(claim.refunded),
        due_date=claim.due_date,
        warnings=[{"code": code, "message": translate(WARNINGS[code], **params)} for code, params in view.warnings],
        lines=[
            ClaimLinePublic(
                declaration_id=line.declaration_id,
                line_no=line.line_no,
                hs_code=line.hs_code,
                export_date=line.export_date,
                quantity=line.quantity.normalize(),
                fob=Money.of(line.fob, line.fob_currency),
                fx_rate=line.fx_rate.normalize() if line.fx_rate is not None else None,
                basis=cny(line.basis),
                rate=line.rate.normalize(),
                amount=cny(line.amount),
            )
            for line in view.lines
        ],
        missing=missing,
        computed_at=claim.computed_at,
        filed_at=claim.filed_at,
    )


def _proceeds_public(record) -> ProceedsPublic:
    return ProceedsPublic(
        id=record.id,
        order_id=record.order_id,
        amount=Money.of(record.amount, record.currency),
        received_on=record.received_on,
        reference=record.reference,
    )


# Rebate rates --------------------------------------------------------------------------------------


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
    upload = _upload(form)
    parsed = rates.read_rate_file(upload.stream, upload.filename)
    stored = rates.put_rates(db_session(), actor=current_actor(), rates=parsed)
    return respond(Recorded(recorded=len(stored)))


# Exchange rates ------------------------------------------------------------------------------------


@bp.put("/fx/central-parity", responses={200: Recorded})
def put_central_parity(body: ParityRates):
    """Record central parity fixings by hand (CNY for one unit on a day)."""
    count = fx.put_parity(db_session(), actor=current_actor(), rates=body.rates)
    return respond(Recorded(recorded=count))


@bp.post("/fx/central-parity/imports", responses={200: Recorded})
def import_central_parity(form: FileForm):
    """Load fixings from a CSV or XLSX file (currency, day, cny_per_unit); all or nothing."""
    upload = _upload(form)
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


# Firms' settings, invoices, proceeds, VAT figures --------------------------------------------------


def _profile_public(profile, configured: bool) -> ProfilePublic:
    return ProfilePublic(
        enterprise_id=profile.enterprise_id,
        method=profile.method,
        fx_basis=profile.fx_basis,
        account_bank=profile.account_bank,
        account_no=profile.account_no,
        configured=configured,
    )


@bp.put("/rebates/profiles/<int:enterprise_id>", responses={200: ProfilePublic})
def put_profile(path: EnterprisePath, body: ProfileInput):
    """Set a firm's rebate method, the day its FOB converts at, and its rebate account."""
    profile = profiles.put_profile(db_session(), actor=current_actor(), enterprise_id=path.enterprise_id, data=body)
    return respond(_profile_public(profile, True))


@bp.get("/rebates/profiles/<int:enterprise_id>", responses={200: ProfilePublic})
def get_profile(path: EnterprisePath):
    """A firm's rebate settings (the defaults of its kind until set)."""
    profile, configured = profiles.get_profile(db_session(), actor=current_actor(), enterprise_id=path.enterprise_id)
    return respond(_profile_public(profile, configured))


@bp.post("/invoices", responses={201: InvoicePublic, 200: InvoicePublic})
def record_invoice(body: InvoiceCreate):
    """Record a purchase or rebate-agency VAT invoice with its lines (the same number again: 200)."""
    view, created = invoices.record_invoice(db_session(), actor=current_actor(), data=body)
    headers = {"Location": f"{API_PREFIX}/invoices/{view.invoice.id}"}
    return respond(invoice_public(view), 201 if created else 200, headers)


@bp.get("/invoices", responses={200: ItemList[InvoicePublic]})
def list_invoices(query: InvoiceQuery):
    """Invoices, oldest first, with how much of each line is matched to declarations."""
    page, lines = invoices.list_invoices(
        db_session(), actor=current_actor(), enterprise_id=query.enterprise_id, limit=query.limit, after=query.cursor
    )
    items = [invoice_public(invoices.InvoiceView(invoice, lines.get(invoice.id, []))) for invoice in page.items]
    return respond(ItemList[InvoicePublic](items=items, next_cursor=encode_cursor(page.next_after)))


@bp.get("/invoices/<int:invoice_id>", responses={200: InvoicePublic})
def get_invoice(path: InvoicePath):
    """One invoice and its lines."""
    return respond(
        invoice_public(invoices.get_invoice(db_session(), actor=current_actor(), invoice_id=path.invoice_id))
    )


@bp.post("/rebates/proceeds", responses={201: ProceedsPublic, 200: ProceedsPublic})
def record_proceeds(body: ProceedsInput):
    """Record export proceeds received for an order (the same reference again: 200, nothing repeated)."""
    record, created = service.record_proceeds(db_session(), actor=current_actor(), data=body)
    return respond(_proceeds_public(record), 201 if created else 200)


@bp.get("/orders/<int:order_id>/proceeds", responses={200: ProceedsList})
def list_proceeds(path: OrderPath):
    """The export proceeds recorded for an order."""
    found = service.list_proceeds(db_session(), actor=current_actor(), order_id=path.order_id)
    return respond(ProceedsList(items=[_proceeds_public(record) for record in found]))


@bp.put("/rebates/vat-returns", responses={200: VatReturnPublic})
def record_vat_return(body: VatReturnInput):
    """A manufacturer's domestic output VAT and input VAT of a period (exempt-credit-refund method)."""
    figures = service.record_vat_return(db_session(), actor=current_actor(), data=body)
    return respond(
        VatReturnPublic(
            enterprise_id=figures.enterprise_id,
            period=figures.period,
            output_vat=Money.of(figures.output_vat, "CNY"),
            input_vat=Money.of(figures.input_vat, "CNY"),
        )
    )


# Claims --------------------------------------------------------------------------------------------


@bp.post("/rebates/claims", responses={201: ClaimsComputed})
def compute_claims(body: ClaimRequest):
    """Compute the period's claims (one firm's, or every exporting firm's), replacing their drafts."""
    session = db_session()
    actor = current_actor()
    ids = claims.compute_claims(session, actor=actor, period=body.period, enterprise_id=body.enterprise_id)
    lines = claims.lines_of_claims(session, ids)
    items = []
    for claim_id in ids:
        claim = session.get(claims.RebateClaim, claim_id)
        items.append(claim_public(claims.ClaimView(claim, lines.get(claim_id, []), claims.claim_warnings(claim))))
    return respond(ClaimsComputed(items=items), 201)


@bp.get("/rebates/claims", responses={200: ItemList[ClaimPublic]})
def list_claims(query: ClaimQuery):
    """Claims, oldest first; a firm's staff see their firm's."""
    session = db_session()
    page = claims.list_claims(
        session,
        actor=current_actor(),
        period=query.period,
        enterprise_id=query.enterprise_id,
        status=query.status,
        limit=query.limit,
        after=query.cursor,
    )
    lines = claims.lines_of_claims(session, [claim.id for claim in page.items])
    items = [
        claim_public(claims.ClaimView(claim, lines.get(claim.id, []), claims.claim_warnings(claim)))
        for claim in page.items
    ]
    return respond(ItemList[ClaimPublic](items=items, next_cursor=encode_cursor(page.next_after)))


@bp.get("/rebates/claims/<int:claim_id>", responses={200: ClaimPublic})
def get_claim(path: ClaimPath):
    """One claim, explained line by line, with what is missing and its deadline."""
    return respond(claim_public(claims.get_claim(db_session(), actor=current_actor(), claim_id=path.claim_id)))


@bp.post("/rebates/claims/<int:claim_id>/file", responses={200: ClaimPublic})
def file_claim(path: ClaimPath):
    """File a draft claim: its lines are claimed once and for all."""
    session = db_session()
    actor = current_actor()
    claims.file_claim(session, actor=actor, claim_id=path.claim_id)
    return respond(claim_public(claims.get_claim(session, actor=actor, claim_id=path.claim_id)))


@bp.post("/rebates/claims/<int:claim_id>/refunds", responses={201: ClaimPublic, 200: ClaimPublic})
def record_refund(path: ClaimPath, body: RefundInput):
    """Record a refund received on a filed claim (the same reference again: 200, nothing repeated)."""
    session = db_session()
    actor = current_actor()
    _, _, created = claims.record_refund(session, actor=actor, claim_id=path.claim_id, data=body)
    return respond(
        claim_public(claims.get_claim(session, actor=actor, claim_id=path.claim_id)), 201 if created else 200
    )


@bp.get("/rebates/ledger/<int:enterprise_id>", responses={200: LedgerPublic})
def firm_ledger(path: EnterprisePath):
    """A firm's rebate ledger: invoices, declared exports, proceeds, claims and refunds, with balances."""
    book = ledger.firm_ledger(db_session(), actor=current_actor(), enterprise_id=path.enterprise_id)

    def cny(amount):
        return Money.of(amount, "CNY")

    def per_currency(amounts):
        return [Money.of(amount, currency) for currency, amount in sorted(amounts.items())]

    return respond(
        LedgerPublic(
            enterprise_id=book.enterprise_id,
            balances=LedgerBalances(
                invoiced=cny(book.invoiced),
                invoice_matched=cny(book.invoice_matched),
                invoice_unmatched=cny(book.invoice_unmatched),
                declared_fob=per_currency(book.declared_fob),
                proceeds_due=per_currency(book.proceeds_due),
                proceeds_received=per_currency(book.proceeds_received),
                claimed=cny(book.claimed),
                refunded=cny(book.refunded),
                receivable=cny(book.receivable),
                carried_over=cny(book.carried_over),
            ),
            entries=[
                LedgerEntry(
                    on=entry.on,
                    kind=entry.kind,
                    reference=entry.reference,
                    amount=Money.of(entry.amount, entry.currency),
                    receivable=cny(entry.receivable),
                )
                for entry in book.entries
            ],
        )
    )
