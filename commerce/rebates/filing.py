"""Rebate claims once computed: reading them with what each still needs and how near its
deadline is, filing them with the tax office, and recording the refunds paid.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.permissions import require_reachable_firm, within_reach
from commerce.customs import calendar
from commerce.db import row_for_update, utcnow, write_transaction
from commerce.errors import N_, NotFound
from commerce.pagination import Page, fetch_page
from commerce.rebates import arithmetic
from commerce.rebates.errors import (
    ClaimIncomplete,
    ClaimNotDraft,
    ClaimNotFiled,
    NotCny,
    RefundDiffers,
    RefundTooLarge,
)
from commerce.rebates.models import ClaimStatus, RebateClaim, RebateClaimLine, RebateRefund
from commerce.rebates.shapes import RefundInput
from commerce.sql import among, exact_sum

DEADLINE_SOON_DAYS = 30


WARNINGS = {
    "deadline_passed": N_("The claim was due by {due_date}; the deadline has passed."),
    "deadline_soon": N_("The claim is due by {due_date}."),
}


@dataclass(frozen=True, slots=True)
class ClaimView:
    claim: RebateClaim
    lines: list[RebateClaimLine]
    warnings: list[tuple[str, dict[str, str]]]


def claim_warnings(claim: RebateClaim, now: datetime | None = None) -> list[tuple[str, dict[str, str]]]:
    """The deadline, when a claim not yet filed is near it or past it."""
    if claim.status != ClaimStatus.DRAFT:
        return []
    today = calendar.china_today(now or utcnow())
    params = {"due_date": claim.due_date.isoformat()}
    if today > claim.due_date:
        return [("deadline_passed", params)]
    if (claim.due_date - today).days <= DEADLINE_SOON_DAYS:
        return [("deadline_soon", params)]
    return []


def _visible_claim(session: Session, actor: Actor, claim_id: int) -> RebateClaim:
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    claim = session.get(RebateClaim, claim_id)
    if claim is None:
        raise NotFound()
    require_reachable_firm(session, actor, claim.enterprise_id)
    return claim


def get_claim(session: Session, *, actor: Actor, claim_id: int, now: datetime | None = None) -> ClaimView:
    claim = _visible_claim(session, actor, claim_id)
    lines = session.scalars(
        select(RebateClaimLine).where(RebateClaimLine.claim_id == claim.id).order_by(RebateClaimLine.id)
    )
    return ClaimView(claim=claim, lines=list(lines), warnings=claim_warnings(claim, now))


def list_claims(
    session: Session,
    *,
    actor: Actor,
    period: str | None,
    enterprise_id: int | None,
    status: ClaimStatus | None,
    limit: int,
    after: int | None,
) -> Page:
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    statement = select(RebateClaim)
    statement = within_reach(statement, actor, RebateClaim.enterprise_id)
    if enterprise_id is not None:
        statement = statement.where(RebateClaim.enterprise_id == enterprise_id)
    if period is not None:
        statement = statement.where(RebateClaim.period == period)
    if status is not None:
        statement = statement.where(RebateClaim.status == status.value)
    return fetch_page(session, statement, id_column=RebateClaim.id, limit=limit, after=after)


def lines_of_claims(session: Session, claim_ids: list[int]) -> dict[int, list[RebateClaimLine]]:
    found: dict[int, list[RebateClaimLine]] = defaultdict(list)
    if claim_ids:
        for line in session.scalars(
            select(RebateClaimLine)
            .where(among(session, RebateClaimLine.claim_id, claim_ids))
            .order_by(RebateClaimLine.id)
        ):
            found[line.claim_id].append(line)
    return found


def file_claim(session: Session, *, actor: Actor, claim_id: int, now: datetime | None = None) -> RebateClaim:
    """File a draft claim with the tax office: from then on its lines are claimed and it cannot change."""
    require_role(actor, Role.TRADE_OPERATOR)
    with write_transaction(session):
        claim = _visible_claim(session, actor, claim_id)
        if claim.status != ClaimStatus.DRAFT:
            raise ClaimNotDraft(status=claim.status)
        has_lines = session.scalar(select(func.count()).where(RebateClaimLine.claim_id == claim.id))
        if not has_lines or claim.amount <= 0:
            raise ClaimIncomplete()
        moment = now or utcnow()
        changed = session.execute(
            update(RebateClaim)
            .where(RebateClaim.id == claim.id, RebateClaim.status == ClaimStatus.DRAFT.value)
            .values(status=ClaimStatus.FILED.value, filed_at=moment)
        )
        if changed.rowcount != 1:
            raise ClaimNotDraft(status=ClaimStatus.FILED.value)
        audit.record(
            session,
            actor=actor,
            entity="rebate_claim",
            entity_id=claim.id,
            action="filed",
            changes={"amount": f"{claim.amount:f}", "period": claim.period},
        )
    session.refresh(claim)
    return claim


def record_refund(
    session: Session, *, actor: Actor, claim_id: int, data: RefundInput
) -> tuple[RebateClaim, RebateRefund, bool]:
    """A refund the tax office paid on a filed claim; the same reference again is answered, not repeated."""
    require_role(actor, Role.TRADE_OPERATOR)
    if data.amount.currency != "CNY":
        raise NotCny(field="amount")
    arithmetic.require_amount(data.amount.amount, field="amount")
    with write_transaction(session):
        claim = _visible_claim(session, actor, claim_id)
        claim = row_for_update(session, RebateClaim, claim.id)
        existing = session.scalar(
            select(RebateRefund).where(RebateRefund.claim_id == claim.id, RebateRefund.reference == data.reference)
        )
        if existing is not None:
            if existing.amount == data.amount.amount:
                return claim, existing, False
            raise RefundDiffers(field="reference", reference=data.reference)
        if claim.status == ClaimStatus.DRAFT:
            raise ClaimNotFiled(status=claim.status)
        received = session.scalar(
            select(exact_sum(RebateRefund.amount, 2, or_zero=True)).where(RebateRefund.claim_id == claim.id)
        )
        total = received + data.amount.amount
        if total > claim.amount:
            raise RefundTooLarge(field="amount", total=f"{total:f}", amount=f"{claim.amount:f}")
        refund = RebateRefund(
            claim_id=claim.id,
            amount=data.amount.amount,
            received_on=data.received_on,
            reference=data.reference,
            recorded_by=actor.user_id,
        )
        session.add(refund)
        claim.refunded = total
        if total == claim.amount:
            claim.status = ClaimStatus.REFUNDED.value
        session.add(claim)
        session.flush()
        audit.record(
            session,
            actor=actor,
            entity="rebate_claim",
            entity_id=claim.id,
            action="refund_received",
            changes={"amount": f"{data.amount.amount:f}", "reference": data.reference, "refunded": f"{total:f}"},
        )
    return claim, refund, True
