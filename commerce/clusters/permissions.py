"""Who may see and do what: the rules every area's use cases apply to the actor.

The scope rule: admins (and the platform itself) reach everything; a firm's staff reach their own
firm; a cluster's staff (the association's brand admins, the service platform's trade operators)
the firms of their firm's cluster; hosts their own streams and those streams' orders. What lies
outside is answered as if it did not exist (404).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlmodel import Session

from commerce.actors import Actor, Role
from commerce.clusters.models import Enterprise
from commerce.errors import NotFound
from commerce.sql import among_selected

# Roles that work for a whole cluster through their own firm (the platform, the association).
CLUSTER_STAFF = (Role.TRADE_OPERATOR, Role.BRAND_ADMIN)


def require_own_enterprise(actor: Actor, enterprise_id: int) -> None:
    """Hide (404) another firm's data from a firm's own staff."""
    if actor.role == Role.SME and actor.enterprise_id != enterprise_id:
        raise NotFound()


def is_firm_scoped(actor: Actor) -> bool:
    """Whether the actor sees only their own firm's data."""
    return actor.role == Role.SME


def cluster_of(enterprise_id: Any) -> Select:
    """The id of a firm's cluster (its id a value or a parameter), to select by."""
    return select(Enterprise.cluster_id).where(Enterprise.id == enterprise_id)


def firms_in_cluster_of(enterprise_id: Any) -> Select:
    """The ids of the firms in the cluster of a firm (its id a value or a parameter)."""
    return select(Enterprise.id).where(Enterprise.cluster_id.in_(cluster_of(enterprise_id)))


def actor_clusters(actor: Actor) -> Select | None:
    """The ids of the clusters the actor works in: that of their firm for a firm's or a cluster's
    staff (none without a firm). None for admins and hosts, who work across clusters."""
    if actor.role != Role.SME and actor.role not in CLUSTER_STAFF:
        return None
    return cluster_of(actor.enterprise_id)


def within_clusters(statement: Select, actor: Actor, cluster_column: Any) -> Select:
    """A select kept to the clusters the actor works in (unchanged for those working across clusters)."""
    clusters = actor_clusters(actor)
    return statement if clusters is None else statement.where(cluster_column.in_(clusters))


def cluster_firms(actor: Actor) -> Select | None:
    """The ids of the firms a cluster's own staff may reach: those of their firm's cluster (none
    without a firm). None for the other roles."""
    if actor.role not in CLUSTER_STAFF:
        return None
    return firms_in_cluster_of(actor.enterprise_id)


def reach(actor: Actor, enterprise_column: Any) -> ColumnElement[bool] | None:
    """The condition keeping ``enterprise_column`` to the firms the actor reaches: their own for a
    firm's staff, their cluster's for a cluster's staff; None for the roles that reach every firm."""
    if is_firm_scoped(actor):
        return enterprise_column == actor.enterprise_id
    firms = cluster_firms(actor)
    return None if firms is None else enterprise_column.in_(firms)


def within_reach(statement: Select, actor: Actor, enterprise_column: Any) -> Select:
    """A select kept to the firms the actor reaches (unchanged for the roles that reach every firm)."""
    condition = reach(actor, enterprise_column)
    return statement if condition is None else statement.where(condition)


def reachable_firms(session: Session, actor: Actor) -> set[int] | None:
    """The ids of the firms the actor reaches (None: every firm)."""
    if is_firm_scoped(actor):
        return {actor.enterprise_id}
    firms = cluster_firms(actor)
    return None if firms is None else set(session.scalars(firms))


def require_reachable_firm(session: Session, actor: Actor, enterprise_id: int) -> None:
    """Hide (404) a firm the actor does not reach: another firm from a firm's staff, a firm of
    another cluster from a cluster's staff."""
    require_own_enterprise(actor, enterprise_id)
    firms = cluster_firms(actor)
    if firms is not None and session.scalar(firms.where(Enterprise.id == enterprise_id)) is None:
        raise NotFound()


def require_reachable_cluster(session: Session, actor: Actor, cluster_id: int) -> None:
    """Hide (404) a cluster the actor does not work in."""
    clusters = actor_clusters(actor)
    if clusters is not None and session.scalar(clusters) != cluster_id:
        raise NotFound()


# The parameter a statement built once for any actor (``prebuilt``) names the actor's firm by.
VIEWER = "viewer_enterprise_id"


def reach_kind(actor: Actor) -> str | None:
    """How far among firms the actor reaches, as a statement's shape: ``firm`` (a firm's staff),
    ``cluster`` (a cluster's staff), None (every firm)."""
    if is_firm_scoped(actor):
        return "firm"
    return "cluster" if actor.role in CLUSTER_STAFF else None


def reach_condition(kind: str | None, dialect: str, enterprise_column: Any) -> ColumnElement[bool] | None:
    """``reach`` for a statement built once: the actor's firm is the parameter ``VIEWER``. The
    cluster's firms are a set of ids, not a join: the planner then walks in the column's order for
    any cluster size instead of guessing the subquery's size."""
    viewer = bindparam(VIEWER)
    if kind == "firm":
        return enterprise_column == viewer
    if kind == "cluster":
        return among_selected(dialect, enterprise_column, firms_in_cluster_of(viewer))
    return None
