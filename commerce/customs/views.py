"""HTTP edge of customs: the platform's configuration, rates, batches, declarations, messages, receipts,
export returns."""

from __future__ import annotations

from typing import Literal

from flask import Response
from pydantic import BaseModel

from commerce.customs import batches, cancellation, lifecycle, platforms, reading, result_recording, returns
from commerce.customs.codes import unit_price
from commerce.customs.models import CustomsStatus, Period
from commerce.customs.shapes import (
    BatchCreate,
    BatchPublic,
    DeclarationPublic,
    ExchangeRatePublic,
    ExchangeRates,
    ExportReturnCreate,
    ExportReturnPublic,
    ListCancellationCreate,
    ListCancellationPublic,
    PlatformConfig,
    PlatformPublic,
    ReceiptsInput,
    ReceiptsRecorded,
)
from commerce.db import utcnow
from commerce.errors import NotFound
from commerce.orders.models import CustomsMode
from commerce.validation import Identifier, Money
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.i18n import translate
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, page_of
from commerce.web.responses import respond

bp = api_blueprint("customs", __name__, tag="Customs", description="Export batches, declarations and customs results")


class ClusterPath(BaseModel):
    cluster_id: Identifier


class BatchPath(BaseModel):
    batch_id: Identifier


class DeclarationPath(BaseModel):
    declaration_id: Identifier


class BatchQuery(ListQuery):
    customs_mode: CustomsMode | None = None
    status: CustomsStatus | None = None
    period: Period | None = None


class MessageQuery(BaseModel):
    kind: Literal["CEB603", "CEB303", "CEB403", "CEB505", "CEB605", "CEB701", "DEC"] | None = None


class PlatformList(BaseModel):
    items: list[PlatformPublic]


class RateList(BaseModel):
    items: list[ExchangeRatePublic]


_PLATFORM_MONEY = {"procurement_cap_usd", "simplified_limit_cny"}


def platform_public(platform) -> PlatformPublic:
    return PlatformPublic(
        **{name: getattr(platform, name) for name in PlatformPublic.model_fields if name not in _PLATFORM_MONEY},
        procurement_cap_usd=Money.of(platform.procurement_cap_usd, "USD"),
        simplified_limit_cny=Money.of(platform.simplified_limit_cny, "CNY"),
    )


def batch_public(view: reading.BatchView) -> BatchPublic:
    batch = view.batch
    return BatchPublic(
        id=batch.id,
        customs_mode=batch.customs_mode,
        kind=batch.kind,
        period=batch.period,
        status=batch.status,
        version=batch.version,
        previous_id=batch.previous_id,
        superseded_by_id=batch.superseded_by_id,
        due_date=batch.due_date,
        warnings=[
            {"code": code, "message": translate(reading.BATCH_WARNINGS[code], **values)}
            for code, values in view.warnings
        ],
        orders=view.orders,
        declarations=[dict(row._mapping) for row in view.declarations],
        created_at=batch.created_at,
        submitted_at=batch.submitted_at,
    )


def declaration_public(view: reading.DeclarationView) -> DeclarationPublic:
    declaration = view.declaration
    header = {
        name: getattr(declaration, name) for name in DeclarationPublic.model_fields["header"].annotation.model_fields
    }
    lines = [
        {
            **{name: getattr(item.line, name) for name in ("line_no", "hs_code", "goods_name", "goods_model")},
            **{
                name: getattr(item.line, name)
                for name in ("destination_country", "currency", "unit", "legal_unit", "second_legal_unit")
            },
            "quantity": item.line.quantity,
            "legal_quantity": item.line.legal_quantity,
            "second_legal_quantity": item.line.second_legal_quantity,
            "unit_price": unit_price(item.line.total_price, item.line.quantity),
            "total_price": Money.of(item.line.total_price, item.line.currency),
            "chapter_group": item.line.chapter_group,
            "firms": [
                {
                    "enterprise_id": firm,
                    "name": view.firm_names[firm][0],
                    "uscc": view.firm_names[firm][1],
                    "order_ids": orders,
                    "quantity": pieces,
                }
                for firm, orders, pieces in item.firms
            ],
        }
        for item in view.lines
    ]
    return DeclarationPublic(
        id=declaration.id,
        batch_id=declaration.batch_id,
        kind=declaration.kind,
        seq_no=declaration.seq_no,
        cop_no=declaration.cop_no,
        status=declaration.status,
        entry_id=declaration.entry_id,
        customs_note=declaration.customs_note,
        header=header,
        lines=lines,
        order_ids=view.order_ids,
        inventory_list_ids=view.inventory_list_ids,
        receipts=[receipt.model_dump() for receipt in view.receipts],
        cleared_at=declaration.cleared_at,
    )


@bp.put("/customs/platforms/<int:cluster_id>", responses={200: PlatformPublic})
def configure_platform(path: ClusterPath, body: PlatformConfig):
    """Configure the cluster's service platform as consignor (admin); it must be in the cluster's region."""
    platform = platforms.configure_platform(
        db_session(),
        actor=current_actor(),
        cluster_id=path.cluster_id,
        data=body,
    )
    return respond(platform_public(platform))


@bp.get("/customs/platforms", responses={200: PlatformList})
def list_platforms():
    """The configured service platforms (trade operators, admin)."""
    configured = platforms.list_platforms(db_session(), actor=current_actor())
    return respond(PlatformList(items=[platform_public(platform) for platform in configured]))


@bp.put("/customs/exchange-rates", responses={200: RateList})
def put_exchange_rates(body: ExchangeRates):
    """Record customs' monthly exchange rates (CNY per unit, from a day)."""
    rates = platforms.put_exchange_rates(db_session(), actor=current_actor(), rates=body.rates)
    return respond(RateList(items=[ExchangeRatePublic.model_validate(rate, from_attributes=True) for rate in rates]))


@bp.get("/customs/exchange-rates", responses={200: RateList})
def list_exchange_rates():
    """Customs' exchange rates on record."""
    rates = platforms.list_exchange_rates(db_session(), actor=current_actor())
    return respond(RateList(items=[ExchangeRatePublic.model_validate(rate, from_attributes=True) for rate in rates]))


@bp.post("/customs/batches", responses={201: BatchPublic})
def form_batch(body: BatchCreate):
    """Form a batch from the eligible export orders (or, 9610 with a period, that month's cleared lists)."""
    session = db_session()
    actor = current_actor()
    batch_id = batches.form_batch(
        session, actor=actor, customs_mode=body.customs_mode, period=body.period, platform_id=body.platform_id
    )
    view = reading.get_batch(session, actor=actor, batch_id=batch_id)
    return respond(batch_public(view), 201, {"Location": f"{API_PREFIX}/customs/batches/{batch_id}"})


@bp.get("/customs/batches", responses={200: ItemList[BatchPublic]})
def list_batches(query: BatchQuery):
    """Batches, oldest first; a firm sees those holding its goods."""
    session = db_session()
    actor = current_actor()
    page = reading.list_batches(
        session,
        actor=actor,
        limit=query.limit,
        after=query.cursor,
        customs_mode=query.customs_mode,
        status=query.status,
        period=query.period,
    )
    views = [reading.get_batch(session, actor=actor, batch_id=batch.id) for batch in page.items]
    return respond(page_of(BatchPublic, page, [batch_public(view) for view in views]))


@bp.get("/customs/batches/<int:batch_id>", responses={200: BatchPublic})
def get_batch(path: BatchPath):
    """A batch with its declarations (a firm: only those holding its goods), due date and warnings."""
    return respond(batch_public(reading.get_batch(db_session(), actor=current_actor(), batch_id=path.batch_id)))


@bp.delete("/customs/batches/<int:batch_id>", responses={204: None})
def discard_batch(path: BatchPath):
    """Discard a draft batch; its orders become eligible again."""
    batches.discard_batch(db_session(), actor=current_actor(), batch_id=path.batch_id)
    return Response(status=204)


@bp.post("/customs/batches/<int:batch_id>/submit", responses={200: BatchPublic})
def submit_batch(path: BatchPath):
    """Freeze the batch and send its messages to customs (a worker sends them)."""
    session = db_session()
    actor = current_actor()
    lifecycle.submit_batch(session, actor=actor, batch_id=path.batch_id)
    return respond(batch_public(reading.get_batch(session, actor=actor, batch_id=path.batch_id)))


@bp.post("/customs/batches/<int:batch_id>/revise", responses={201: BatchPublic})
def revise_batch(path: BatchPath):
    """A new draft version of a rejected batch, made afresh from what was rejected; the old one is kept."""
    session = db_session()
    actor = current_actor()
    batch_id = batches.revise_batch(session, actor=actor, batch_id=path.batch_id)
    view = reading.get_batch(session, actor=actor, batch_id=batch_id)
    return respond(batch_public(view), 201, {"Location": f"{API_PREFIX}/customs/batches/{batch_id}"})


@bp.post("/customs/batches/<int:batch_id>/receipts", responses={200: ReceiptsRecorded})
def record_receipts(path: BatchPath, body: ReceiptsInput):
    """Record customs results per declaration (``entry_id``, ``status``, ``message``); a repeat changes nothing."""
    session = db_session()
    actor = current_actor()
    now = utcnow()
    results = [
        result_recording.Result(
            declaration_id=item.declaration_id,
            status=CustomsStatus(item.status),
            entry_id=item.entry_id,
            message=item.message,
            at=item.at or now,
            key=result_recording.api_result_key(item.declaration_id, item.status, item.entry_id, item.at),
            source="api",
        )
        for item in body.items()
    ]
    platforms.require_operator(actor)
    recorded, repeated = result_recording.record_results(
        session, actor=actor, results=results, strict=True, batch_id=path.batch_id
    )
    view = reading.get_batch(session, actor=actor, batch_id=path.batch_id)
    return respond(ReceiptsRecorded(recorded=recorded, repeated=repeated, batch=batch_public(view)))


@bp.get("/customs/declarations/<int:declaration_id>", responses={200: DeclarationPublic})
def get_declaration(path: DeclarationPath):
    """A declaration: header, lines with the firms and orders in each, and customs' results."""
    view = reading.get_declaration(db_session(), actor=current_actor(), declaration_id=path.declaration_id)
    return respond(declaration_public(view))


@bp.get(
    "/customs/declarations/<int:declaration_id>/message",
    responses={200: {"description": "The XML message", "content": {"application/xml": {"schema": {"type": "string"}}}}},
)
def declaration_message(path: DeclarationPath, query: MessageQuery):
    """The XML customs receives for a declaration (as sent once submitted); ``kind`` picks a list's other messages."""
    session = db_session()
    actor = current_actor()
    platforms.require_operator(actor)
    view = reading.get_declaration(session, actor=actor, declaration_id=path.declaration_id)
    if query.kind == "CEB605":
        body = cancellation.latest_message(session, view.declaration.id)
        if body is None:
            raise NotFound()
    else:
        body = lifecycle.message_of(session, declaration=view.declaration, kind=query.kind)
    return Response(
        body,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{view.declaration.cop_no}.xml"'},
    )


class ExportReturnList(BaseModel):
    items: list[ExportReturnPublic]


def _return_public(returned, line_no: int) -> ExportReturnPublic:
    return ExportReturnPublic.model_validate({**returned.model_dump(), "line_no": line_no})


@bp.post("/customs/declarations/<int:declaration_id>/returns", responses={201: ExportReturnPublic})
def record_return(path: DeclarationPath, body: ExportReturnCreate):
    """Goods of a released declaration's line that came back within a year of export, in their
    original state (announcement 2020 No. 44); they leave later rebate claims."""
    returned = returns.record_return(db_session(), actor=current_actor(), declaration_id=path.declaration_id, data=body)
    return respond(_return_public(returned, body.line_no), 201)


@bp.get("/customs/declarations/<int:declaration_id>/returns", responses={200: ExportReturnList})
def list_returns(path: DeclarationPath):
    """A declaration's export returns, oldest first."""
    rows = returns.returns_of(db_session(), actor=current_actor(), declaration_id=path.declaration_id)
    return respond(ExportReturnList(items=[_return_public(returned, line_no) for returned, line_no in rows]))


class ListCancellationList(BaseModel):
    items: list[ListCancellationPublic]


def _cancellation_public(request) -> ListCancellationPublic:
    return ListCancellationPublic.model_validate(request.model_dump())


@bp.post("/customs/declarations/<int:declaration_id>/cancellations", responses={202: ListCancellationPublic})
def request_cancellation(path: DeclarationPath, body: ListCancellationCreate):
    """Ask customs to cancel a 9610 inventory list before the goods leave (CEB605); customs' answer
    (CEB606) comes later: the list cancelled, or the request refused with its reason."""
    request = cancellation.request_cancellation(
        db_session(), actor=current_actor(), declaration_id=path.declaration_id, reason=body.reason
    )
    return respond(_cancellation_public(request), 202)


@bp.get("/customs/declarations/<int:declaration_id>/cancellations", responses={200: ListCancellationList})
def list_cancellations(path: DeclarationPath):
    """A list's cancellations and customs' answers, oldest first."""
    rows = cancellation.cancellations_of(db_session(), actor=current_actor(), declaration_id=path.declaration_id)
    return respond(ListCancellationList(items=[_cancellation_public(request) for request in rows]))
