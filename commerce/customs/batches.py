"""Forming batches of export orders (or of a month's cleared lists for a 9610 summary),
discarding a batch not yet sent and revising one customs sent back.

Submission and customs results are in ``lifecycle``; what a batch is made of, in ``claiming``,
``batch_goods``, ``writing`` and ``monthly_summary``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.customs import batch_goods, calendar, cancellation, claiming, lifecycle, monthly_summary, scope, writing
from commerce.customs.errors import (
    BatchNotRevisable,
    CancellationAwaited,
    FormationCollided,
    NothingToDeclare,
    PeriodNotAllowed,
    PlatformIncomplete,
)
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsLineSource,
    CustomsPlatform,
    CustomsStatus,
)
from commerce.customs.platforms import platform_for
from commerce.db import utcnow, write_transaction
from commerce.orders.models import CustomsMode

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_source = CustomsLineSource.__table__


# What a platform must have set before it can declare 9610 parcels (their CEB403 and CEB603 name them).
PARCEL_SETTINGS = ("payment_name", "destination_port")


def form_batch(
    session: Session,
    *,
    actor: Actor,
    customs_mode: CustomsMode,
    period: str | None = None,
    platform_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Form a batch from what no batch holds yet; returns its id (409 nothing_to_declare if empty)."""
    require_role(actor, Role.TRADE_OPERATOR)
    now = now or utcnow()
    mode = CustomsMode(customs_mode).value
    summary = mode == CustomsMode.CROSS_BORDER_B2C.value and period is not None
    if summary and period >= calendar.period_of(now):
        raise PeriodNotAllowed(field="period")
    kind = (
        BatchKind.SUMMARY
        if summary
        else BatchKind.INVENTORY
        if mode == CustomsMode.CROSS_BORDER_B2C.value
        else BatchKind.DECLARATION
    )
    platform = platform_for(session, actor, platform_id)
    if kind == BatchKind.INVENTORY:
        missing = [name for name in PARCEL_SETTINGS if not getattr(platform, name)]
        if missing:
            raise PlatformIncomplete(field=missing[0], fields=", ".join(missing))
    try:
        with write_transaction(session):
            batch = CustomsBatch(
                platform_id=platform.id,
                customs_mode=mode,
                kind=kind.value,
                period=period,
                created_by=actor.user_id,
                created_at=now,
                status_changed_at=now,
            )
            if summary:
                after, upto = claiming.claim_clearance_range(session, platform_id=platform.id, period=period)
                awaited = cancellation.awaited_in_stretch(
                    session, platform_id=platform.id, period=period, after=after, upto=upto
                )
                if awaited:
                    raise CancellationAwaited(lists=", ".join(awaited[:5]))
                batch.from_clearance, batch.to_clearance = after, upto
                batch.due_date = monthly_summary.summary_due(platform, period)
            session.add(batch)
            session.flush()
            written = _write_batch(session, batch, platform, now)
            if written == 0:
                raise NothingToDeclare()
            audit.record(
                session,
                actor=actor,
                entity="customs_batch",
                entity_id=batch.id,
                action="formed",
                changes={"customs_mode": mode, "period": period, "declarations": written},
            )
    except IntegrityError as error:
        # Another summary of the same stretch was formed at the same moment.
        raise FormationCollided() from error
    return batch.id


def _write_batch(
    session: Session, batch: CustomsBatch, platform: CustomsPlatform, now: datetime, *, claim: bool = True
) -> int:
    """Write the batch's declarations: of its stretch of cleared lists, or of its orders (taken first if ``claim``)."""
    consignor = batch_goods.consignor_of(session, platform)
    writer = writing.Writer.start(session, batch, consignor)
    if batch.kind == BatchKind.SUMMARY:
        rows = monthly_summary.summary_goods(session, batch)
        monthly_summary.write_summary(writer, rows, platform)
        return writer.flush()
    if claim:
        claiming.claim_orders(
            session, batch_id=batch.id, platform=platform, customs_mode=batch.customs_mode, period=batch.period
        )
    return _write_order_batch(session, batch, platform, writer, now)


def _write_order_batch(
    session: Session, batch: CustomsBatch, platform: CustomsPlatform, writer: writing.Writer, now: datetime
) -> int:
    day = calendar.china_today(now)
    rated = batch.customs_mode in batch_goods.RATED_MODES
    rates = batch_goods.rates_on(session, day) if rated else None
    goods = batch_goods.order_goods(session, batch_id=batch.id, consignor=writer.consignor, rates=rates, rate_day=day)
    if batch.kind == BatchKind.INVENTORY:
        writing.write_inventory_lists(writer, goods)
    elif batch.customs_mode == CustomsMode.MARKET_PROCUREMENT.value:
        writing.write_container_loads(writer, goods, platform)
    else:
        writing.write_declarations(writer, goods, platform, rates)
    return writer.flush()


def discard_batch(session: Session, *, actor: Actor, batch_id: int) -> None:
    """Drop a draft batch: its orders become eligible again; nothing was sent."""
    require_role(actor, Role.TRADE_OPERATOR)
    with write_transaction(session):
        batch = lifecycle.draft_for_change(session, batch_id, actor=actor)
        declaration_ids = select(_declaration.c.id).where(_declaration.c.batch_id == batch_id)
        line_ids = select(_line.c.id).where(_line.c.declaration_id.in_(declaration_ids))
        session.execute(delete(_source).where(_source.c.declaration_line_id.in_(line_ids)))
        session.execute(delete(_line).where(_line.c.declaration_id.in_(declaration_ids)))
        session.execute(delete(_declaration).where(_declaration.c.batch_id == batch_id))
        session.execute(delete(CustomsBatchOrder.__table__).where(CustomsBatchOrder.batch_id == batch_id))
        if batch.previous_id is not None:
            session.execute(
                update(CustomsBatch.__table__).where(CustomsBatch.id == batch.previous_id).values(superseded_by_id=None)
            )
        session.delete(batch)
        audit.record(session, actor=actor, entity="customs_batch", entity_id=batch_id, action="discarded")


def revise_batch(session: Session, *, actor: Actor, batch_id: int, now: datetime | None = None) -> int:
    """A new version of a rejected batch, formed afresh from what was rejected; the old one is kept as it was.

    For orders: the orders of the rejected declarations move to the new version. For a 9610
    summary: the same stretch of cleared lists is summarised again.
    """
    require_role(actor, Role.TRADE_OPERATOR)
    now = now or utcnow()
    with write_transaction(session):
        old = scope.check_batch(session, actor, session.get(CustomsBatch, batch_id, with_for_update=True))
        rejected = session.scalars(
            select(CustomsDeclaration.id).where(
                CustomsDeclaration.batch_id == batch_id, CustomsDeclaration.status == CustomsStatus.REJECTED.value
            )
        ).all()
        if not rejected or old.superseded_by_id is not None:
            raise BatchNotRevisable()
        platform = session.get(CustomsPlatform, old.platform_id)
        batch = CustomsBatch(
            platform_id=old.platform_id,
            customs_mode=old.customs_mode,
            kind=old.kind,
            period=old.period,
            version=old.version + 1,
            previous_id=old.id,
            to_clearance=old.to_clearance,
            due_date=old.due_date,
            created_by=actor.user_id,
            created_at=now,
            status_changed_at=now,
        )
        # The new version takes the old one's stretch only once the old one is marked superseded.
        session.add(batch)
        session.flush()
        old.superseded_by_id = batch.id
        session.add(old)
        session.flush()
        batch.from_clearance = old.from_clearance
        session.add(batch)
        session.flush()
        if batch.kind != BatchKind.SUMMARY:
            orders = claiming.orders_of_declarations(session, rejected)
            session.execute(
                update(CustomsBatchOrder.__table__)
                .where(CustomsBatchOrder.order_id.in_(orders), CustomsBatchOrder.batch_id == old.id)
                .values(batch_id=batch.id)
            )
        written = _write_batch(session, batch, platform, now, claim=False)
        audit.record(
            session,
            actor=actor,
            entity="customs_batch",
            entity_id=batch.id,
            action="revised",
            changes={"previous_id": old.id, "version": batch.version, "declarations": written},
        )
    return batch.id
