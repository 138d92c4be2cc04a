"""VAT invoices behind exports, and their matching to declaration lines by firm, HS code and quantity.

Matching is first in, first out: the oldest open invoice lines of an HS code go to the earliest
declaration lines of the same firm and code. A line may be matched in parts, over several invoices;
an invoice line is never matched beyond its quantity (a CHECK says so too), and each part carries
its share of the invoice amount, rounded so that the parts add up to the line.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.permissions import require_reachable_firm, within_reach
from commerce.db import utcnow, write_transaction
from commerce.errors import NotFound
from commerce.pagination import Page, fetch_page
from commerce.rebates.arithmetic import require_amount, share_of
from commerce.rebates.errors import (
    InvoiceDoesNotAddUp,
    InvoiceKindWrong,
    InvoiceNumberTaken,
    NotCny,
)
from commerce.rebates.exports import DeclaredLine, in_chunks
from commerce.rebates.models import InvoiceKind, InvoiceMatch, RebateMethod, VatInvoice, VatInvoiceLine
from commerce.rebates.profiles import exporting_firm, method_of
from commerce.rebates.shapes import InvoiceCreate
from commerce.sql import among, bulk_insert

KIND_OF_METHOD = {RebateMethod.PURCHASE: InvoiceKind.PURCHASE, RebateMethod.AGENCY: InvoiceKind.REBATE_AGENCY}


@dataclass(frozen=True, slots=True)
class InvoiceView:
    invoice: VatInvoice
    lines: list[VatInvoiceLine]


def record_invoice(session: Session, *, actor: Actor, data: InvoiceCreate) -> tuple[InvoiceView, bool]:
    """Record an invoice with its lines; the same number again answers the stored one (False) if it agrees."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    for money in (data.amount_excl_vat, data.vat_amount, *[line.amount for line in data.lines]):
        if money.currency != "CNY":
            raise NotCny(field="amount_excl_vat")
    require_amount(data.amount_excl_vat.amount, field="amount_excl_vat")
    require_amount(data.vat_amount.amount, field="vat_amount", allow_zero=True)
    for line in data.lines:
        require_amount(line.amount.amount, field="lines")
    total = sum((line.amount.amount for line in data.lines), Decimal("0"))
    if total != data.amount_excl_vat.amount:
        raise InvoiceDoesNotAddUp(field="lines", lines=f"{total:f}", total=f"{data.amount_excl_vat.amount:f}")
    with write_transaction(session):
        enterprise = exporting_firm(session, actor, data.enterprise_id)
        method = method_of(session, enterprise)
        expected = KIND_OF_METHOD.get(method)
        kind = data.kind or expected or InvoiceKind.PURCHASE
        if expected is not None and kind != expected:
            raise InvoiceKindWrong(field="kind", method=method.value, expected=expected.value, kind=kind.value)
        existing = session.scalar(
            select(VatInvoice).where(VatInvoice.enterprise_id == enterprise.id, VatInvoice.number == data.number)
        )
        if existing is not None:
            view = _view(session, existing)
            if _same(view, data, kind):
                return view, False
            raise InvoiceNumberTaken(field="number", number=data.number)
        invoice = VatInvoice(
            enterprise_id=enterprise.id,
            kind=kind.value,
            number=data.number,
            issued_on=data.issued_on,
            seller_name=data.seller_name,
            amount_excl_vat=data.amount_excl_vat.amount,
            vat_amount=data.vat_amount.amount,
            recorded_by=actor.user_id,
        )
        session.add(invoice)
        session.flush()
        for number, line in enumerate(data.lines, start=1):
            session.add(
                VatInvoiceLine(
                    invoice_id=invoice.id,
                    enterprise_id=enterprise.id,
                    line_no=number,
                    hs_code=line.hs_code,
                    quantity=line.quantity,
                    amount=line.amount.amount,
                )
            )
        audit.record(
            session,
            actor=actor,
            entity="vat_invoice",
            entity_id=invoice.id,
            action="recorded",
            changes={"number": data.number, "kind": kind.value, "amount_excl_vat": f"{data.amount_excl_vat.amount:f}"},
        )
        session.flush()
        return _view(session, invoice), True


def _same(view: InvoiceView, data: InvoiceCreate, kind: InvoiceKind) -> bool:
    invoice = view.invoice
    return (
        invoice.kind == kind.value
        and invoice.issued_on == data.issued_on
        and invoice.amount_excl_vat == data.amount_excl_vat.amount
        and invoice.vat_amount == data.vat_amount.amount
        and [(line.hs_code, line.quantity, line.amount) for line in view.lines]
        == [(line.hs_code, line.quantity, line.amount.amount) for line in data.lines]
    )


def _view(session: Session, invoice: VatInvoice) -> InvoiceView:
    lines = session.scalars(
        select(VatInvoiceLine).where(VatInvoiceLine.invoice_id == invoice.id).order_by(VatInvoiceLine.line_no)
    )
    return InvoiceView(invoice=invoice, lines=list(lines))


def get_invoice(session: Session, *, actor: Actor, invoice_id: int) -> InvoiceView:
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    invoice = session.get(VatInvoice, invoice_id)
    if invoice is None:
        raise NotFound()
    require_reachable_firm(session, actor, invoice.enterprise_id)
    return _view(session, invoice)


def list_invoices(
    session: Session, *, actor: Actor, enterprise_id: int | None, limit: int, after: int | None
) -> tuple[Page, dict[int, list[VatInvoiceLine]]]:
    """Invoices, oldest first (a firm's staff see their firm's), with their lines."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    statement = select(VatInvoice)
    statement = within_reach(statement, actor, VatInvoice.enterprise_id)
    if enterprise_id is not None:
        statement = statement.where(VatInvoice.enterprise_id == enterprise_id)
    page = fetch_page(session, statement, id_column=VatInvoice.id, limit=limit, after=after)
    lines: dict[int, list[VatInvoiceLine]] = defaultdict(list)
    if page.items:
        for line in session.scalars(
            select(VatInvoiceLine)
            .where(among(session, VatInvoiceLine.invoice_id, [invoice.id for invoice in page.items]))
            .order_by(VatInvoiceLine.invoice_id, VatInvoiceLine.line_no)
        ):
            lines[line.invoice_id].append(line)
    return page, lines


# Matching -----------------------------------------------------------------------------------------


@dataclass(slots=True)
class _OpenLine:
    id: int
    quantity: int
    amount: Decimal
    original: int
    matched_quantity: int
    matched_amount: Decimal


def matched_quantities(session: Session, declaration_line_ids: list[int]) -> dict[int, int]:
    """How much of each declaration line invoices already cover."""
    covered: dict[int, int] = {}
    for chunk in in_chunks(declaration_line_ids):
        rows = session.execute(
            select(InvoiceMatch.declaration_line_id, func.sum(InvoiceMatch.quantity))
            .where(among(session, InvoiceMatch.declaration_line_id, chunk))
            .group_by(InvoiceMatch.declaration_line_id)
        )
        covered.update({line_id: int(quantity) for line_id, quantity in rows})
    return covered


def _open_invoice_lines(session: Session, firms: dict[int, InvoiceKind]) -> dict[tuple[int, str], list[_OpenLine]]:
    """The firms' invoice lines with quantity left, of the kind each firm files, oldest first."""
    table = VatInvoiceLine.__table__
    rows = session.execute(
        select(
            table.c.id,
            table.c.enterprise_id,
            table.c.hs_code,
            table.c.quantity,
            table.c.amount,
            table.c.matched_quantity,
            table.c.matched_amount,
            VatInvoice.kind,
        )
        .join(VatInvoice, VatInvoice.id == table.c.invoice_id)
        .where(among(session, table.c.enterprise_id, sorted(firms)), table.c.matched_quantity < table.c.quantity)
        .order_by(VatInvoice.issued_on, VatInvoice.id, table.c.line_no)
    )
    queues: dict[tuple[int, str], list[_OpenLine]] = defaultdict(list)
    for line_id, firm, hs_code, quantity, amount, matched, matched_amount, kind in rows:
        if kind == firms[firm].value:
            queues[(firm, hs_code)].append(_OpenLine(line_id, quantity, amount, matched, matched, matched_amount))
    return queues


def match_invoices(session: Session, *, firms: dict[int, InvoiceKind], lines: Iterable[DeclaredLine]) -> int:
    """Match the firms' open invoice lines (of the kind each files) to their declaration lines; returns the
    number of new matches. Runs in the caller's transaction, which holds the firms' rows."""
    wanted: dict[tuple[int, str], list[DeclaredLine]] = defaultdict(list)
    for line in sorted(lines, key=lambda item: (item.export_date, item.declaration_id, item.line_no)):
        if line.enterprise_id in firms and line.rebate_eligible and line.cleared:
            wanted[(line.enterprise_id, line.hs_code)].append(line)
    if not wanted:
        return 0
    covered = matched_quantities(session, [line.line_id for group in wanted.values() for line in group])
    queues = _open_invoice_lines(session, firms)
    touched: dict[int, _OpenLine] = {}
    matches: list[dict] = []
    now = utcnow()
    for (firm, hs_code), group in wanted.items():
        queue = queues.get((firm, hs_code), [])
        position = 0
        for line in group:
            need = int(line.quantity) - covered.get(line.line_id, 0)
            while need > 0 and position < len(queue):
                open_line = queue[position]
                take = min(need, open_line.quantity - open_line.matched_quantity)
                amount = share_of(open_line.amount, take, open_line.quantity, before=open_line.matched_quantity)
                matches.append(
                    {
                        "invoice_line_id": open_line.id,
                        "declaration_line_id": line.line_id,
                        "enterprise_id": firm,
                        "quantity": take,
                        "amount": amount,
                        "matched_at": now,
                    }
                )
                open_line.matched_quantity += take
                open_line.matched_amount += amount
                touched[open_line.id] = open_line
                need -= take
                if open_line.matched_quantity == open_line.quantity:
                    position += 1
    if not matches:
        return 0
    bulk_insert(session, InvoiceMatch.__table__, matches)
    table = VatInvoiceLine.__table__
    session.execute(
        update(table)
        .where(table.c.id == bindparam("line_id"), table.c.matched_quantity == bindparam("was"))
        .values(matched_quantity=bindparam("now_quantity"), matched_amount=bindparam("now_amount")),
        [
            {
                "line_id": line.id,
                "was": line.original,
                "now_quantity": line.matched_quantity,
                "now_amount": line.matched_amount,
            }
            for line in touched.values()
        ],
    )
    return len(matches)
