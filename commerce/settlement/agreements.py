"""Settlement agreements: recorded, listed, ended; never changed otherwise.

A statement keeps the amounts its lines were computed with, so an agreement made or ended later
never alters a settled month: it applies to what is not settled yet, on the days it is valid.
Which agreement applies to a line: for a host's commission the one on the product (in the host's
streams), else the one on the stream, else the host's own; for the platform's fee the firm's; the
latest made first where two of the same scope are valid on the day (China time) the order was placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from commerce.accounts.models import User
from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.catalog.models import Product
from commerce.clusters.errors import UnknownReference
from commerce.clusters.models import FIRM_KINDS, Enterprise
from commerce.clusters.permissions import require_reachable_cluster, within_clusters
from commerce.clusters.service import require_enterprise
from commerce.db import row_for_update, write_transaction
from commerce.errors import NotFound
from commerce.live.models import Stream
from commerce.pagination import Page, fetch_page
from commerce.settlement.errors import AgreementEndsBeforeStart
from commerce.settlement.models import Agreement, AgreementCreate, AgreementKind

# Who records a cluster's agreements: the platform's staff (and admins).
KEEPERS = (Role.TRADE_OPERATOR,)


def create_agreement(session: Session, *, actor: Actor, data: AgreementCreate) -> Agreement:
    """Record an agreement of a cluster; every party it names must exist and fit (422)."""
    require_role(actor, *KEEPERS)
    with write_transaction(session):
        require_reachable_cluster(session, actor, data.cluster_id)
        _check_parties(session, data)
        agreement = Agreement(**dict(data), created_by=actor.user_id)
        session.add(agreement)
        session.flush()
        audit.record(
            session,
            actor=actor,
            entity="settlement_agreement",
            entity_id=agreement.id,
            action="created",
            changes={"kind": data.kind.value, "rate": str(data.rate), "valid_from": data.valid_from.isoformat()},
        )
    return agreement


def _check_parties(session: Session, data: AgreementCreate) -> None:
    if data.enterprise_id is not None:
        require_enterprise(
            session, data.enterprise_id, field="enterprise_id", kinds=FIRM_KINDS, cluster_id=data.cluster_id
        )
    if data.host_user_id is not None:
        role = session.scalar(select(User.role).where(User.id == data.host_user_id))
        if role != Role.HOST:
            raise UnknownReference(field="host_user_id", entity="Host", id=data.host_user_id)
    if data.stream_id is not None:
        host = session.scalar(select(Stream.host_user_id).where(Stream.id == data.stream_id))
        if host is None or host != data.host_user_id:
            raise UnknownReference(field="stream_id", entity="Stream", id=data.stream_id)
    if data.product_id is not None:
        cluster = session.scalar(
            select(Enterprise.cluster_id)
            .join(Product, Product.enterprise_id == Enterprise.id)
            .where(Product.id == data.product_id)
        )
        if cluster != data.cluster_id:
            raise UnknownReference(field="product_id", entity="Product", id=data.product_id)


def end_agreement(session: Session, *, actor: Actor, agreement_id: int, valid_to: date) -> Agreement:
    """Set the last day an agreement applies (a new one takes over from the day after)."""
    require_role(actor, *KEEPERS)
    with write_transaction(session):
        agreement = row_for_update(session, Agreement, agreement_id)
        if agreement is None:
            raise NotFound()
        require_reachable_cluster(session, actor, agreement.cluster_id)
        if valid_to < agreement.valid_from:
            raise AgreementEndsBeforeStart(field="valid_to")
        agreement.valid_to = valid_to
        audit.record(
            session,
            actor=actor,
            entity="settlement_agreement",
            entity_id=agreement.id,
            action="ended",
            changes={"valid_to": valid_to.isoformat()},
        )
    return agreement


def list_agreements(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    kind: AgreementKind | None = None,
    cluster_id: int | None = None,
) -> Page[Agreement]:
    require_role(actor, *KEEPERS)
    statement = within_clusters(select(Agreement), actor, Agreement.cluster_id)
    if kind is not None:
        statement = statement.where(Agreement.kind == kind.value)
    if cluster_id is not None:
        statement = statement.where(Agreement.cluster_id == cluster_id)
    return fetch_page(session, statement, id_column=Agreement.id, limit=limit, after=after)


@dataclass(frozen=True, slots=True)
class Terms:
    """The agreements of one cluster, latest made first, by host and by firm: to find the one
    applying to a line without reading them all each time."""

    cluster_id: int
    by_host: dict[int, list[Agreement]]
    by_firm: dict[int, list[Agreement]]

    @classmethod
    def of_cluster(cls, session: Session, cluster_id: int) -> Terms:
        by_host: dict[int, list[Agreement]] = {}
        by_firm: dict[int, list[Agreement]] = {}
        for agreement in session.scalars(
            select(Agreement).where(Agreement.cluster_id == cluster_id).order_by(Agreement.id.desc())
        ):
            if agreement.kind == AgreementKind.HOST_COMMISSION:
                by_host.setdefault(agreement.host_user_id, []).append(agreement)
            else:
                by_firm.setdefault(agreement.enterprise_id, []).append(agreement)
        return cls(cluster_id, by_host, by_firm)

    def host_commission(self, *, host_user_id: int, stream_id: int, product_id: int, day: date) -> Agreement | None:
        """The host's commission on a product sold in one of their streams, on that day."""
        valid = [agreement for agreement in self.by_host.get(host_user_id, ()) if _valid_on(agreement, day)]
        for fits in (
            lambda agreement: agreement.product_id == product_id,
            lambda agreement: agreement.stream_id == stream_id,
            lambda agreement: agreement.product_id is None and agreement.stream_id is None,
        ):
            found = next((agreement for agreement in valid if fits(agreement)), None)
            if found is not None:
                return found
        return None

    def platform_fee(self, *, enterprise_id: int, day: date) -> Agreement | None:
        """The platform's fee on a firm's sales on that day."""
        return next((agreement for agreement in self.by_firm.get(enterprise_id, ()) if _valid_on(agreement, day)), None)


def _valid_on(agreement: Agreement, day: date) -> bool:
    return agreement.valid_from <= day and (agreement.valid_to is None or day <= agreement.valid_to)
