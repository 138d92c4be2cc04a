"""Collective trademarks and their members: admitting firms, suspending, revoking and reinstating
memberships (and what follows when a firm may no longer use the mark), their expiry, the rule of
when a mark may be used on a day, and the authorization letter.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlmodel import Session

from commerce import events
from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.errors import (
    DuplicateMembership,
    DuplicateRegistration,
    MembershipOutOfPeriod,
    MembershipRevoked,
)
from commerce.clusters.models import (
    FIRM_KINDS,
    Cluster,
    Enterprise,
    EnterpriseKind,
    Membership,
    MembershipCreate,
    MembershipStatus,
    MembershipUpdate,
    Trademark,
    TrademarkCreate,
)
from commerce.clusters.permissions import (
    require_own_enterprise,
    require_reachable_cluster,
    within_clusters,
)
from commerce.clusters.service import insert_recorded, require_enterprise, require_row
from commerce.db import row_for_update, utcnow, write_transaction
from commerce.errors import Forbidden, InvalidStatusTransition, NotFound
from commerce.pagination import Page, fetch_page

MEMBERSHIP_TRANSITIONS = {
    MembershipStatus.ACTIVE: {MembershipStatus.SUSPENDED, MembershipStatus.REVOKED, MembershipStatus.EXPIRED},
    MembershipStatus.SUSPENDED: {MembershipStatus.ACTIVE, MembershipStatus.REVOKED},
    MembershipStatus.EXPIRED: {MembershipStatus.ACTIVE, MembershipStatus.REVOKED},
    MembershipStatus.REVOKED: set(),
}


def create_trademark(session: Session, *, actor: Actor, data: TrademarkCreate) -> Trademark:
    """Register a collective trademark owned by a cluster's association (admin)."""
    require_role(actor, Role.ADMIN)
    with write_transaction(session):
        require_row(session, Cluster, data.cluster_id, field="cluster_id")
        require_enterprise(
            session,
            data.owner_enterprise_id,
            field="owner_enterprise_id",
            kinds={EnterpriseKind.ASSOCIATION},
            cluster_id=data.cluster_id,
        )
        trademark = Trademark(**data.model_dump())
        insert_recorded(
            session,
            actor,
            trademark,
            DuplicateRegistration(field="registration_no"),
            entity="trademark",
            action="created",
            changes=data.model_dump(mode="json"),
        )
    return trademark


def list_trademarks(
    session: Session, *, actor: Actor, limit: int, after: int | None, cluster_id: int | None = None
) -> Page[Trademark]:
    statement = within_clusters(select(Trademark), actor, Trademark.cluster_id)
    if cluster_id is not None:
        statement = statement.where(Trademark.cluster_id == cluster_id)
    return fetch_page(session, statement, id_column=Trademark.id, limit=limit, after=after)


def get_trademark(session: Session, *, actor: Actor, trademark_id: int) -> Trademark:
    trademark = session.get(Trademark, trademark_id)
    if trademark is None:
        raise NotFound()
    require_reachable_cluster(session, actor, trademark.cluster_id)
    return trademark


def _require_mark_owner(session: Session, actor: Actor, trademark_id: int) -> Trademark:
    """The trademark, if the actor administers it (its association's brand admin, or an admin);
    another cluster's mark is not found."""
    require_role(actor, Role.BRAND_ADMIN)
    trademark = get_trademark(session, actor=actor, trademark_id=trademark_id)
    if actor.role == Role.ADMIN:
        return trademark
    if actor.role == Role.BRAND_ADMIN and actor.enterprise_id == trademark.owner_enterprise_id:
        return trademark
    raise Forbidden()


def admit_member(session: Session, *, actor: Actor, trademark_id: int, data: MembershipCreate) -> Membership:
    """Admit a firm of the cluster to use the collective trademark under a licence."""
    with write_transaction(session):
        trademark = _require_mark_owner(session, actor, trademark_id)
        require_enterprise(
            session, data.enterprise_id, field="enterprise_id", kinds=FIRM_KINDS, cluster_id=trademark.cluster_id
        )
        membership = Membership(trademark_id=trademark.id, **data.model_dump())
        insert_recorded(
            session,
            actor,
            membership,
            DuplicateMembership(field="enterprise_id"),
            entity="membership",
            action="admitted",
            changes=data.model_dump(mode="json"),
        )
    return membership


def list_memberships(
    session: Session,
    *,
    actor: Actor,
    trademark_id: int,
    limit: int,
    after: int | None,
    status: MembershipStatus | None = None,
) -> Page[Membership]:
    """Memberships of a mark: all for its administrators, a firm's own for its staff."""
    statement = select(Membership).where(Membership.trademark_id == trademark_id)
    if actor.role == Role.SME:
        get_trademark(session, actor=actor, trademark_id=trademark_id)
        statement = statement.where(Membership.enterprise_id == actor.enterprise_id)
    else:
        _require_mark_owner(session, actor, trademark_id)
    if status is not None:
        statement = statement.where(Membership.status == status.value)
    return fetch_page(session, statement, id_column=Membership.id, limit=limit, after=after)


def get_membership(session: Session, *, actor: Actor, trademark_id: int, membership_id: int) -> Membership:
    """One membership, for the mark's administrators and the member firm's staff."""
    membership = session.get(Membership, membership_id)
    if membership is None or membership.trademark_id != trademark_id:
        raise NotFound()
    if actor.role == Role.SME:
        require_own_enterprise(actor, membership.enterprise_id)
    else:
        _require_mark_owner(session, actor, trademark_id)
    return membership


def _publish_usability_change(session: Session, actor: Actor, membership: Membership, was_usable: bool, today: date):
    usable = membership.is_usable_on(today)
    if was_usable and not usable:
        events.publish(
            session,
            events.MembershipLapsed(
                membership_id=membership.id,
                trademark_id=membership.trademark_id,
                enterprise_id=membership.enterprise_id,
                status=membership.status,
                at=utcnow(),
            ),
            actor=actor,
        )
    elif usable and not was_usable:
        events.publish(
            session,
            events.MembershipReinstated(
                membership_id=membership.id,
                trademark_id=membership.trademark_id,
                enterprise_id=membership.enterprise_id,
                at=utcnow(),
            ),
            actor=actor,
        )


def change_membership(
    session: Session,
    *,
    actor: Actor,
    trademark_id: int,
    membership_id: int,
    data: MembershipUpdate,
    today: date | None = None,
) -> Membership:
    """Suspend, reinstate, revoke or extend a membership; the mark follows at once."""
    today = today or utcnow().date()
    with write_transaction(session):
        _require_mark_owner(session, actor, trademark_id)
        membership = row_for_update(session, Membership, membership_id)
        if membership is None or membership.trademark_id != trademark_id:
            raise NotFound()
        current = MembershipStatus(membership.status)
        if current == MembershipStatus.REVOKED:
            raise MembershipRevoked()
        was_usable = membership.is_usable_on(today)
        before = {"status": membership.status, "valid_to": membership.valid_to.isoformat()}
        if data.valid_to is not None:
            if data.valid_to < membership.valid_from:
                raise MembershipOutOfPeriod(field="valid_to")
            membership.valid_to = data.valid_to
        target = data.status or current
        if target != current:
            if target not in MEMBERSHIP_TRANSITIONS[current]:
                raise InvalidStatusTransition(field="status", current=current.value, target=target.value)
            membership.status = target.value
            membership.status_reason = data.reason
            membership.status_changed_at = utcnow()
        if membership.status == MembershipStatus.ACTIVE and today > membership.valid_to:
            raise MembershipOutOfPeriod(field="status")
        session.add(membership)
        after = {"status": membership.status, "valid_to": membership.valid_to.isoformat()}
        diff = audit.changed_fields(before, after)
        if diff:
            if data.reason:
                diff["reason"] = data.reason
            audit.record(
                session, actor=actor, entity="membership", entity_id=membership.id, action="changed", changes=diff
            )
        _publish_usability_change(session, actor, membership, was_usable, today)
    return membership


def expire_memberships(session: Session, *, today: date | None = None) -> int:
    """Mark active memberships past their validity as expired (scheduled daily); returns how many."""
    today = today or utcnow().date()
    actor = Actor.system()
    with write_transaction(session):
        lapsed = list(
            session.scalars(
                select(Membership).where(Membership.status == MembershipStatus.ACTIVE, Membership.valid_to < today)
            )
        )
        for membership in lapsed:
            membership.status = MembershipStatus.EXPIRED.value
            membership.status_changed_at = utcnow()
            session.add(membership)
            audit.record(
                session,
                actor=actor,
                entity="membership",
                entity_id=membership.id,
                action="expired",
                changes={"status": {"from": "active", "to": "expired"}},
            )
            events.publish(
                session,
                events.MembershipLapsed(
                    membership_id=membership.id,
                    trademark_id=membership.trademark_id,
                    enterprise_id=membership.enterprise_id,
                    status=membership.status,
                    at=utcnow(),
                ),
                actor=actor,
            )
    return len(lapsed)


def usable_membership(day) -> ColumnElement[bool]:
    """The rule for a membership whose mark may be used on ``day`` (a date or a bound parameter)."""
    return and_(
        Membership.status == MembershipStatus.ACTIVE,
        Membership.valid_from <= day,
        Membership.valid_to >= day,
    )


def usable_trademarks(session: Session, *, enterprise_ids: set[int], day: date) -> set[tuple[int, int]]:
    """The (enterprise, trademark) pairs whose mark the firm may use on a given day."""
    if not enterprise_ids:
        return set()
    rows = session.execute(
        select(Membership.enterprise_id, Membership.trademark_id).where(
            Membership.enterprise_id.in_(enterprise_ids), usable_membership(day)
        )
    )
    return {(row.enterprise_id, row.trademark_id) for row in rows}


def authorization_letter(
    session: Session, *, actor: Actor, trademark_id: int, membership_id: int, today: date | None = None
) -> dict:
    """The facts a letter of authorisation states: owner, licensee, mark, goods and period."""
    membership = get_membership(session, actor=actor, trademark_id=trademark_id, membership_id=membership_id)
    trademark = session.get(Trademark, trademark_id)
    owner = session.get(Enterprise, trademark.owner_enterprise_id)
    licensee = session.get(Enterprise, membership.enterprise_id)
    cluster = session.get(Cluster, trademark.cluster_id)
    today = today or utcnow().date()
    return {
        "trademark": trademark,
        "owner": owner,
        "licensee": licensee,
        "membership": membership,
        "cluster": cluster,
        "issued_on": today,
        "valid": membership.is_usable_on(today),
    }
