"""Rebate claims per firm and period, computed from the period's declared exports (filing and
refunds are in ``filing``).

Computing a period replaces the firms' draft claims with fresh ones; what a filed claim holds is
never claimed again (unique constraints on the claimed match or line say so). Each claim lists what
is missing for the rest (clearance, invoices, proceeds, rates, VAT figures) instead of guessing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.models import Enterprise
from commerce.clusters.permissions import within_reach
from commerce.customs import calendar
from commerce.customs.models import CustomsPlatform
from commerce.db import utcnow, write_transaction
from commerce.errors import N_
from commerce.rebates import arithmetic, exports, fx
from commerce.rebates.exports import DeclaredLine
from commerce.rebates.invoices import KIND_OF_METHOD, match_invoices
from commerce.rebates.models import (
    ClaimStatus,
    InvoiceMatch,
    RebateClaim,
    RebateClaimLine,
    RebateMethod,
    RebateProfile,
    VatReturn,
)
from commerce.rebates.profiles import EXPORTING_KINDS, exporting_firm, profiles_of, refund_account
from commerce.rebates.rates import RateTable
from commerce.sql import among, bulk_insert

# Claims are due by the April VAT filing period of the year after export: its deadline is the 15th.
DEADLINE_MONTH, DEADLINE_DAY = 4, 15


MISSING = {
    "clearance": N_("Declaration {declaration_id} line {line_no} is not cleared by customs yet."),
    "invoice": N_("Declaration {declaration_id} line {line_no}: {quantity} units have no matching invoice."),
    "export_proceeds": N_("Order {order_id} has no export proceeds recorded in full."),
    "rebate_rate": N_("No rebate rate for HS code {hs_code} on {day}."),
    "exchange_rate": N_("No central parity for {currency} on {day}."),
    "vat_return": N_("The period's domestic output VAT and input VAT are not recorded."),
    "rebate_account": N_("The firm has not named the rebate account refunds are paid into."),
}


def due_date(period: str, *, holidays=(), working_weekend_days=()) -> date:
    """The claim deadline of a period's exports: the April filing deadline of the next year, on a working day."""
    year, _ = calendar.parse_period(period)
    due = date(year + 1, DEADLINE_MONTH, DEADLINE_DAY)
    while not calendar.is_working_day(due, holidays=holidays, working_weekend_days=working_weekend_days):
        due += timedelta(days=1)
    return due


def _missing(kind: str, **params) -> dict:
    return {"kind": kind, "params": {key: str(value) for key, value in params.items()}}


def _platforms(session: Session) -> dict[int, CustomsPlatform]:
    return {platform.cluster_id: platform for platform in session.scalars(select(CustomsPlatform))}


def _lock_firms(session: Session, firm_ids: list[int]) -> None:
    """Hold the firms' rows, in key order, so two computations of one firm's claims take turns."""
    if firm_ids:
        session.execute(
            select(Enterprise.id)
            .where(among(session, Enterprise.id, firm_ids))
            .order_by(Enterprise.id)
            .with_for_update()
        )


def compute_claims(
    session: Session, *, actor: Actor, period: str, enterprise_id: int | None = None, now: datetime | None = None
) -> list[int]:
    """Claims for the period's declared exports of one firm or of every exporting firm; returns their ids."""
    require_role(actor, Role.TRADE_OPERATOR)
    calendar.parse_period(period)
    with write_transaction(session):
        if enterprise_id is not None:
            enterprise = exporting_firm(session, actor, enterprise_id)
            firms = {enterprise.id: enterprise}
        else:
            firms = {}
        lines = exports.declared_lines(session, period=period, enterprise_ids=sorted(firms) if firms else None)
        if enterprise_id is None:
            owners = sorted({line.enterprise_id for line in lines})
            statement = within_reach(
                select(Enterprise).where(among(session, Enterprise.id, owners)), actor, Enterprise.id
            )
            firms = {firm.id: firm for firm in session.scalars(statement) if firm.kind in EXPORTING_KINDS}
        _lock_firms(session, sorted(firms))
        drafts = (
            RebateClaim.period == period,
            RebateClaim.status == ClaimStatus.DRAFT.value,
            among(session, RebateClaim.enterprise_id, sorted(firms) or [0]),
        )
        session.execute(
            delete(RebateClaimLine).where(RebateClaimLine.claim_id.in_(select(RebateClaim.id).where(*drafts)))
        )
        session.execute(delete(RebateClaim).where(*drafts))
        profiles = profiles_of(session, firms.values())
        invoice_kinds = {
            firm_id: KIND_OF_METHOD[RebateMethod(profile.method)]
            for firm_id, profile in profiles.items()
            if RebateMethod(profile.method) in KIND_OF_METHOD
        }
        lines = [line for line in lines if line.enterprise_id in firms]
        match_invoices(session, firms=invoice_kinds, lines=lines)
        builder = _ClaimBuilder(session, period=period, lines=lines, profiles=profiles, firms=firms, actor=actor)
        claim_ids = builder.write(now or utcnow())
        audit.record(
            session,
            actor=actor,
            entity="rebate_claim",
            entity_id=0,
            action="computed",
            changes={"period": period, "firms": len(firms), "claims": len(claim_ids)},
        )
    return claim_ids


class _ClaimBuilder:
    """Everything one computation needs, loaded in a few queries, then the claims built in memory."""

    def __init__(self, session: Session, *, period, lines: list[DeclaredLine], profiles, firms, actor: Actor):
        self.session = session
        self.period = period
        self.lines = lines
        self.profiles: dict[int, RebateProfile] = profiles
        self.firms: dict[int, Enterprise] = firms
        self.actor = actor
        self.rates = RateTable.load(session, {line.hs_code for line in lines})
        self.unpaid = exports.unpaid_orders(session, {order for line in lines for order in line.order_ids})
        line_ids = [line.line_id for line in lines]
        self.claimed_lines, self.claimed_matches = self._claimed(line_ids)
        self.matches = self._matches(line_ids)
        first_day = calendar.first_day(period)
        self.parity = fx.ParityTable.load(
            session,
            {line.currency for line in lines},
            first_day,
            max((line.export_date for line in lines), default=first_day),
        )
        self.platforms = _platforms(session)

    def _claimed(self, line_ids: list[int]) -> tuple[set[int], set[int]]:
        lines: set[int] = set()
        matches: set[int] = set()
        for chunk in exports.in_chunks(line_ids):
            rows = self.session.execute(
                select(RebateClaimLine.declaration_line_id, RebateClaimLine.invoice_match_id).where(
                    among(self.session, RebateClaimLine.declaration_line_id, chunk)
                )
            )
            for line_id, match_id in rows:
                if match_id is None:
                    lines.add(line_id)
                else:
                    matches.add(match_id)
        return lines, matches

    def _matches(self, line_ids: list[int]) -> dict[int, list[tuple[int, int, Decimal]]]:
        found: dict[int, list[tuple[int, int, Decimal]]] = defaultdict(list)
        for chunk in exports.in_chunks(line_ids):
            rows = self.session.execute(
                select(InvoiceMatch.declaration_line_id, InvoiceMatch.id, InvoiceMatch.quantity, InvoiceMatch.amount)
                .where(among(self.session, InvoiceMatch.declaration_line_id, chunk))
                .order_by(InvoiceMatch.id)
            )
            for line_id, match_id, quantity, amount in rows:
                found[line_id].append((match_id, quantity, amount))
        return found

    def write(self, now: datetime) -> list[int]:
        claims: list[dict] = []
        claim_lines: list[list[dict]] = []
        for firm_id, lines in sorted(exports.lines_by_firm(self.lines).items()):
            built = self._claim(firm_id, lines, now)
            if built is not None:
                claims.append(built[0])
                claim_lines.append(built[1])
        ids = bulk_insert(self.session, RebateClaim.__table__, claims, returning_ids=True)
        rows = [
            {**line, "claim_id": claim_id} for claim_id, lines in zip(ids, claim_lines, strict=True) for line in lines
        ]
        bulk_insert(self.session, RebateClaimLine.__table__, rows)
        return ids

    def _claim(self, firm_id: int, lines: list[DeclaredLine], now: datetime) -> tuple[dict, list[dict]] | None:
        profile = self.profiles[firm_id]
        method = RebateMethod(profile.method)
        missing: list[dict] = []
        rows: list[dict] = []
        unpaid_reported: set[int] = set()
        for line in lines:
            if not line.rebate_eligible:
                continue  # market procurement (1039): exempt, no rebate
            if not line.cleared:
                missing.append(_missing("clearance", declaration_id=line.declaration_id, line_no=line.line_no))
                continue
            rate = self.rates.on(line.hs_code, line.export_date)
            if rate is None:
                missing.append(_missing("rebate_rate", hs_code=line.hs_code, day=line.export_date.isoformat()))
                continue
            unpaid = sorted(line.order_ids & self.unpaid)
            if unpaid:
                for order_id in unpaid:
                    if order_id not in unpaid_reported:
                        unpaid_reported.add(order_id)
                        missing.append(_missing("export_proceeds", order_id=order_id))
                continue
            if method == RebateMethod.EXEMPT_CREDIT_REFUND:
                row = self._fob_row(line, rate, profile, missing)
                if row is not None:
                    rows.append(row)
            else:
                rows += self._invoice_rows(line, rate, missing)
        if not rows and not missing:
            return None
        return self._totals(firm_id, profile, method, rows, missing, now), rows

    def _base_row(self, line: DeclaredLine, rate) -> dict:
        return {
            "declaration_id": line.declaration_id,
            "declaration_line_id": line.line_id,
            "line_no": line.line_no,
            "hs_code": line.hs_code,
            "export_date": line.export_date,
            "fob_currency": line.currency,
            "rate": rate.rate,
            "vat_rate": rate.vat_rate,
        }

    def _fob_row(self, line: DeclaredLine, rate, profile: RebateProfile, missing: list[dict]) -> dict | None:
        if line.line_id in self.claimed_lines:
            return None
        day = fx.rebate_day(line.export_date, profile.fx_basis)
        cny_per_unit = self.parity.on(line.currency, day)
        if cny_per_unit is None:
            missing.append(_missing("exchange_rate", currency=line.currency, day=day.isoformat()))
            return None
        basis = arithmetic.fen(line.total_price * cny_per_unit)
        return {
            **self._base_row(line, rate),
            "invoice_match_id": None,
            "quantity": line.quantity,
            "fob": line.total_price,
            "fx_rate": cny_per_unit,
            "basis": basis,
            "amount": arithmetic.fen(basis * rate.rate),
        }

    def _invoice_rows(self, line: DeclaredLine, rate, missing: list[dict]) -> list[dict]:
        rows = []
        covered = 0
        for match_id, quantity, amount in self.matches.get(line.line_id, []):
            covered += quantity
            if match_id in self.claimed_matches:
                continue
            rows.append(
                {
                    **self._base_row(line, rate),
                    "invoice_match_id": match_id,
                    "quantity": Decimal(quantity),
                    "fob": arithmetic.fen(line.total_price * quantity / line.quantity),
                    "fx_rate": None,
                    "basis": amount,
                    "amount": arithmetic.invoice_refund(amount, rate.rate),
                }
            )
        if covered < line.quantity:
            missing.append(
                _missing(
                    "invoice",
                    declaration_id=line.declaration_id,
                    line_no=line.line_no,
                    quantity=format((line.quantity - covered).normalize(), "f"),
                )
            )
        return rows

    def _carried_in(self, firm_id: int) -> Decimal:
        latest = self.session.scalar(
            select(RebateClaim.carried_over)
            .where(
                RebateClaim.enterprise_id == firm_id,
                RebateClaim.method == RebateMethod.EXEMPT_CREDIT_REFUND.value,
                RebateClaim.status != ClaimStatus.DRAFT.value,
                RebateClaim.period < self.period,
            )
            .order_by(RebateClaim.period.desc(), RebateClaim.id.desc())
            .limit(1)
        )
        return latest if latest is not None else arithmetic.ZERO

    def _totals(self, firm_id, profile, method, rows, missing, now) -> dict:
        firm = self.firms[firm_id]
        platform = self.platforms.get(firm.cluster_id)
        values = {
            "basis": sum((row["basis"] for row in rows), arithmetic.ZERO),
            "exempt_credit_refund": arithmetic.ZERO,
            "not_creditable": arithmetic.ZERO,
            "tax_payable": arithmetic.ZERO,
            "credited_off": arithmetic.ZERO,
            "carried_in": arithmetic.ZERO,
            "carried_over": arithmetic.ZERO,
            "amount": sum((row["amount"] for row in rows), arithmetic.ZERO),
        }
        filed_by = firm_id
        account = refund_account(profile)
        if method == RebateMethod.EXEMPT_CREDIT_REFUND:
            values["exempt_credit_refund"] = values["amount"]
            figures = self.session.get(VatReturn, (firm_id, self.period))
            if figures is None:
                missing.append(_missing("vat_return"))
                values["amount"] = arithmetic.ZERO
            else:
                carried_in = self._carried_in(firm_id)
                result = arithmetic.exempt_credit_refund(
                    [
                        arithmetic.ExportLine(fob_cny=row["basis"], vat_rate=row["vat_rate"], rebate_rate=row["rate"])
                        for row in rows
                    ],
                    output_vat=figures.output_vat,
                    input_vat=figures.input_vat,
                    carried_in=carried_in,
                )
                values.update(
                    not_creditable=result.not_creditable,
                    tax_payable=result.tax_payable,
                    credited_off=result.credited_off,
                    carried_in=carried_in,
                    carried_over=result.carried_over,
                    amount=result.refund,
                )
        elif method == RebateMethod.AGENCY:
            if platform is not None:
                filed_by = platform.enterprise_id
            if account is None:
                missing.append(_missing("rebate_account"))
        return {
            "enterprise_id": firm_id,
            "period": self.period,
            "method": method.value,
            "status": ClaimStatus.DRAFT.value,
            "filed_by_enterprise_id": filed_by,
            "refund_account": account,
            **values,
            "refunded": arithmetic.ZERO,
            "missing": missing,
            "due_date": due_date(
                self.period,
                holidays=[date.fromisoformat(day) for day in platform.holidays] if platform else (),
                working_weekend_days=[date.fromisoformat(day) for day in platform.working_weekend_days]
                if platform
                else (),
            ),
            "computed_by": self.actor.user_id,
            "computed_at": now,
            "filed_at": None,
        }
