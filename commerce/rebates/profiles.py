"""A firm's rebate settings: its method, the day its FOB is converted at, and the account refunds go to.

Without settings of its own, a trading firm claims by the purchase method and a manufacturer has the
platform claim for it (agency), converting at the sale date's rate.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.models import FIRM_KINDS, Enterprise, EnterpriseKind
from commerce.clusters.permissions import require_reachable_firm
from commerce.db import row_for_update, utcnow, write_transaction
from commerce.errors import NotFound
from commerce.rebates.errors import NotAnExporter
from commerce.rebates.models import FxBasis, RebateMethod, RebateProfile
from commerce.rebates.shapes import ProfileInput
from commerce.sql import among

DEFAULT_METHOD = {
    EnterpriseKind.TRADER.value: RebateMethod.PURCHASE,
    EnterpriseKind.MANUFACTURER.value: RebateMethod.AGENCY,
}


# The firms that export, and so claim rebates: the cluster's firms.
EXPORTING_KINDS = FIRM_KINDS


def exporting_firm(session: Session, actor: Actor, enterprise_id: int) -> Enterprise:
    """A manufacturer or trading firm the actor may act for (another firm's: 404)."""
    require_reachable_firm(session, actor, enterprise_id)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound()
    if enterprise.kind not in EXPORTING_KINDS:
        raise NotAnExporter(field="enterprise_id")
    return enterprise


def _default_profile(enterprise: Enterprise) -> RebateProfile:
    """The settings a firm has until it sets its own (not stored)."""
    return RebateProfile(
        enterprise_id=enterprise.id,
        method=DEFAULT_METHOD.get(enterprise.kind, RebateMethod.PURCHASE).value,
        fx_basis=FxBasis.SALE_DATE.value,
    )


def profile_of(session: Session, enterprise: Enterprise) -> RebateProfile:
    """The firm's settings, or the defaults for its kind (not stored)."""
    return session.get(RebateProfile, enterprise.id) or _default_profile(enterprise)


def profiles_of(session: Session, enterprises: Iterable[Enterprise]) -> dict[int, RebateProfile]:
    """Many firms' settings in one query, by firm id, defaults where a firm has set none."""
    by_id = {enterprise.id: enterprise for enterprise in enterprises}
    if not by_id:
        return {}
    stored = {
        profile.enterprise_id: profile
        for profile in session.scalars(
            select(RebateProfile).where(among(session, RebateProfile.enterprise_id, sorted(by_id)))
        )
    }
    return {firm_id: stored.get(firm_id) or _default_profile(firm) for firm_id, firm in by_id.items()}


def method_of(session: Session, enterprise: Enterprise) -> RebateMethod:
    return RebateMethod(profile_of(session, enterprise).method)


def refund_account(profile: RebateProfile) -> str | None:
    """Where refunds are paid, as one line, when the firm has named its account."""
    if not profile.account_no:
        return None
    return f"{profile.account_bank} {profile.account_no}" if profile.account_bank else profile.account_no


def put_profile(session: Session, *, actor: Actor, enterprise_id: int, data: ProfileInput) -> RebateProfile:
    """Set a firm's rebate settings (its own staff, or the trade operators)."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    with write_transaction(session):
        enterprise = exporting_firm(session, actor, enterprise_id)
        # The firm's row is held while its profile is read and written: two saves at once take turns.
        row_for_update(session, Enterprise, enterprise.id)
        profile = row_for_update(session, RebateProfile, enterprise.id) or RebateProfile(
            enterprise_id=enterprise.id, method=""
        )
        before = {"method": profile.method, "fx_basis": profile.fx_basis, "account_no": profile.account_no}
        profile.method = data.method.value
        profile.fx_basis = data.fx_basis.value
        profile.account_bank = data.account_bank
        profile.account_no = data.account_no
        profile.updated_at = utcnow()
        session.add(profile)
        audit.record(
            session,
            actor=actor,
            entity="rebate_profile",
            entity_id=enterprise.id,
            action="updated",
            changes={"from": before, "to": {"method": profile.method, "fx_basis": profile.fx_basis}},
        )
    return profile


def get_profile(session: Session, *, actor: Actor, enterprise_id: int) -> tuple[RebateProfile, bool]:
    """The firm's settings and whether they were set (False: the defaults)."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    enterprise = exporting_firm(session, actor, enterprise_id)
    stored = session.get(RebateProfile, enterprise.id)
    return (stored, True) if stored is not None else (profile_of(session, enterprise), False)
