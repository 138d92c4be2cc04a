"""A firm's rebate ledger: its invoices, declared exports, proceeds, claims and refunds, with balances.

The balances are sums of the same rows the entries list, so they reconcile by construction: what
is receivable is what was claimed on filed claims less the refunds received, entry by entry; what
is to repay is the rebate refunded on goods that came back afterwards (export returns).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.customs.calendar import china_today
from commerce.customs.models import (
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsStatus,
    DeclarationKind,
    ExportReturn,
)
from commerce.orders.models import OrderLine, SalesOrder
from commerce.rebates.arithmetic import share_of
from commerce.rebates.models import (
    ClaimStatus,
    ExportProceeds,
    RebateClaim,
    RebateClaimLine,
    RebateRefund,
    VatInvoice,
    VatInvoiceLine,
)
from commerce.rebates.profiles import exporting_firm
from commerce.sql import exact_sum

ZERO = Decimal("0.00")
# Entries of one day are listed in the order the money moves.
KIND_ORDER = {"invoice": 0, "declaration": 1, "proceeds": 2, "claim": 3, "refund": 4, "return": 5}


@dataclass(frozen=True, slots=True)
class Entry:
    on: date
    kind: str
    reference: str
    amount: Decimal
    currency: str
    receivable: Decimal


@dataclass(frozen=True, slots=True)
class Ledger:
    enterprise_id: int
    invoiced: Decimal
    invoice_matched: Decimal
    declared_fob: dict[str, Decimal]
    proceeds_due: dict[str, Decimal]
    proceeds_received: dict[str, Decimal]
    claimed: Decimal
    refunded: Decimal
    carried_over: Decimal
    to_repay: Decimal
    entries: list[Entry]

    @property
    def invoice_unmatched(self) -> Decimal:
        return self.invoiced - self.invoice_matched

    @property
    def receivable(self) -> Decimal:
        return self.claimed - self.refunded


def firm_ledger(session: Session, *, actor: Actor, enterprise_id: int) -> Ledger:
    """The firm's ledger (its own staff, or the trade operators)."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    firm = exporting_firm(session, actor, enterprise_id)
    movements: list[tuple[date, str, str, Decimal, str]] = []

    invoiced = ZERO
    for issued_on, number, amount in session.execute(
        select(VatInvoice.issued_on, VatInvoice.number, VatInvoice.amount_excl_vat).where(
            VatInvoice.enterprise_id == firm.id
        )
    ):
        invoiced += amount
        movements.append((issued_on, "invoice", number, amount, "CNY"))
    invoice_matched = session.scalar(
        select(exact_sum(VatInvoiceLine.matched_amount, 2, or_zero=True)).where(VatInvoiceLine.enterprise_id == firm.id)
    )

    declared: dict[str, Decimal] = defaultdict(lambda: ZERO)
    value = exact_sum(CustomsDeclarationLine.total_price, 5)
    for _declaration, cop_no, entry_id, cleared_at, currency, total in session.execute(
        select(
            CustomsDeclaration.id,
            CustomsDeclaration.cop_no,
            CustomsDeclaration.entry_id,
            CustomsDeclaration.cleared_at,
            CustomsDeclarationLine.currency,
            value,
        )
        .join(CustomsDeclarationLine, CustomsDeclarationLine.declaration_id == CustomsDeclaration.id)
        .where(
            CustomsDeclaration.owner_enterprise_id == firm.id,
            CustomsDeclaration.kind == DeclarationKind.DECLARATION.value,
            CustomsDeclaration.status == CustomsStatus.CLEARED.value,
            CustomsDeclaration.rebate_eligible.is_(True),
        )
        .group_by(
            CustomsDeclaration.id,
            CustomsDeclaration.cop_no,
            CustomsDeclaration.entry_id,
            CustomsDeclaration.cleared_at,
            CustomsDeclarationLine.currency,
        )
    ):
        declared[currency] += total
        movements.append((china_today(cleared_at), "declaration", entry_id or cop_no, total, currency))

    due: dict[str, Decimal] = defaultdict(lambda: ZERO)
    firm_orders = select(OrderLine.order_id).where(OrderLine.enterprise_id == firm.id).distinct().scalar_subquery()
    for currency, total in session.execute(
        select(SalesOrder.currency, exact_sum(SalesOrder.total_amount))
        .where(SalesOrder.id.in_(firm_orders), SalesOrder.customs_mode.is_not(None), SalesOrder.status != "cancelled")
        .group_by(SalesOrder.currency)
    ):
        due[currency] += total
    received: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for received_on, reference, amount, currency in session.execute(
        select(
            ExportProceeds.received_on, ExportProceeds.reference, ExportProceeds.amount, ExportProceeds.currency
        ).where(ExportProceeds.order_id.in_(firm_orders))
    ):
        received[currency] += amount
        movements.append((received_on, "proceeds", reference, amount, currency))

    claimed = refunded = carried_over = ZERO
    filed = list(
        session.scalars(
            select(RebateClaim)
            .where(RebateClaim.enterprise_id == firm.id, RebateClaim.status != ClaimStatus.DRAFT.value)
            .order_by(RebateClaim.period, RebateClaim.id)
        )
    )
    for claim in filed:
        claimed += claim.amount
        carried_over = claim.carried_over if claim.method == "exempt_credit_refund" else carried_over
        movements.append((china_today(claim.filed_at), "claim", f"{claim.period}#{claim.id}", claim.amount, "CNY"))
    for received_on, reference, amount in session.execute(
        select(RebateRefund.received_on, RebateRefund.reference, RebateRefund.amount)
        .join(RebateClaim, RebateClaim.id == RebateRefund.claim_id)
        .where(RebateClaim.enterprise_id == firm.id)
    ):
        refunded += amount
        movements.append((received_on, "refund", reference, amount, "CNY"))

    to_repay = ZERO
    for returned_on, reference, repay in repayments(session, firm.id):
        to_repay += repay
        movements.append((returned_on, "return", reference, repay, "CNY"))

    movements.sort(key=lambda item: (item[0], KIND_ORDER[item[1]], item[2]))
    receivable = ZERO
    entries = []
    for on, kind, reference, amount, currency in movements:
        if kind == "claim":
            receivable += amount
        elif kind == "refund":
            receivable -= amount
        entries.append(Entry(on, kind, reference, amount, currency, receivable))
    return Ledger(
        enterprise_id=firm.id,
        invoiced=invoiced,
        invoice_matched=invoice_matched,
        declared_fob=dict(declared),
        proceeds_due=dict(due),
        proceeds_received=dict(received),
        claimed=claimed,
        refunded=refunded,
        carried_over=carried_over,
        to_repay=to_repay,
        entries=entries,
    )


def repayments(session: Session, enterprise_id: int) -> list[tuple[date, str, Decimal]]:
    """The rebates a firm owes back for its export returns: (day, return's reference, amount).

    Goods that came back before a claim was computed were left out of it; goods that came back
    after it was computed, once the claim is refunded, take back the rebate per unit its lines
    were refunded, unit by unit in the order the claims were made, never more units than a claim
    holds; to the fen, the parts of a claim adding up to its rebate."""
    returns = session.execute(
        select(
            ExportReturn.returned_on,
            ExportReturn.reference,
            ExportReturn.quantity,
            ExportReturn.declaration_line_id,
            ExportReturn.recorded_at,
        )
        .where(ExportReturn.enterprise_id == enterprise_id)
        .order_by(ExportReturn.returned_on, ExportReturn.id)
    ).all()
    if not returns:
        return []
    claimed: dict[int, list[list]] = defaultdict(list)
    rows = session.execute(
        select(
            RebateClaimLine.declaration_line_id,
            RebateClaim.computed_at,
            exact_sum(RebateClaimLine.quantity, 5),
            exact_sum(RebateClaimLine.amount, 2),
        )
        .join(RebateClaim, RebateClaim.id == RebateClaimLine.claim_id)
        .where(
            RebateClaim.status == ClaimStatus.REFUNDED.value,
            RebateClaimLine.declaration_line_id.in_(sorted({row.declaration_line_id for row in returns})),
        )
        .group_by(RebateClaimLine.declaration_line_id, RebateClaim.id, RebateClaim.computed_at)
        .order_by(RebateClaim.id)
    )
    for line_id, computed_at, quantity, amount in rows:
        # The claim's lines of one declaration line: when computed, units, rebate, units not yet taken back.
        claimed[line_id].append([computed_at, quantity, amount, quantity])
    owed = []
    for returned_on, reference, quantity, line_id, recorded_at in returns:
        repay, left = ZERO, quantity
        for claim in claimed[line_id]:
            computed_at, units, amount, open_units = claim
            if computed_at >= recorded_at or not open_units or not left:
                continue
            taken = min(left, open_units)
            # Shared out cumulatively: every unit of a claim taken back gives back its whole rebate.
            repay += share_of(amount, taken, units, before=units - open_units)
            claim[3] -= taken
            left -= taken
        if repay:
            owed.append((returned_on, reference, repay))
    return owed
