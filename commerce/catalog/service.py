"""Use cases of the product catalogue: create, edit, review, retire, read."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from commerce import events
from commerce.accounts.errors import EnterpriseRequired
from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.catalog.errors import DuplicateProductCode, DuplicateSkuCode, NewSkuIncomplete, ProductRetired
from commerce.catalog.models import (
    Product,
    ProductCreate,
    ProductStatus,
    ProductTranslation,
    ProductUpdate,
    RejectInput,
    Sku,
    SkuUpdate,
)
from commerce.catalog.presenter import documents_page, product_documents
from commerce.clusters import trademarks as cluster_trademarks
from commerce.clusters.errors import NotAMember, UnknownReference
from commerce.clusters.models import FIRM_KINDS, Enterprise, Trademark
from commerce.clusters.permissions import VIEWER, reach_condition, reach_kind, require_own_enterprise
from commerce.clusters.service import require_enterprise
from commerce.db import utcnow, write_transaction
from commerce.errors import Forbidden, InvalidStatusTransition, NotFound
from commerce.inventory import service as inventory
from commerce.inventory.models import MovementKind
from commerce.pagination import Page
from commerce.sql import dialect_of, prebuilt, upsert
from commerce.validation import money_text

# A product's own facts (its row's columns a firm sets), and what the mark's owner reviews again when they change.
PRODUCT_FACTS = {
    "trademark_id",
    "hs_code",
    "hs_suffix",
    "declaration_elements",
    "legal_unit",
    "second_legal_unit",
    "origin_region_code",
}
REVIEWED_FIELDS = PRODUCT_FACTS | {"translations"}
TRANSITIONS = {
    "submit": ({ProductStatus.DRAFT, ProductStatus.REJECTED}, ProductStatus.PENDING_REVIEW),
    "approve": ({ProductStatus.PENDING_REVIEW}, ProductStatus.APPROVED),
    "reject": ({ProductStatus.PENDING_REVIEW}, ProductStatus.REJECTED),
    "retire": (
        {ProductStatus.DRAFT, ProductStatus.PENDING_REVIEW, ProductStatus.APPROVED, ProductStatus.REJECTED},
        ProductStatus.RETIRED,
    ),
}


def _scope(actor: Actor) -> str:
    """Which products an actor may see: ``all``, its ``firm``'s, its ``cluster``'s, or the ``approved`` ones."""
    if actor.role == Role.ADMIN:
        return "all"
    return reach_kind(actor) or "approved"


def _scope_condition(dialect: str, scope: str) -> ColumnElement[bool] | None:
    """The condition on products of a scope (None: all of them); ``_scope_parameters`` gives its values."""
    if scope == "approved":
        return Product.status == ProductStatus.APPROVED.value
    if scope == "all":
        return None
    return reach_condition(scope, dialect, Product.enterprise_id)


def _scope_parameters(actor: Actor, scope: str) -> dict[str, Any]:
    """The values of a scope's condition for one actor."""
    if scope in ("firm", "cluster"):
        return {VIEWER: actor.enterprise_id}
    return {}


def _visible_product(session: Session, actor: Actor, product_id: int, *, for_update: bool = False) -> Product:
    scope = _scope(actor)
    statement = select(Product).where(Product.id == product_id)
    condition = _scope_condition(dialect_of(session), scope)
    if condition is not None:
        statement = statement.where(condition)
    if for_update:
        statement = statement.with_for_update()
    product = session.scalars(statement, _scope_parameters(actor, scope)).first()
    if product is None:
        raise NotFound()
    return product


def _check_trademark(session: Session, trademark_id: int | None, enterprise: Enterprise) -> None:
    if trademark_id is None:
        return
    trademark = session.get(Trademark, trademark_id)
    if trademark is None:
        raise UnknownReference(field="trademark_id", entity="Trademark", id=trademark_id)
    if trademark.cluster_id != enterprise.cluster_id:
        raise UnknownReference(field="trademark_id", entity="Trademark", id=trademark_id)


def new_product_code() -> str:
    return "P" + secrets.token_hex(5).upper()


def create_product(session: Session, *, actor: Actor, data: ProductCreate) -> Product:
    """A firm adds a product with its SKUs and opening stock; it starts as a draft."""
    require_role(actor, Role.SME)
    enterprise_id = data.enterprise_id or actor.enterprise_id
    if enterprise_id is None:
        raise EnterpriseRequired(field="enterprise_id", role=actor.role.value)
    require_own_enterprise(actor, enterprise_id)
    with write_transaction(session):
        enterprise = require_enterprise(session, enterprise_id, field="enterprise_id", kinds=FIRM_KINDS)
        _check_trademark(session, data.trademark_id, enterprise)
        product = Product(
            enterprise_id=enterprise_id,
            product_code=data.product_code or new_product_code(),
            **data.model_dump(include=PRODUCT_FACTS),
        )
        try:
            with session.begin_nested():
                session.add(product)
        except IntegrityError:
            raise DuplicateProductCode(field="product_code") from None
        session.add_all(
            ProductTranslation(product_id=product.id, locale=tag, title=text.title, description=text.description)
            for tag, text in data.translations.items()
        )
        skus = [
            Sku(
                product_id=product.id,
                enterprise_id=enterprise_id,
                sku_code=item.sku_code,
                attributes=item.attributes,
                price_amount=item.price.amount,
                currency=item.price.currency,
                weight_kg=item.weight_kg,
                barcode=item.barcode,
            )
            for item in data.skus
        ]
        _add_skus(session, skus)
        inventory.open_levels(
            session,
            [(sku.id, item.on_hand) for sku, item in zip(skus, data.skus, strict=True)],
            kind=MovementKind.INITIAL,
            actor=actor,
            reference=f"product:{product.id}",
        )
        audit.record(
            session,
            actor=actor,
            entity="product",
            entity_id=product.id,
            action="created",
            changes={
                "status": product.status,
                "skus": [
                    {"sku_code": sku.sku_code, "price": money_text(sku.price_amount, sku.currency)} for sku in skus
                ],
            },
        )
    return product


def _add_skus(session: Session, skus: list[Sku]) -> None:
    codes = [sku.sku_code for sku in skus]
    if len(set(codes)) != len(codes):
        raise DuplicateSkuCode(field="skus")
    try:
        with session.begin_nested():
            session.add_all(skus)
            session.flush()
    except IntegrityError:
        raise DuplicateSkuCode(field="skus") from None


def update_product(session: Session, *, actor: Actor, product_id: int, data: ProductUpdate) -> Product:
    """Edit a product; changing what the brand admin reviewed sends an approved product back to review."""
    require_role(actor, Role.SME)
    changes = data.model_dump(exclude_unset=True)
    with write_transaction(session):
        product = _visible_product(session, actor, product_id, for_update=True)
        if product.status == ProductStatus.RETIRED:
            raise ProductRetired()
        enterprise = session.get(Enterprise, product.enterprise_id)
        if "trademark_id" in changes:
            _check_trademark(session, data.trademark_id, enterprise)
        before = product.model_dump(mode="json")
        diff: dict[str, Any] = {}
        scalar_changes = {name: value for name, value in changes.items() if name not in ("translations", "skus")}
        for name, value in scalar_changes.items():
            setattr(product, name, value)
        diff.update(audit.changed_fields(before, product.model_dump(mode="json", include=set(scalar_changes))))
        if data.translations is not None:
            upsert(
                session,
                ProductTranslation.__table__,
                [
                    {"product_id": product.id, "locale": tag, "title": text.title, "description": text.description}
                    for tag, text in data.translations.items()
                ],
                conflict_columns=["product_id", "locale"],
                update_columns=["title", "description"],
            )
            diff["translations"] = sorted(data.translations)
        if data.skus is not None:
            diff.update(_apply_sku_changes(session, actor, product, data.skus))
        reviewed_change = bool(REVIEWED_FIELDS & (set(diff)))
        if reviewed_change and product.status == ProductStatus.APPROVED:
            product.status = ProductStatus.PENDING_REVIEW.value
            diff["status"] = {"from": ProductStatus.APPROVED.value, "to": ProductStatus.PENDING_REVIEW.value}
        if diff:
            product.updated_at = utcnow()
            session.add(product)
            audit.record(session, actor=actor, entity="product", entity_id=product.id, action="updated", changes=diff)
            events.publish(session, events.ProductChanged(product.id, product.status), actor=actor)
    return product


def _apply_sku_changes(session: Session, actor: Actor, product: Product, items: list[SkuUpdate]) -> dict:
    existing = {sku.id: sku for sku in session.scalars(select(Sku).where(Sku.product_id == product.id))}
    changed: list[dict] = []
    new_skus: list[Sku] = []
    for item in items:
        if item.id is not None:
            sku = existing.get(item.id)
            if sku is None:
                raise UnknownReference(field="skus", entity="SKU", id=item.id)
            before = {
                "sku_code": sku.sku_code,
                "price": money_text(sku.price_amount, sku.currency),
                "attributes": sku.attributes,
                "weight_kg": str(sku.weight_kg),
                "barcode": sku.barcode,
            }
            if item.sku_code is not None:
                sku.sku_code = item.sku_code
            if item.price is not None:
                sku.price_amount, sku.currency = item.price.amount, item.price.currency
            if item.attributes is not None:
                sku.attributes = dict(item.attributes)
            if item.weight_kg is not None:
                sku.weight_kg = item.weight_kg
            if "barcode" in item.model_fields_set:
                sku.barcode = item.barcode
            after = {
                "sku_code": sku.sku_code,
                "price": money_text(sku.price_amount, sku.currency),
                "attributes": sku.attributes,
                "weight_kg": str(sku.weight_kg),
                "barcode": sku.barcode,
            }
            diff = audit.changed_fields(before, after)
            if diff:
                sku.updated_at = utcnow()
                session.add(sku)
                changed.append({"sku_id": sku.id, **diff})
        else:
            if item.sku_code is None or item.price is None:
                raise NewSkuIncomplete(field="skus")
            new_skus.append(
                Sku(
                    product_id=product.id,
                    enterprise_id=product.enterprise_id,
                    sku_code=item.sku_code,
                    attributes=dict(item.attributes or {}),
                    price_amount=item.price.amount,
                    currency=item.price.currency,
                    weight_kg=item.weight_kg or 0,
                    barcode=item.barcode,
                )
            )
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DuplicateSkuCode(field="skus") from None
    if new_skus:
        _add_skus(session, new_skus)
        inventory.open_levels(
            session,
            [(sku.id, 0) for sku in new_skus],
            kind=MovementKind.INITIAL,
            actor=actor,
            reference=f"product:{product.id}",
        )
    result: dict[str, Any] = {}
    if changed:
        result["skus_changed"] = changed
    if new_skus:
        result["skus_added"] = [sku.sku_code for sku in new_skus]
    return result


def _transition(
    session: Session,
    actor: Actor,
    product_id: int,
    action: str,
    *,
    reason: str | None = None,
    today: date | None = None,
) -> Product:
    allowed_from, target = TRANSITIONS[action]
    with write_transaction(session):
        product = _visible_product(session, actor, product_id, for_update=True)
        current = ProductStatus(product.status)
        if current not in allowed_from:
            raise InvalidStatusTransition(current=current.value, target=target.value)
        if action in ("approve", "reject") and product.trademark_id is not None and actor.role == Role.BRAND_ADMIN:
            trademark = session.get(Trademark, product.trademark_id)
            if trademark.owner_enterprise_id != actor.enterprise_id:
                raise Forbidden()
        if action == "approve" and product.trademark_id is not None:
            usable = cluster_trademarks.usable_trademarks(
                session, enterprise_ids={product.enterprise_id}, day=today or utcnow().date()
            )
            if (product.enterprise_id, product.trademark_id) not in usable:
                raise NotAMember()
        product.status = target.value
        product.rejection_reason = reason if action == "reject" else None
        product.updated_at = utcnow()
        session.add(product)
        changes: dict[str, Any] = {"status": {"from": current.value, "to": target.value}}
        if reason:
            changes["reason"] = reason
        audit.record(session, actor=actor, entity="product", entity_id=product.id, action=action, changes=changes)
        events.publish(session, events.ProductChanged(product.id, product.status), actor=actor)
    return product


def submit_product(session: Session, *, actor: Actor, product_id: int) -> Product:
    """Send a draft or rejected product to the brand admin for review."""
    require_role(actor, Role.SME)
    return _transition(session, actor, product_id, "submit")


def approve_product(session: Session, *, actor: Actor, product_id: int, today: date | None = None) -> Product:
    """Approve a product; under a collective trademark only while its maker is an active member."""
    require_role(actor, Role.BRAND_ADMIN)
    return _transition(session, actor, product_id, "approve", today=today)


def reject_product(session: Session, *, actor: Actor, product_id: int, data: RejectInput) -> Product:
    """Send a product back to its maker with the reason."""
    require_role(actor, Role.BRAND_ADMIN)
    return _transition(session, actor, product_id, "reject", reason=data.reason)


def retire_product(session: Session, *, actor: Actor, product_id: int) -> Product:
    """Take a product off the catalogue for good."""
    require_role(actor, Role.SME)
    return _transition(session, actor, product_id, "retire")


def get_product(session: Session, *, actor: Actor, product_id: int) -> Product:
    return _visible_product(session, actor, product_id)


def editable_product(session: Session, actor: Actor, product_id: int) -> Product:
    """A product the actor's firm may change (inside a write transaction: it is locked), not retired."""
    require_role(actor, Role.SME)
    product = _visible_product(session, actor, product_id, for_update=True)
    if product.status == ProductStatus.RETIRED:
        raise ProductRetired()
    return product


def list_products(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    languages: Sequence[str],
    enterprise_id: int | None = None,
    status: ProductStatus | None = None,
    trademark_id: int | None = None,
    hs_code: str | None = None,
) -> Page[str]:
    """A page of the products the actor may see, as their public documents (JSON text), in one statement."""
    scope = _scope(actor)
    filters = {
        "enterprise_id": enterprise_id,
        "status": status.value if status is not None else None,
        "trademark_id": trademark_id,
        "hs_code": hs_code,
    }
    given = {f"filter_{name}": value for name, value in filters.items() if value is not None}
    statement = prebuilt(session, _build_list, scope, tuple(given))
    parameters = {**_scope_parameters(actor, scope), **given, "after": after or 0}
    return documents_page(session, statement, parameters, limit=limit, languages=languages)


def product_document(session: Session, product: Product, *, languages: Sequence[str]) -> str:
    """The public document (JSON text) of a product the caller was just given by this service."""
    [document] = product_documents(session, [product.id], languages=languages)
    return document


def _build_list(dialect: str, scope: str, filters: tuple[str, ...]) -> Select:
    """The ids of a page of products in a scope, with the given filters (named ``filter_<column>``)."""
    page = select(Product.id).where(Product.id > bindparam("after"))
    condition = _scope_condition(dialect, scope)
    if condition is not None:
        page = page.where(condition)
    for name in filters:
        page = page.where(getattr(Product, name.removeprefix("filter_")) == bindparam(name))
    return page.order_by(Product.id)


def product_history(session: Session, *, actor: Actor, product_id: int) -> list:
    """The audit trail of a product, newest first."""
    product = _visible_product(session, actor, product_id)
    return audit.history(session, entity="product", entity_ids=[product.id])
