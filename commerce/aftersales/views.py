"""HTTP edge of after-sales: requests on order lines, their answers, returns received and inspected,
refunds paid."""

from __future__ import annotations

from pydantic import BaseModel

from commerce.aftersales import service
from commerce.aftersales.models import (
    AfterSaleCreate,
    AfterSaleKind,
    AfterSalePublic,
    AfterSaleStatus,
    InspectionInput,
    RefusalInput,
)
from commerce.validation import Identifier
from commerce.web.auth import current_actor
from commerce.web.database import db_session
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, encode_cursor
from commerce.web.responses import respond

bp = api_blueprint("aftersales", __name__, tag="After-sales", description="Refunds and returns on order lines (售后)")


class AfterSalePath(BaseModel):
    after_sale_id: Identifier


class AfterSaleQuery(ListQuery):
    order_id: Identifier | None = None
    status: AfterSaleStatus | None = None
    kind: AfterSaleKind | None = None


@bp.post("/after-sales", responses={201: AfterSalePublic, 200: AfterSalePublic})
def request_after_sale(body: AfterSaleCreate):
    """Ask for a refund before shipping, a return, or a partial refund on one order line.

    A refund larger than the line was paid (409 refund_exceeds_paid), units refunded without a
    return once shipped (409 units_already_shipped) or more units returned than were shipped (409
    return_exceeds_shipped) are refused and nothing is written. The same external_id again
    answers 200 with the request already made.
    """
    after_sale, created = service.request_after_sale(db_session(), actor=current_actor(), data=body)
    headers = {"Location": f"{API_PREFIX}/after-sales/{after_sale.id}"}
    return respond(AfterSalePublic.of(after_sale), 201 if created else 200, headers)


@bp.get("/after-sales", responses={200: ItemList[AfterSalePublic]})
def list_after_sales(query: AfterSaleQuery):
    """After-sales oldest first: a firm sees its own lines', a host those of their streams' orders."""
    page = service.list_after_sales(
        db_session(),
        actor=current_actor(),
        limit=query.limit,
        after=query.cursor,
        order_id=query.order_id,
        status=query.status,
        kind=query.kind,
    )
    return respond(
        ItemList[AfterSalePublic](
            items=[AfterSalePublic.of(item) for item in page.items], next_cursor=encode_cursor(page.next_after)
        )
    )


@bp.get("/after-sales/<int:after_sale_id>", responses={200: AfterSalePublic})
def get_after_sale(path: AfterSalePath):
    """One after-sale."""
    after_sale = service.get_after_sale(db_session(), actor=current_actor(), after_sale_id=path.after_sale_id)
    return respond(AfterSalePublic.of(after_sale))


@bp.post("/after-sales/<int:after_sale_id>/approve", responses={200: AfterSalePublic})
def approve(path: AfterSalePath):
    """Accept a request; a refund before shipping frees its units at once."""
    after_sale = service.approve(db_session(), actor=current_actor(), after_sale_id=path.after_sale_id)
    return respond(AfterSalePublic.of(after_sale))


@bp.post("/after-sales/<int:after_sale_id>/refuse", responses={200: AfterSalePublic})
def refuse(path: AfterSalePath, body: RefusalInput):
    """Turn a request down with a reason; what it claimed on its line is given back."""
    after_sale = service.refuse(
        db_session(), actor=current_actor(), after_sale_id=path.after_sale_id, reason=body.reason
    )
    return respond(AfterSalePublic.of(after_sale))


@bp.post("/after-sales/<int:after_sale_id>/receive", responses={200: AfterSalePublic})
def receive(path: AfterSalePath):
    """The returned units have arrived."""
    after_sale = service.receive(db_session(), actor=current_actor(), after_sale_id=path.after_sale_id)
    return respond(AfterSalePublic.of(after_sale))


@bp.post("/after-sales/<int:after_sale_id>/inspect", responses={200: AfterSalePublic})
def inspect(path: AfterSalePath, body: InspectionInput):
    """What became of the returned units: restocked (stock grows) or written off."""
    after_sale = service.inspect(db_session(), actor=current_actor(), after_sale_id=path.after_sale_id, data=body)
    return respond(AfterSalePublic.of(after_sale))


@bp.post("/after-sales/<int:after_sale_id>/refund", responses={200: AfterSalePublic})
def refund(path: AfterSalePath):
    """The money has been paid back to the buyer."""
    after_sale = service.refund(db_session(), actor=current_actor(), after_sale_id=path.after_sale_id)
    return respond(AfterSalePublic.of(after_sale))
