"""HTTP edge of the catalogue: products, review, SKU stock, bulk imports."""

from __future__ import annotations

import json
from typing import Literal

from flask import Response
from flask_openapi3 import FileStorage
from pydantic import BaseModel

from commerce.audit.models import AuditEventPublic
from commerce.catalog import imports, service
from commerce.catalog.errors import MissingFile
from commerce.catalog.import_files import IMPORT_MESSAGES
from commerce.catalog.import_templates import template_csv, template_xlsx
from commerce.catalog.models import (
    ErrorPolicy,
    ImportErrorPublic,
    ProductCreate,
    ProductImportPublic,
    ProductPublic,
    ProductStatus,
    ProductUpdate,
    RejectInput,
)
from commerce.errors import N_
from commerce.inventory import service as inventory
from commerce.inventory.models import StockAdjustment, StockMovementPublic, StockPublic
from commerce.validation import MESSAGES, HsCode, Identifier
from commerce.web.auth import current_actor
from commerce.web.database import current_deployment, current_settings, database, db_session
from commerce.web.i18n import content_languages, translate
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, QueryModel, encode_cursor
from commerce.web.problems import FIELD_MESSAGES
from commerce.web.responses import respond, respond_json_text

bp = api_blueprint("catalog", __name__, tag="Catalogue", description="Products, SKUs, review, stock and bulk import")


class ProductPath(BaseModel):
    product_id: Identifier


class SkuPath(BaseModel):
    sku_id: Identifier


class ImportPath(BaseModel):
    import_id: Identifier


class ProductQuery(ListQuery):
    enterprise_id: Identifier | None = None
    status: ProductStatus | None = None
    trademark_id: Identifier | None = None
    hs_code: HsCode | None = None


class ImportForm(BaseModel):
    file: FileStorage
    enterprise_id: Identifier
    # The policy may come with the file (a form field, as pages send it) or in the query.
    error_policy: ErrorPolicy | None = None


class ImportQuery(QueryModel):
    error_policy: ErrorPolicy = ErrorPolicy.REJECT_ALL


class TemplateQuery(QueryModel):
    format: Literal["csv", "xlsx"] = "csv"


def _product(product, status: int = 200):
    return respond_json_text(service.product_document(db_session(), product, languages=content_languages()), status)


@bp.post("/products", responses={201: ProductPublic})
def create_product(body: ProductCreate):
    """Add a product with its SKUs (a firm's staff, or an admin naming the firm); it starts as a draft."""
    product = service.create_product(db_session(), actor=current_actor(), data=body)
    return _product(product, 201)


@bp.get("/products", responses={200: ItemList[ProductPublic]})
def list_products(query: ProductQuery):
    """Products the caller may see, with translations in the caller's language, SKUs and stock."""
    page = service.list_products(
        db_session(),
        actor=current_actor(),
        limit=query.limit,
        after=query.cursor,
        languages=content_languages(),
        enterprise_id=query.enterprise_id,
        status=query.status,
        trademark_id=query.trademark_id,
        hs_code=query.hs_code,
    )
    next_cursor = json.dumps(encode_cursor(page.next_after))
    return respond_json_text(f'{{"items":[{",".join(page.items)}],"next_cursor":{next_cursor}}}')


@bp.get("/products/<int:product_id>", responses={200: ProductPublic})
def get_product(path: ProductPath):
    """One product."""
    return _product(service.get_product(db_session(), actor=current_actor(), product_id=path.product_id))


@bp.patch("/products/<int:product_id>", responses={200: ProductPublic})
def update_product(path: ProductPath, body: ProductUpdate):
    """Edit a product; changing reviewed facts sends an approved product back to review."""
    product = service.update_product(db_session(), actor=current_actor(), product_id=path.product_id, data=body)
    return _product(product)


@bp.post("/products/<int:product_id>/submit", responses={200: ProductPublic})
def submit_product(path: ProductPath):
    """Send a draft or rejected product for review."""
    return _product(service.submit_product(db_session(), actor=current_actor(), product_id=path.product_id))


@bp.post("/products/<int:product_id>/approve", responses={200: ProductPublic})
def approve_product(path: ProductPath):
    """Approve a product (brand admin); under a trademark only for an active member."""
    return _product(service.approve_product(db_session(), actor=current_actor(), product_id=path.product_id))


@bp.post("/products/<int:product_id>/reject", responses={200: ProductPublic})
def reject_product(path: ProductPath, body: RejectInput):
    """Reject a product with a reason (brand admin)."""
    product = service.reject_product(db_session(), actor=current_actor(), product_id=path.product_id, data=body)
    return _product(product)


@bp.post("/products/<int:product_id>/retire", responses={200: ProductPublic})
def retire_product(path: ProductPath):
    """Retire a product for good."""
    return _product(service.retire_product(db_session(), actor=current_actor(), product_id=path.product_id))


@bp.get("/products/<int:product_id>/history", responses={200: ItemList[AuditEventPublic]})
def product_history(path: ProductPath):
    """Who changed what on a product, and when: status, prices, imports, trademark use."""
    events = service.product_history(db_session(), actor=current_actor(), product_id=path.product_id)
    return respond(
        ItemList[AuditEventPublic](
            items=[AuditEventPublic.model_validate(event, from_attributes=True) for event in events], next_cursor=None
        )
    )


@bp.post("/skus/<int:sku_id>/stock-adjustments", responses={200: StockPublic})
def adjust_stock(path: SkuPath, body: StockAdjustment):
    """Count in or write off stock; on hand never falls below what is reserved and allocated."""
    level = inventory.adjust_stock(
        db_session(), actor=current_actor(), sku_id=path.sku_id, delta=body.delta, reason=body.reason
    )
    return respond(StockPublic.model_validate(level, from_attributes=True))


@bp.get("/skus/<int:sku_id>/stock-movements", responses={200: ItemList[StockMovementPublic]})
def stock_movements(path: SkuPath):
    """The stock ledger of one SKU, newest first."""
    movements = inventory.movements_of(db_session(), actor=current_actor(), sku_id=path.sku_id)
    return respond(
        ItemList[StockMovementPublic](
            items=[StockMovementPublic.model_validate(item, from_attributes=True) for item in movements],
            next_cursor=None,
        )
    )


def _import_public(record) -> ProductImportPublic:
    errors = []
    for error in record.errors:
        template = (
            IMPORT_MESSAGES.get(error["code"])
            or MESSAGES.get(error["code"])
            or FIELD_MESSAGES.get(error["code"], N_("Invalid value."))
        )
        errors.append(
            ImportErrorPublic(
                row=error["row"],
                field=error["field"],
                code=error["code"],
                message=translate(template, **error.get("params", {})),
            )
        )
    return ProductImportPublic.model_validate({**record.model_dump(exclude={"errors"}), "errors": errors})


@bp.post("/products/imports", responses={202: ProductImportPublic})
def create_import(form: ImportForm, query: ImportQuery):
    """Import products from a CSV or XLSX file; large files are processed in the background."""
    settings = current_settings()
    upload = form.file
    if upload is None or not upload.filename:
        raise MissingFile(field="file")
    session = db_session()
    record, in_background = imports.start_import(
        session,
        actor=current_actor(),
        enterprise_id=form.enterprise_id,
        filename=upload.filename,
        stream=upload.stream,
        error_policy=form.error_policy or query.error_policy,
        settings=settings,
    )
    if not in_background:
        record = imports.run_import(database(), settings, import_id=record.id, media=current_deployment().media_store)
    return respond(_import_public(record), 202, headers={"Location": f"{API_PREFIX}/products/imports/{record.id}"})


@bp.get("/products/imports/<int:import_id>", responses={200: ProductImportPublic})
def get_import(path: ImportPath):
    """The progress and row errors of an import, in the caller's language."""
    return respond(_import_public(imports.get_import(db_session(), actor=current_actor(), import_id=path.import_id)))


@bp.get(
    "/products/imports/template",
    responses={
        200: {
            "description": "The import template",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                },
            },
        }
    },
)
def import_template(query: TemplateQuery):
    """The import template, with the header row and one example row."""
    current_actor()
    if query.format == "xlsx":
        return Response(
            template_xlsx(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="product-import-template.xlsx"'},
        )
    return Response(
        template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="product-import-template.csv"'},
    )
