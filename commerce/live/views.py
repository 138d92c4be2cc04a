"""HTTP edge of livestreams: scheduling, lineup, start and end, pinning, flash sales, stats."""

from __future__ import annotations

from pydantic import BaseModel

from commerce.db import utcnow
from commerce.live import flash_sales, reports, service
from commerce.live.models import (
    FlashSaleCreate,
    FlashSalePublic,
    LineupInput,
    PinInput,
    StreamCreate,
    StreamPublic,
    StreamReport,
    StreamStats,
    StreamStatus,
)
from commerce.validation import Identifier
from commerce.web.auth import current_actor
from commerce.web.database import current_settings, db_session
from commerce.web.i18n import content_languages
from commerce.web.openapi import API_PREFIX, api_blueprint
from commerce.web.pagination import ItemList, ListQuery, encode_cursor
from commerce.web.responses import respond

bp = api_blueprint(
    "live", __name__, tag="Livestreams", description="Streams, lineups, the pinned item, flash sales and live stats"
)


class StreamPath(BaseModel):
    stream_id: Identifier


class StreamQuery(ListQuery):
    status: StreamStatus | None = None


def _stream(stream, status: int = 200, headers: dict[str, str] | None = None):
    body = reports.present_stream(db_session(), stream, languages=content_languages())
    return respond(body, status, headers)


@bp.post("/streams", responses={201: StreamPublic})
def create_stream(body: StreamCreate):
    """Schedule a stream (a host schedules their own; an admin names the host)."""
    stream = service.create_stream(db_session(), actor=current_actor(), data=body)
    return _stream(stream, 201, {"Location": f"{API_PREFIX}/streams/{stream.id}"})


@bp.get("/streams", responses={200: ItemList[StreamPublic]})
def list_streams(query: StreamQuery):
    """The streams the caller runs."""
    session = db_session()
    page = service.list_streams(
        session, actor=current_actor(), limit=query.limit, after=query.cursor, status=query.status
    )
    items = [reports.present_stream(session, stream, languages=content_languages()) for stream in page.items]
    return respond(ItemList[StreamPublic](items=items, next_cursor=encode_cursor(page.next_after)))


@bp.get("/streams/<int:stream_id>", responses={200: StreamPublic})
def get_stream(path: StreamPath):
    """One stream with its lineup, pinned item and current flash sales."""
    return _stream(service.get_stream(db_session(), actor=current_actor(), stream_id=path.stream_id))


@bp.put("/streams/<int:stream_id>/lineup", responses={200: StreamPublic})
def replace_lineup(path: StreamPath, body: LineupInput):
    """Make the lineup exactly these approved products, in this order; allocations are reserved from stock."""
    stream = service.replace_lineup(
        db_session(),
        actor=current_actor(),
        stream_id=path.stream_id,
        data=body,
        limit=current_settings().lineup_max_items,
    )
    return _stream(stream)


@bp.post("/streams/<int:stream_id>/start", responses={200: StreamPublic})
def start_stream(path: StreamPath):
    """Go live."""
    return _stream(service.start_stream(db_session(), actor=current_actor(), stream_id=path.stream_id))


@bp.post("/streams/<int:stream_id>/end", responses={200: StreamPublic})
def end_stream(path: StreamPath):
    """End the stream; unsold allocations return to general stock."""
    return _stream(service.end_stream(db_session(), actor=current_actor(), stream_id=path.stream_id))


@bp.post("/streams/<int:stream_id>/cancel", responses={200: StreamPublic})
def cancel_stream(path: StreamPath):
    """Call off a scheduled stream; its allocations return to general stock."""
    return _stream(service.cancel_stream(db_session(), actor=current_actor(), stream_id=path.stream_id))


@bp.post("/streams/<int:stream_id>/pin", responses={200: StreamPublic})
def pin_item(path: StreamPath, body: PinInput):
    """Present one lineup item; exactly one item is pinned at a time."""
    return _stream(
        service.pin_item(db_session(), actor=current_actor(), stream_id=path.stream_id, item_id=body.item_id)
    )


@bp.delete("/streams/<int:stream_id>/pin", responses={200: StreamPublic})
def unpin(path: StreamPath):
    """Present nothing."""
    return _stream(service.unpin(db_session(), actor=current_actor(), stream_id=path.stream_id))


@bp.post("/streams/<int:stream_id>/flash-sales", responses={201: FlashSalePublic})
def create_flash_sale(path: StreamPath, body: FlashSaleCreate):
    """Announce a flash sale on a lineup item's SKU: a countdown, then a deal price for a quantity and a time."""
    settings = current_settings()
    bounds = flash_sales.FlashSaleBounds(
        countdown_min=settings.flash_sale_countdown_min_seconds,
        countdown_max=settings.flash_sale_countdown_max_seconds,
        duration_min=settings.flash_sale_duration_min_seconds,
        duration_max=settings.flash_sale_duration_max_seconds,
        max_price_ratio=settings.flash_sale_max_price_ratio,
    )
    sale = flash_sales.create_flash_sale(
        db_session(), actor=current_actor(), stream_id=path.stream_id, data=body, bounds=bounds
    )
    return respond(reports.flash_sale_public(sale, currency=body.price.currency, now=utcnow()), 201)


@bp.get("/streams/<int:stream_id>/stats", responses={200: StreamStats})
def stream_stats(path: StreamPath):
    """Orders, units and GMV per lineup item, per firm and in total; stock left per item."""
    return respond(
        reports.stream_stats(
            db_session(), actor=current_actor(), stream_id=path.stream_id, languages=content_languages()
        )
    )


@bp.get("/streams/<int:stream_id>/report", responses={200: StreamReport})
def stream_report(path: StreamPath):
    """The stream's report: the stats, the pin history with presenting time, and every flash sale."""
    return respond(
        reports.stream_report(
            db_session(), actor=current_actor(), stream_id=path.stream_id, languages=content_languages()
        )
    )
