"""The firms of a cluster: manufacturers, traders, the association that owns the mark and the
foreign-trade service platform, each known by its unified social credit code.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.errors import (
    DuplicateUscc,
)
from commerce.clusters.models import (
    Cluster,
    Enterprise,
    EnterpriseCreate,
    EnterpriseKind,
    EnterpriseUpdate,
)
from commerce.clusters.permissions import (
    require_own_enterprise,
    require_reachable_firm,
    within_reach,
)
from commerce.clusters.service import insert_recorded, require_row
from commerce.db import row_for_update, write_transaction
from commerce.errors import Forbidden, NotFound
from commerce.pagination import Page, fetch_page


def create_enterprise(session: Session, *, actor: Actor, data: EnterpriseCreate) -> Enterprise:
    """Register a firm, association or service platform in a cluster (admin)."""
    require_role(actor, Role.ADMIN)
    with write_transaction(session):
        require_row(session, Cluster, data.cluster_id, field="cluster_id")
        enterprise = Enterprise(**data.model_dump(mode="json"))
        insert_recorded(
            session,
            actor,
            enterprise,
            DuplicateUscc(field="uscc"),
            entity="enterprise",
            action="created",
            changes=data.model_dump(mode="json"),
        )
    return enterprise


def list_enterprises(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    cluster_id: int | None = None,
    kind: EnterpriseKind | None = None,
    uscc: str | None = None,
) -> Page[Enterprise]:
    statement = within_reach(select(Enterprise), actor, Enterprise.id)
    if cluster_id is not None:
        statement = statement.where(Enterprise.cluster_id == cluster_id)
    if kind is not None:
        statement = statement.where(Enterprise.kind == kind.value)
    if uscc is not None:
        statement = statement.where(Enterprise.uscc == uscc.strip().upper())
    return fetch_page(session, statement, id_column=Enterprise.id, limit=limit, after=after)


def get_enterprise(session: Session, *, actor: Actor, enterprise_id: int) -> Enterprise:
    require_reachable_firm(session, actor, enterprise_id)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound()
    return enterprise


def update_enterprise(session: Session, *, actor: Actor, enterprise_id: int, data: EnterpriseUpdate) -> Enterprise:
    """Change a firm's details: its own staff may, except the USCC, which only an admin changes."""
    require_role(actor, Role.ADMIN, Role.SME)
    require_own_enterprise(actor, enterprise_id)
    changes = data.model_dump(exclude_unset=True, mode="json")
    if "uscc" in changes and actor.role != Role.ADMIN:
        raise Forbidden()
    with write_transaction(session):
        enterprise = row_for_update(session, Enterprise, enterprise_id)
        if enterprise is None:
            raise NotFound()
        before = enterprise.model_dump(mode="json")
        for name, value in changes.items():
            setattr(enterprise, name, value)
        try:
            with session.begin_nested():
                session.add(enterprise)
        except IntegrityError:
            raise DuplicateUscc(field="uscc") from None
        diff = audit.changed_fields(before, changes)
        if diff:
            audit.record(
                session, actor=actor, entity="enterprise", entity_id=enterprise.id, action="updated", changes=diff
            )
    return enterprise
