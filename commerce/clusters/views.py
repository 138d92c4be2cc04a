"""HTTP edge of clusters, enterprises, collective trademarks and memberships."""

from __future__ import annotations

from typing import Literal

from flask import Response, render_template, request
from pydantic import BaseModel

from commerce.clusters import enterprises, service, trademarks
from commerce.clusters.models import (
    ClusterCreate,
    ClusterPublic,
    EnterpriseCreate,
    EnterpriseKind,
    EnterprisePublic,
    EnterpriseUpdate,
    LapseEffects,
    MembershipCreate,
    MembershipPublic,
    MembershipStatus,
    MembershipUpdate,
    TrademarkCreate,
    TrademarkPublic,
)
from commerce.db import utcnow
from commerce.listings import lapse
from commerce.validation import Identifier
from commerce.web import letters
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.i18n import locale_for_tag, negotiate_locale
from commerce.web.openapi import api_blueprint
from commerce.web.pagination import ItemList, ListQuery, QueryModel, page_of
from commerce.web.responses import respond

bp = api_blueprint(
    "clusters", __name__, tag="Clusters", description="Clusters, enterprises, collective trademarks and memberships"
)


class ClusterPath(BaseModel):
    cluster_id: Identifier


class EnterprisePath(BaseModel):
    enterprise_id: Identifier


class TrademarkPath(BaseModel):
    trademark_id: Identifier


class MembershipPath(BaseModel):
    trademark_id: Identifier
    membership_id: Identifier


class EnterpriseQuery(ListQuery):
    cluster_id: Identifier | None = None
    kind: EnterpriseKind | None = None
    uscc: str | None = None


class TrademarkQuery(ListQuery):
    cluster_id: Identifier | None = None


class MembershipQuery(ListQuery):
    status: MembershipStatus | None = None


class LetterQuery(QueryModel):
    format: Literal["html", "pdf"] | None = None
    lang: Literal["zh-CN", "en"] | None = None


def _membership(membership) -> MembershipPublic:
    return MembershipPublic.model_validate(
        {**membership.model_dump(), "usable_today": membership.is_usable_on(utcnow().date())}
    )


@bp.post("/clusters", responses={201: ClusterPublic})
def create_cluster(body: ClusterCreate):
    """Register a cluster (admin)."""
    cluster = service.create_cluster(db_session(), actor=current_actor(), data=body)
    return respond(ClusterPublic.model_validate(cluster, from_attributes=True), 201)


@bp.get("/clusters", responses={200: ItemList[ClusterPublic]})
def list_clusters(query: ListQuery):
    """Clusters, oldest first."""
    page = service.list_clusters(db_session(), actor=current_actor(), limit=query.limit, after=query.cursor)
    return respond(page_of(ClusterPublic, page))


@bp.get("/clusters/<int:cluster_id>", responses={200: ClusterPublic})
def get_cluster(path: ClusterPath):
    """One cluster."""
    cluster = service.get_cluster(db_session(), actor=current_actor(), cluster_id=path.cluster_id)
    return respond(ClusterPublic.model_validate(cluster, from_attributes=True))


@bp.post("/enterprises", responses={201: EnterprisePublic})
def create_enterprise(body: EnterpriseCreate):
    """Register an enterprise (admin); the USCC is checked and unique."""
    enterprise = enterprises.create_enterprise(db_session(), actor=current_actor(), data=body)
    return respond(EnterprisePublic.model_validate(enterprise, from_attributes=True), 201)


@bp.get("/enterprises", responses={200: ItemList[EnterprisePublic]})
def list_enterprises(query: EnterpriseQuery):
    """Enterprises; a firm's staff see their own firm only."""
    page = enterprises.list_enterprises(
        db_session(),
        actor=current_actor(),
        limit=query.limit,
        after=query.cursor,
        cluster_id=query.cluster_id,
        kind=query.kind,
        uscc=query.uscc,
    )
    return respond(page_of(EnterprisePublic, page))


@bp.get("/enterprises/<int:enterprise_id>", responses={200: EnterprisePublic})
def get_enterprise(path: EnterprisePath):
    """One enterprise."""
    enterprise = enterprises.get_enterprise(db_session(), actor=current_actor(), enterprise_id=path.enterprise_id)
    return respond(EnterprisePublic.model_validate(enterprise, from_attributes=True))


@bp.patch("/enterprises/<int:enterprise_id>", responses={200: EnterprisePublic})
def update_enterprise(path: EnterprisePath, body: EnterpriseUpdate):
    """Change an enterprise's details (its own staff, or an admin)."""
    enterprise = enterprises.update_enterprise(
        db_session(), actor=current_actor(), enterprise_id=path.enterprise_id, data=body
    )
    return respond(EnterprisePublic.model_validate(enterprise, from_attributes=True))


@bp.post("/trademarks", responses={201: TrademarkPublic})
def create_trademark(body: TrademarkCreate):
    """Register a collective trademark owned by a cluster's association (admin)."""
    trademark = trademarks.create_trademark(db_session(), actor=current_actor(), data=body)
    return respond(TrademarkPublic.model_validate(trademark, from_attributes=True), 201)


@bp.get("/trademarks", responses={200: ItemList[TrademarkPublic]})
def list_trademarks(query: TrademarkQuery):
    """Collective trademarks."""
    page = trademarks.list_trademarks(
        db_session(), actor=current_actor(), limit=query.limit, after=query.cursor, cluster_id=query.cluster_id
    )
    return respond(page_of(TrademarkPublic, page))


@bp.get("/trademarks/<int:trademark_id>", responses={200: TrademarkPublic})
def get_trademark(path: TrademarkPath):
    """One collective trademark."""
    trademark = trademarks.get_trademark(db_session(), actor=current_actor(), trademark_id=path.trademark_id)
    return respond(TrademarkPublic.model_validate(trademark, from_attributes=True))


@bp.post("/trademarks/<int:trademark_id>/memberships", responses={201: MembershipPublic})
def admit_member(path: TrademarkPath, body: MembershipCreate):
    """Admit a firm to use the mark under a licence (the owner's brand admin)."""
    membership = trademarks.admit_member(db_session(), actor=current_actor(), trademark_id=path.trademark_id, data=body)
    return respond(_membership(membership), 201)


@bp.get("/trademarks/<int:trademark_id>/memberships", responses={200: ItemList[MembershipPublic]})
def list_memberships(path: TrademarkPath, query: MembershipQuery):
    """Memberships of a mark (its brand admin; a firm sees its own)."""
    page = trademarks.list_memberships(
        db_session(),
        actor=current_actor(),
        trademark_id=path.trademark_id,
        limit=query.limit,
        after=query.cursor,
        status=query.status,
    )
    return respond(page_of(MembershipPublic, page, [_membership(item) for item in page.items]))


@bp.get("/trademarks/<int:trademark_id>/memberships/<int:membership_id>", responses={200: MembershipPublic})
def get_membership(path: MembershipPath):
    """One membership."""
    membership = trademarks.get_membership(
        db_session(), actor=current_actor(), trademark_id=path.trademark_id, membership_id=path.membership_id
    )
    return respond(_membership(membership))


@bp.get("/trademarks/<int:trademark_id>/memberships/<int:membership_id>/lapse-effects", responses={200: LapseEffects})
def membership_lapse_effects(path: MembershipPath):
    """What suspending or revoking the membership would take off: products, listings, lineup places."""
    effects = lapse.lapse_effects(
        db_session(), actor=current_actor(), trademark_id=path.trademark_id, membership_id=path.membership_id
    )
    return respond(effects)


@bp.patch("/trademarks/<int:trademark_id>/memberships/<int:membership_id>", responses={200: MembershipPublic})
def change_membership(path: MembershipPath, body: MembershipUpdate):
    """Suspend, reinstate, revoke or extend a membership; the mark follows at once."""
    membership = trademarks.change_membership(
        db_session(),
        actor=current_actor(),
        trademark_id=path.trademark_id,
        membership_id=path.membership_id,
        data=body,
    )
    return respond(_membership(membership))


@bp.get(
    "/trademarks/<int:trademark_id>/memberships/<int:membership_id>/authorization-letter",
    responses={
        200: {
            "description": "The letter, as HTML or PDF",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def authorization_letter(path: MembershipPath, query: LetterQuery):
    """A letter of authorisation for marketplaces, in Chinese or English, as HTML or PDF."""
    facts = trademarks.authorization_letter(
        db_session(), actor=current_actor(), trademark_id=path.trademark_id, membership_id=path.membership_id
    )
    locale = locale_for_tag(query.lang) if query.lang else negotiate_locale()
    wants_pdf = query.format == "pdf" or (
        query.format is None
        and request.accept_mimetypes.best_match(["text/html", "application/pdf"]) == "application/pdf"
    )
    filename = f"authorization-letter-{facts['membership'].licence_no}"
    if wants_pdf:
        return Response(
            letters.render_pdf(facts, locale),
            mimetype="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'},
        )
    html = render_template("authorization_letter.html", text=letters.letter_text(facts, locale), locale=locale)
    return Response(html, mimetype="text/html")
