"""HTTP edge of rebate claims: computing a period, reading, filing, refunds, and each firm's ledger."""

from __future__ import annotations

from pydantic import BaseModel

from commerce.rebates import claims, filing, ledger
from commerce.rebates.claims import MISSING
from commerce.rebates.filing import WARNINGS
from commerce.rebates.models import ClaimStatus
from commerce.rebates.shapes import (
    ClaimLinePublic,
    ClaimPublic,
    ClaimRequest,
    ClaimsComputed,
    LedgerBalances,
    LedgerEntry,
    LedgerPublic,
    Period,
    RefundInput,
)
from commerce.rebates.views.records import EnterprisePath
from commerce.validation import Identifier, Money
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.i18n import translate
from commerce.web.openapi import api_blueprint
from commerce.web.pagination import ItemList, ListQuery, encode_cursor
from commerce.web.responses import respond

bp = api_blueprint(
    "rebate_claims",
    __name__,
    tag="Rebate claims",
    description="Rebate claims, their filing and refunds, and the firms' ledgers",
)


class ClaimPath(BaseModel):
    claim_id: Identifier


class ClaimQuery(ListQuery):
    period: Period | None = None
    enterprise_id: Identifier | None = None
    status: ClaimStatus | None = None


def claim_public(view: filing.ClaimView) -> ClaimPublic:
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


@bp.post("/rebates/claims", responses={201: ClaimsComputed})
def compute_claims(body: ClaimRequest):
    """Compute the period's claims (one firm's, or every exporting firm's), replacing their drafts."""
    session = db_session()
    actor = current_actor()
    ids = claims.compute_claims(session, actor=actor, period=body.period, enterprise_id=body.enterprise_id)
    lines = filing.lines_of_claims(session, ids)
    items = []
    for claim_id in ids:
        claim = session.get(claims.RebateClaim, claim_id)
        items.append(claim_public(filing.ClaimView(claim, lines.get(claim_id, []), filing.claim_warnings(claim))))
    return respond(ClaimsComputed(items=items), 201)


@bp.get("/rebates/claims", responses={200: ItemList[ClaimPublic]})
def list_claims(query: ClaimQuery):
    """Claims, oldest first; a firm's staff see their firm's."""
    session = db_session()
    page = filing.list_claims(
        session,
        actor=current_actor(),
        period=query.period,
        enterprise_id=query.enterprise_id,
        status=query.status,
        limit=query.limit,
        after=query.cursor,
    )
    lines = filing.lines_of_claims(session, [claim.id for claim in page.items])
    items = [
        claim_public(filing.ClaimView(claim, lines.get(claim.id, []), filing.claim_warnings(claim)))
        for claim in page.items
    ]
    return respond(ItemList[ClaimPublic](items=items, next_cursor=encode_cursor(page.next_after)))


@bp.get("/rebates/claims/<int:claim_id>", responses={200: ClaimPublic})
def get_claim(path: ClaimPath):
    """One claim, explained line by line, with what is missing and its deadline."""
    return respond(claim_public(filing.get_claim(db_session(), actor=current_actor(), claim_id=path.claim_id)))


@bp.post("/rebates/claims/<int:claim_id>/file", responses={200: ClaimPublic})
def file_claim(path: ClaimPath):
    """File a draft claim: its lines are claimed once and for all."""
    session = db_session()
    actor = current_actor()
    filing.file_claim(session, actor=actor, claim_id=path.claim_id)
    return respond(claim_public(filing.get_claim(session, actor=actor, claim_id=path.claim_id)))


@bp.post("/rebates/claims/<int:claim_id>/refunds", responses={201: ClaimPublic, 200: ClaimPublic})
def record_refund(path: ClaimPath, body: RefundInput):
    """Record a refund received on a filed claim (the same reference again: 200, nothing repeated)."""
    session = db_session()
    actor = current_actor()
    _, _, created = filing.record_refund(session, actor=actor, claim_id=path.claim_id, data=body)
    return respond(
        claim_public(filing.get_claim(session, actor=actor, claim_id=path.claim_id)), 201 if created else 200
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
                to_repay=cny(book.to_repay),
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
