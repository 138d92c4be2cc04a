"""Use cases of clusters, and what the area's use cases share: a row inserted once with its
audit record, a referenced row required. Firms are in ``enterprises``, collective marks and
their members in ``trademarks``."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.errors import DuplicateClusterName, OutsideCluster, UnknownReference, WrongEnterpriseKind
from commerce.clusters.models import Cluster, ClusterCreate, Enterprise
from commerce.clusters.permissions import (
    require_reachable_cluster,
    within_clusters,
)
from commerce.db import write_transaction
from commerce.errors import NotFound
from commerce.pagination import Page, fetch_page


def _insert_unique(session: Session, row, error: Exception) -> None:
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise error from None


def insert_recorded(
    session: Session, actor: Actor, row, duplicate: Exception, *, entity: str, action: str, changes: dict
) -> None:
    """Insert a row that must be unique, and record it in the audit trail."""
    _insert_unique(session, row, duplicate)
    audit.record(session, actor=actor, entity=entity, entity_id=row.id, action=action, changes=changes)


def require_row(session: Session, model, identifier: int, *, field: str):
    """The row a request names by id, or 422 naming the field."""
    row = session.get(model, identifier)
    if row is None:
        raise UnknownReference(field=field, entity=model.__name__, id=identifier)
    return row


def require_enterprise(
    session: Session, enterprise_id: int, *, field: str, kinds: Collection[str], cluster_id: int | None = None
) -> Enterprise:
    """The enterprise a request names by id, of one of ``kinds`` and (given ``cluster_id``) of that
    cluster; else 422 naming the field."""
    enterprise = require_row(session, Enterprise, enterprise_id, field=field)
    if enterprise.kind not in kinds:
        raise WrongEnterpriseKind(field=field, kinds=", ".join(sorted(kinds)))
    if cluster_id is not None and enterprise.cluster_id != cluster_id:
        raise OutsideCluster(field=field)
    return enterprise


def create_cluster(session: Session, *, actor: Actor, data: ClusterCreate) -> Cluster:
    """Register a cluster (admin)."""
    require_role(actor, Role.ADMIN)
    with write_transaction(session):
        cluster = Cluster(**data.model_dump())
        insert_recorded(
            session,
            actor,
            cluster,
            DuplicateClusterName(field="name"),
            entity="cluster",
            action="created",
            changes=data.model_dump(mode="json"),
        )
    return cluster


def list_clusters(session: Session, *, actor: Actor, limit: int, after: int | None) -> Page[Cluster]:
    """The clusters the actor works in (every cluster for admins and hosts)."""
    statement = within_clusters(select(Cluster), actor, Cluster.id)
    return fetch_page(session, statement, id_column=Cluster.id, limit=limit, after=after)


def get_cluster(session: Session, *, actor: Actor, cluster_id: int) -> Cluster:
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFound()
    require_reachable_cluster(session, actor, cluster.id)
    return cluster
