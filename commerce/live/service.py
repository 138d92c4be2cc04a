"""Use cases of livestreams: scheduling, the lineup and its allocations, start and end, pinning."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session

from commerce.accounts.models import User
from commerce.actors import Actor, Role, require_role
from commerce.catalog.models import Product, ProductStatus, Sku
from commerce.clusters.errors import NotAMember, UnknownReference
from commerce.clusters.trademarks import usable_trademarks
from commerce.db import utcnow, write_transaction
from commerce.errors import InvalidStatusTransition, NotFound
from commerce.inventory import reservations
from commerce.inventory.errors import InsufficientStock
from commerce.live.errors import (
    CurrencyMismatch,
    DuplicateLineupProduct,
    ItemNotInLineup,
    LineupTooLong,
    NotAHost,
    ProductNotApproved,
    SkuNotOfProduct,
    StreamClosed,
)
from commerce.live.models import FlashSale, LineupInput, LineupItem, Stream, StreamCreate, StreamPin, StreamStatus
from commerce.pagination import Page, fetch_page

OPEN_STATUSES = (StreamStatus.SCHEDULED.value, StreamStatus.LIVE.value)


def stream_for(session: Session, actor: Actor, stream_id: int, *, for_update: bool = False) -> Stream:
    """A stream the actor runs (hosts run their own streams; admins all of them)."""
    require_role(actor, Role.HOST)
    statement = select(Stream).where(Stream.id == stream_id)
    if for_update:
        statement = statement.with_for_update()
    stream = session.scalars(statement.execution_options(populate_existing=True)).first()
    if stream is None or (actor.role == Role.HOST and stream.host_user_id != actor.user_id):
        raise NotFound()
    return stream


def create_stream(session: Session, *, actor: Actor, data: StreamCreate) -> Stream:
    """Schedule a stream; a host schedules their own, an admin names the host."""
    require_role(actor, Role.HOST)
    host_user_id = data.host_user_id if actor.role == Role.ADMIN else actor.user_id
    with write_transaction(session):
        if host_user_id is None:
            raise NotAHost(field="host_user_id", user_id="-")
        host = session.get(User, host_user_id)
        if host is None or host.role != Role.HOST.value or not host.is_active:
            raise NotAHost(field="host_user_id", user_id=host_user_id)
        stream = Stream(
            **data.model_dump(exclude={"host_user_id", "scheduled_start"}),
            scheduled_start=data.scheduled_start.astimezone(UTC),
            host_user_id=host_user_id,
        )
        session.add(stream)
        session.flush()
        return stream


def list_streams(
    session: Session, *, actor: Actor, limit: int, after: int | None, status: StreamStatus | None = None
) -> Page[Stream]:
    """Streams the actor runs, oldest first."""
    require_role(actor, Role.HOST)
    statement = select(Stream)
    if actor.role == Role.HOST:
        statement = statement.where(Stream.host_user_id == actor.user_id)
    if status is not None:
        statement = statement.where(Stream.status == status.value)
    return fetch_page(session, statement, id_column=Stream.id, limit=limit, after=after)


def get_stream(session: Session, *, actor: Actor, stream_id: int) -> Stream:
    return stream_for(session, actor, stream_id)


def _check_products(session: Session, stream: Stream, data: LineupInput, limit: int) -> dict[int, Product]:
    if len(data.items) > limit:
        raise LineupTooLong(field="items", limit=limit)
    seen: set[int] = set()
    for index, item in enumerate(data.items):
        if item.product_id in seen:
            raise DuplicateLineupProduct(field=f"items.{index}.product_id", product_id=item.product_id)
        seen.add(item.product_id)
    products = {product.id: product for product in session.scalars(select(Product).where(Product.id.in_(seen))).all()}
    marked = {product.enterprise_id for product in products.values() if product.trademark_id is not None}
    usable = usable_trademarks(session, enterprise_ids=marked, day=utcnow().date())
    for index, item in enumerate(data.items):
        field = f"items.{index}"
        product = products.get(item.product_id)
        if product is None:
            raise UnknownReference(field=f"{field}.product_id", entity="Product", id=item.product_id)
        if product.status != ProductStatus.APPROVED.value:
            raise ProductNotApproved(field=f"{field}.product_id", product_id=item.product_id)
        if product.trademark_id is not None and (product.enterprise_id, product.trademark_id) not in usable:
            raise NotAMember(field=f"{field}.product_id")
        if item.live_price is not None and item.live_price.currency != stream.currency:
            raise CurrencyMismatch(field=f"{field}.live_price.currency", currency=stream.currency)
    return products


def _wanted_allocations(session: Session, data: LineupInput) -> dict[int, dict[int, int] | None]:
    """Per product: the units to ring-fence per SKU (every SKU of the product named), or None to keep them."""
    skus_of: dict[int, set[int]] = {}
    for sku_id, product_id in session.execute(
        select(Sku.id, Sku.product_id).where(Sku.product_id.in_([item.product_id for item in data.items]))
    ):
        skus_of.setdefault(product_id, set()).add(sku_id)
    wanted: dict[int, dict[int, int] | None] = {}
    for index, item in enumerate(data.items):
        if item.sku_allocations is None:
            wanted[item.product_id] = None
            continue
        own = skus_of.get(item.product_id, set())
        quantities = dict.fromkeys(own, 0)
        for key, quantity in item.sku_allocations.items():
            sku_id = int(key) if key.isascii() and key.isdigit() else None
            if sku_id not in own:
                raise SkuNotOfProduct(
                    field=f"items.{index}.sku_allocations.{key}", sku_id=key, product_id=item.product_id
                )
            quantities[sku_id] = quantity
        wanted[item.product_id] = quantities
    return wanted


def replace_lineup(session: Session, *, actor: Actor, stream_id: int, data: LineupInput, limit: int) -> Stream:
    """Make the lineup exactly the given products, in that order, with their prices and allocations."""
    with write_transaction(session):
        stream = stream_for(session, actor, stream_id, for_update=True)
        if stream.status not in OPEN_STATUSES:
            raise StreamClosed(status=stream.status)
        _check_products(session, stream, data, limit)
        wanted = _wanted_allocations(session, data)
        now = utcnow()
        existing = {
            item.product_id: item
            for item in session.scalars(select(LineupItem).where(LineupItem.stream_id == stream.id)).all()
        }
        listed: dict[int, LineupItem] = {}
        for position, entry in enumerate(data.items, start=1):
            item = existing.get(entry.product_id)
            if item is None:
                item = LineupItem(stream_id=stream.id, product_id=entry.product_id, added_at=now)
                session.add(item)
            item.position = position
            item.removed_at = None
            item.live_price_amount = entry.live_price.amount if entry.live_price else None
            listed[entry.product_id] = item
        session.flush()
        removed = [
            item.id for product_id, item in existing.items() if product_id not in listed and item.position is not None
        ]
        if removed:
            take_off_lineup(session, stream_id=stream.id, item_ids=removed, actor=actor, now=now)
        _allocate(session, stream, data, wanted, listed, actor=actor, now=now)
        return stream


def _allocate(session, stream, data, wanted, listed, *, actor: Actor, now: datetime) -> None:
    current = reservations.allocations_of(session, stream_id=stream.id)
    field_of = {item.product_id: index for index, item in enumerate(data.items)}
    changes = []
    for product_id, quantities in wanted.items():
        if quantities is None:
            continue
        item = listed[product_id]
        for sku_id, quantity in quantities.items():
            changes.append((sku_id, item.id, quantity, product_id))
    movements = []
    # SKUs in id order, so that two transactions touching the same stock rows lock them in the same order.
    for sku_id, item_id, quantity, product_id in sorted(changes):
        done, movement = reservations.set_allocation(
            session,
            stream_id=stream.id,
            lineup_item_id=item_id,
            sku_id=sku_id,
            quantity=quantity,
            current=current.get((item_id, sku_id)),
            now=now,
            actor_user_id=actor.user_id,
        )
        if not done:
            raise InsufficientStock(field=f"items.{field_of[product_id]}.sku_allocations.{sku_id}", sku_id=sku_id)
        if movement:
            movements.append(movement)
    reservations.record(session, movements)


def take_off_lineup(session: Session, *, stream_id: int, item_ids: Sequence[int], actor: Actor, now: datetime) -> None:
    """Items leave a lineup: their allocations return to stock, their flash sales stop, a pin on them ends."""
    session.execute(
        update(LineupItem)
        .where(LineupItem.id.in_(list(item_ids)), LineupItem.removed_at.is_(None))
        .values(removed_at=now, position=None)
    )
    reservations.release_allocations(
        session, stream_id=stream_id, now=now, actor_user_id=actor.user_id, lineup_item_ids=item_ids
    )
    close_flash_sales(session, stream_id=stream_id, now=now, item_ids=item_ids)
    session.execute(
        update(StreamPin)
        .where(StreamPin.stream_id == stream_id, StreamPin.unpinned_at.is_(None), StreamPin.item_id.in_(list(item_ids)))
        .values(unpinned_at=now)
    )


def close_flash_sales(
    session: Session, *, stream_id: int, now: datetime, item_ids: Sequence[int] | None = None
) -> None:
    """Stop running flash sales now and drop those not started yet."""
    running = update(FlashSale).where(
        FlashSale.stream_id == stream_id, FlashSale.starts_at <= now, FlashSale.ends_at > now
    )
    upcoming = delete(FlashSale).where(FlashSale.stream_id == stream_id, FlashSale.starts_at > now)
    if item_ids is not None:
        running = running.where(FlashSale.item_id.in_(list(item_ids)))
        upcoming = upcoming.where(FlashSale.item_id.in_(list(item_ids)))
    session.execute(running.values(ends_at=now))
    session.execute(upcoming)


def _move(session: Session, actor: Actor, stream_id: int, allowed: set[str], target: StreamStatus) -> Stream:
    with write_transaction(session):
        stream = stream_for(session, actor, stream_id, for_update=True)
        if stream.status not in allowed:
            raise InvalidStatusTransition(current=stream.status, target=target.value)
        now = utcnow()
        stream.status = target.value
        if target == StreamStatus.LIVE:
            stream.started_at = now
        else:
            stream.ended_at = now
            session.execute(
                update(StreamPin)
                .where(StreamPin.stream_id == stream.id, StreamPin.unpinned_at.is_(None))
                .values(unpinned_at=now)
            )
            close_flash_sales(session, stream_id=stream.id, now=now)
            reservations.release_allocations(session, stream_id=stream.id, now=now, actor_user_id=actor.user_id)
        session.flush()
        return stream


def start_stream(session: Session, *, actor: Actor, stream_id: int) -> Stream:
    """Go live."""
    return _move(session, actor, stream_id, {StreamStatus.SCHEDULED.value}, StreamStatus.LIVE)


def end_stream(session: Session, *, actor: Actor, stream_id: int) -> Stream:
    """End a live stream: the pin and running flash sales stop, unsold allocations return to general stock."""
    return _move(session, actor, stream_id, {StreamStatus.LIVE.value}, StreamStatus.ENDED)


def cancel_stream(session: Session, *, actor: Actor, stream_id: int) -> Stream:
    """Call off a stream that has not started; its allocations return to general stock."""
    return _move(session, actor, stream_id, {StreamStatus.SCHEDULED.value}, StreamStatus.CANCELLED)


def pin_item(session: Session, *, actor: Actor, stream_id: int, item_id: int) -> Stream:
    """Present one lineup item; the item presented before is unpinned in the same step."""
    with write_transaction(session):
        stream = stream_for(session, actor, stream_id, for_update=True)
        if stream.status not in OPEN_STATUSES:
            raise StreamClosed(status=stream.status)
        item = session.get(LineupItem, item_id)
        if item is None or item.stream_id != stream.id or item.removed_at is not None:
            raise ItemNotInLineup(field="item_id", item_id=item_id)
        current = session.scalars(
            select(StreamPin).where(StreamPin.stream_id == stream.id, StreamPin.unpinned_at.is_(None))
        ).first()
        if current is not None and current.item_id == item_id:
            return stream
        now = utcnow()
        if current is not None:
            current.unpinned_at = now
            session.flush()
        session.add(StreamPin(stream_id=stream.id, item_id=item_id, pinned_by=actor.user_id, pinned_at=now))
        session.flush()
        return stream


def unpin(session: Session, *, actor: Actor, stream_id: int) -> Stream:
    """Present nothing."""
    with write_transaction(session):
        stream = stream_for(session, actor, stream_id, for_update=True)
        session.execute(
            update(StreamPin)
            .where(StreamPin.stream_id == stream.id, StreamPin.unpinned_at.is_(None))
            .values(unpinned_at=utcnow())
        )
        return stream


def pinned_item_id(session: Session, stream_id: int) -> int | None:
    return session.scalars(
        select(StreamPin.item_id).where(StreamPin.stream_id == stream_id, StreamPin.unpinned_at.is_(None))
    ).first()


def pins_of(session: Session, stream_id: int) -> list[StreamPin]:
    return list(session.scalars(select(StreamPin).where(StreamPin.stream_id == stream_id).order_by(StreamPin.id)))
