"""HTTP edge of what a firm's claims are built from: its rebate settings, purchase VAT invoices,
export proceeds and the period's VAT figures.
"""

from __future__ import annotations

from pydantic import BaseModel

from commerce.rebates import invoices, profiles, service
from commerce.rebates.shapes import (
    InvoiceCreate,
    InvoiceLinePublic,
    InvoicePublic,
    ProceedsInput,
    ProceedsPublic,
    ProfileInput,
    ProfilePublic,
    VatReturnInput,
    VatReturnPublic,
)
from commerce.validation import Identifier, Money
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, encode_cursor
from commerce.web.responses import respond

bp = api_blueprint(
    "rebate_records",
    __name__,
    tag="Rebate records",
    description="Firms' rebate settings, purchase VAT invoices, export proceeds and VAT figures",
)


class EnterprisePath(BaseModel):
    enterprise_id: Identifier


class InvoicePath(BaseModel):
    invoice_id: Identifier


class OrderPath(BaseModel):
    order_id: Identifier


class InvoiceQuery(ListQuery):
    enterprise_id: Identifier | None = None


class ProceedsList(BaseModel):
    items: list[ProceedsPublic]


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


def _proceeds_public(record) -> ProceedsPublic:
    return ProceedsPublic(
        id=record.id,
        order_id=record.order_id,
        amount=Money.of(record.amount, record.currency),
        received_on=record.received_on,
        reference=record.reference,
    )


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
