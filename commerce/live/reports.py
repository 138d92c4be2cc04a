"""What a stream looks like and how it sells: the stream with its lineup, live stats, the report after the end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from commerce.actors import Actor
from commerce.catalog.models import Product, Sku
from commerce.catalog.presenter import product_titles
from commerce.clusters.models import Enterprise
from commerce.db import utcnow
from commerce.inventory.models import StockLevel, StreamAllocation
from commerce.live import service
from commerce.live.flash_sales import state_of
from commerce.live.models import (
    FirmStats,
    FlashSale,
    FlashSalePublic,
    ItemStats,
    LineupItem,
    LineupItemPublic,
    PinPublic,
    SalesFigures,
    SkuStockLeft,
    Stream,
    StreamPublic,
    StreamRefusal,
    StreamReport,
    StreamStats,
)
from commerce.media.service import first_thumbnails
from commerce.orders import figures
from commerce.orders.models import OrderLine, SalesOrder
from commerce.validation import Money


def _items(session: Session, stream_id: int, *, include_removed: bool = False):
    statement = (
        select(
            LineupItem.id,
            LineupItem.position,
            LineupItem.product_id,
            LineupItem.live_price_amount,
            Product.enterprise_id,
        )
        .join(Product, Product.id == LineupItem.product_id)
        .where(LineupItem.stream_id == stream_id)
    )
    if not include_removed:
        statement = statement.where(LineupItem.removed_at.is_(None))
    return list(session.execute(statement.order_by(LineupItem.position, LineupItem.id)))


def _flash_sales(session: Session, stream: Stream, now: datetime, *, current_only: bool) -> list[FlashSalePublic]:
    statement = select(FlashSale).where(FlashSale.stream_id == stream.id)
    if current_only:
        statement = statement.where(FlashSale.ends_at > now)
    return [
        flash_sale_public(sale, currency=stream.currency, now=now)
        for sale in session.scalars(statement.order_by(FlashSale.id).execution_options(populate_existing=True))
    ]


def flash_sale_public(sale: FlashSale, *, currency: str, now: datetime) -> FlashSalePublic:
    return FlashSalePublic(
        id=sale.id,
        item_id=sale.item_id,
        sku_id=sale.sku_id,
        price=Money.of(sale.price_amount, currency),
        quantity=sale.quantity,
        sold=sale.sold,
        per_buyer_limit=sale.per_buyer_limit,
        starts_at=sale.starts_at,
        ends_at=sale.ends_at,
        state=state_of(sale, now),
    )


def present_stream(session: Session, stream: Stream, *, languages: Sequence[str]) -> StreamPublic:
    """The stream with its lineup in position order, the pinned item and the current flash sales."""
    now = utcnow()
    items = _items(session, stream.id)
    titles = product_titles(session, [item.product_id for item in items], languages)
    thumbnails = first_thumbnails(session, [item.product_id for item in items])
    allocations: dict[int, dict[str, int]] = {}
    for allocation in session.execute(
        select(StreamAllocation.lineup_item_id, StreamAllocation.sku_id, StreamAllocation.remaining).where(
            StreamAllocation.stream_id == stream.id
        )
    ):
        allocations.setdefault(allocation.lineup_item_id, {})[str(allocation.sku_id)] = allocation.remaining
    return StreamPublic(
        **stream.model_dump(exclude={"created_at"}),
        lineup=[
            LineupItemPublic(
                id=item.id,
                position=item.position,
                product_id=item.product_id,
                enterprise_id=item.enterprise_id,
                title=titles[item.product_id],
                image_url=thumbnails.get(item.product_id),
                sku_allocations=allocations.get(item.id, {}),
                live_price=Money.of(item.live_price_amount, stream.currency) if item.live_price_amount else None,
            )
            for item in items
        ],
        pinned_item_id=service.pinned_item_id(session, stream.id),
        flash_sales=_flash_sales(session, stream, now, current_only=True),
    )


def _sales(session: Session, stream_id: int, group_by):
    statement = (
        select(
            *group_by,
            func.count(func.distinct(SalesOrder.id)).label("orders"),
            func.sum(OrderLine.quantity).label("units"),
            figures.gross().label("gmv"),
            figures.refunds().label("refunds"),
        )
        .join(SalesOrder, SalesOrder.id == OrderLine.order_id)
        .where(SalesOrder.stream_id == stream_id, figures.COUNTED)
    )
    if group_by:
        statement = statement.group_by(*group_by)
    return list(session.execute(statement))


def _figures(row, currency: str, refused: int = 0) -> dict:
    """Gross and net: what the orders not cancelled sold, and that less what after-sales paid back."""
    gmv = row.gmv if row is not None and row.gmv is not None else Decimal(0)
    refunds = row.refunds if row is not None and row.refunds is not None else Decimal(0)
    return {
        "orders": int(row.orders or 0) if row is not None else 0,
        "units": int(row.units or 0) if row is not None else 0,
        "gmv": Money.of(gmv, currency),
        "refunds": Money.of(refunds, currency),
        "net": Money.of(gmv - refunds, currency),
        "refund_rate": figures.refund_rate(refunds, gmv),
        "refused_orders": refused,
    }


def _refused(session: Session, stream_id: int, column: Any) -> dict[Any, int]:
    """Orders of the stream refused for want of stock or of the deal, counted by ``column``."""
    return dict(
        session.execute(select(column, func.count()).where(StreamRefusal.stream_id == stream_id).group_by(column)).all()
    )


def _stock_by_sku(session: Session, stream_id: int) -> dict[int, list[SkuStockLeft]]:
    """Per lineup item, each SKU's units set aside for the stream and its general available stock."""
    rows = session.execute(
        select(
            LineupItem.id,
            Sku.id,
            Sku.sku_code,
            Sku.attributes,
            func.coalesce(StreamAllocation.remaining, 0),
            func.coalesce(StockLevel.available, 0),
        )
        .join(Sku, Sku.product_id == LineupItem.product_id)
        .outerjoin(StockLevel, StockLevel.sku_id == Sku.id)
        .outerjoin(
            StreamAllocation,
            (StreamAllocation.lineup_item_id == LineupItem.id) & (StreamAllocation.sku_id == Sku.id),
        )
        .where(LineupItem.stream_id == stream_id, LineupItem.removed_at.is_(None))
        .order_by(LineupItem.id, Sku.id)
    )
    skus: dict[int, list[SkuStockLeft]] = {}
    for item_id, sku_id, sku_code, attributes, allocated, available in rows:
        skus.setdefault(item_id, []).append(
            SkuStockLeft(
                sku_id=sku_id,
                sku_code=sku_code,
                attributes=attributes,
                allocated=int(allocated),
                available=int(available),
                stock_left=int(allocated) + int(available),
            )
        )
    return skus


def stream_stats(session: Session, *, actor: Actor, stream_id: int, languages: Sequence[str]) -> StreamStats:
    """Orders, units and GMV per lineup item, per firm and in total (cancelled orders left out)."""
    stream = service.stream_for(session, actor, stream_id)
    return StreamStats(**_stats_fields(session, stream, languages))


def _stats_fields(session: Session, stream: Stream, languages: Sequence[str]) -> dict:
    by_item = {row.lineup_item_id: row for row in _sales(session, stream.id, [OrderLine.lineup_item_id])}
    by_firm = {row.enterprise_id: row for row in _sales(session, stream.id, [OrderLine.enterprise_id])}
    totals = _sales(session, stream.id, [])
    refused_items = _refused(session, stream.id, StreamRefusal.lineup_item_id)
    refused_firms = _refused(session, stream.id, StreamRefusal.enterprise_id)
    items = _items(session, stream.id, include_removed=True)
    items = [item for item in items if item.position is not None or item.id in by_item]
    titles = product_titles(session, [item.product_id for item in items], languages)
    stock = _stock_by_sku(session, stream.id)
    firm_ids = {item.enterprise_id for item in items} | set(by_firm) | set(refused_firms)
    names = dict(session.execute(select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(firm_ids))).all())
    return {
        "stream_id": stream.id,
        "status": stream.status,
        "pinned_item_id": service.pinned_item_id(session, stream.id),
        "items": [
            ItemStats(
                item_id=item.id,
                position=item.position,
                product_id=item.product_id,
                enterprise_id=item.enterprise_id,
                title=titles[item.product_id],
                stock_left=sum(sku.stock_left for sku in stock.get(item.id, [])) if item.position is not None else 0,
                skus=stock.get(item.id, []) if item.position is not None else [],
                **_figures(by_item.get(item.id), stream.currency, refused_items.get(item.id, 0)),
            )
            for item in items
        ],
        "firms": [
            FirmStats(
                enterprise_id=firm_id,
                name=names.get(firm_id, ""),
                **_figures(by_firm.get(firm_id), stream.currency, refused_firms.get(firm_id, 0)),
            )
            for firm_id in sorted(firm_ids)
        ],
        "totals": SalesFigures(**_figures(totals[0] if totals else None, stream.currency, sum(refused_items.values()))),
    }


def stream_report(session: Session, *, actor: Actor, stream_id: int, languages: Sequence[str]) -> StreamReport:
    """The stats with who presented what and for how long, and every flash sale with what it sold."""
    stream = service.stream_for(session, actor, stream_id)
    now = utcnow()
    product_of = {item.id: item.product_id for item in _items(session, stream.id, include_removed=True)}
    pins = [
        PinPublic(
            item_id=pin.item_id,
            product_id=product_of[pin.item_id],
            pinned_by=pin.pinned_by,
            pinned_at=pin.pinned_at,
            unpinned_at=pin.unpinned_at,
            seconds=int(((pin.unpinned_at or now) - pin.pinned_at).total_seconds()),
        )
        for pin in service.pins_of(session, stream.id)
    ]
    return StreamReport(
        **_stats_fields(session, stream, languages),
        started_at=stream.started_at,
        ended_at=stream.ended_at,
        pins=pins,
        flash_sales=_flash_sales(session, stream, now, current_only=False),
    )
