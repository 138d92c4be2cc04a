"""Use cases of export customs: the platform's configuration, forming batches, reading them, revising.

Submission and customs results are in ``lifecycle``; what a batch is made of, in ``formation``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, exists, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.accounts.models import Actor, Role
from commerce.audit import service as audit
from commerce.clusters.models import Cluster, Enterprise, EnterpriseKind
from commerce.customs import calendar, formation, lifecycle, scope
from commerce.customs.codes import TRANSPORT_MODES
from commerce.customs.consolidation import HEADER_KEY, LINE_KEY
from commerce.customs.errors import (
    BatchNotRevisable,
    FormationCollided,
    NotAServicePlatform,
    NothingToDeclare,
    PeriodNotAllowed,
    PlatformAmbiguous,
    PlatformIncomplete,
    PlatformNotConfigured,
    PlatformNotInRegion,
    UnknownCodeValue,
)
from commerce.customs.models import (
    BatchKind,
    CustomsBatch,
    CustomsBatchOrder,
    CustomsDeclaration,
    CustomsDeclarationLine,
    CustomsExchangeRate,
    CustomsLineSource,
    CustomsPlatform,
    CustomsReceipt,
    CustomsStatus,
    ExchangeRateInput,
    PlatformConfig,
)
from commerce.db import upsert, utcnow, write_transaction
from commerce.errors import N_, NotFound
from commerce.orders.models import CustomsMode, OrderLine
from commerce.pagination import Page, fetch_page
from commerce.permissions import is_firm_scoped, require_role

_declaration = CustomsDeclaration.__table__
_line = CustomsDeclarationLine.__table__
_source = CustomsLineSource.__table__
_order_line = OrderLine.__table__


# The platform -------------------------------------------------------------------------------------


def configure_platform(session: Session, *, actor: Actor, cluster_id: int, data: PlatformConfig) -> CustomsPlatform:
    """Set the cluster's consignor for customs: a service platform registered in the cluster's region."""
    require_role(actor)
    cluster = session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFound()
    enterprise = session.get(Enterprise, data.enterprise_id)
    if enterprise is None or enterprise.kind != EnterpriseKind.SERVICE_PLATFORM or enterprise.cluster_id != cluster_id:
        raise NotAServicePlatform(field="enterprise_id")
    if enterprise.region_code != cluster.region_code:
        raise PlatformNotInRegion(field="enterprise_id", region=cluster.region_code, found=enterprise.region_code)
    registration = data.customs_registration
    if len(registration) == 18 and registration != enterprise.uscc:
        raise PlatformNotInRegion(field="customs_registration", region=cluster.region_code, found=registration)
    if len(registration) == 10 and registration[:5] != cluster.region_code:
        raise PlatformNotInRegion(field="customs_registration", region=cluster.region_code, found=registration[:5])
    for mode in data.transport_modes:
        if mode not in TRANSPORT_MODES:
            raise UnknownCodeValue(field="transport_modes", value=mode, table="transport mode")
    values: dict[str, Any] = {
        "enterprise_id": enterprise.id,
        "customs_registration": registration,
        "declaring_customs": data.declaring_customs,
        "exit_ports": list(data.exit_ports),
        "transport_modes": list(data.transport_modes),
        "ebp_code": data.ebp_code,
        "ebp_name": data.ebp_name,
        "dxp_id": data.dxp_id,
        "payment_code": data.payment_code,
        "payment_name": data.payment_name,
        "destination_port": data.destination_port,
        "wrap_type": data.wrap_type,
        "line_limit": data.line_limit,
        "procurement_cap_usd": data.procurement_cap_usd,
        "simplified_limit_cny": data.simplified_limit_cny,
        "licensed_hs_prefixes": list(data.licensed_hs_prefixes),
        "holidays": sorted(day.isoformat() for day in data.holidays),
        "working_weekend_days": sorted(day.isoformat() for day in data.working_weekend_days),
        "updated_at": utcnow(),
    }
    with write_transaction(session):
        platform = session.scalars(select(CustomsPlatform).where(CustomsPlatform.cluster_id == cluster_id)).first()
        created = platform is None
        if created:
            platform = CustomsPlatform(cluster_id=cluster_id, **values)
        else:
            for name, value in values.items():
                setattr(platform, name, value)
        session.add(platform)
        session.flush()
        changes = {name: value for name, value in values.items() if name != "updated_at"}
        changes = {name: (str(value) if isinstance(value, Decimal) else value) for name, value in changes.items()}
        audit.record(
            session,
            actor=actor,
            entity="customs_platform",
            entity_id=platform.id,
            action="configured" if created else "reconfigured",
            changes=changes,
        )
    session.refresh(platform)
    return platform


def list_platforms(session: Session, *, actor: Actor) -> list[CustomsPlatform]:
    require_role(actor, Role.TRADE_OPERATOR)
    statement = scope.within_platforms(select(CustomsPlatform), actor, CustomsPlatform.id)
    return list(session.scalars(statement.order_by(CustomsPlatform.id)))


def platform_for(session: Session, actor: Actor, platform_id: int | None) -> CustomsPlatform:
    """The platform a trade operator works for: theirs, the one named (of their cluster), or the
    only one they may use."""
    statement = scope.within_platforms(select(CustomsPlatform), actor, CustomsPlatform.id).order_by(CustomsPlatform.id)
    if platform_id is not None:
        platform = session.scalars(statement.where(CustomsPlatform.id == platform_id)).first()
        if platform is None:
            raise NotFound()
        return platform
    if actor.enterprise_id is not None:
        own = session.scalars(statement.where(CustomsPlatform.enterprise_id == actor.enterprise_id)).first()
        if own is not None:
            return own
    candidates = list(session.scalars(statement.limit(2)))
    if not candidates:
        raise PlatformNotConfigured()
    if len(candidates) > 1:
        raise PlatformAmbiguous(field="platform_id")
    return candidates[0]


def put_exchange_rates(session: Session, *, actor: Actor, rates: list[ExchangeRateInput]) -> list[CustomsExchangeRate]:
    """Record customs' monthly rates (CNY for one unit of a currency, from a day); a repeated day replaces."""
    require_role(actor, Role.TRADE_OPERATOR)
    rows = [
        {
            "currency": rate.currency,
            "valid_from": rate.valid_from,
            "cny_per_unit": rate.cny_per_unit,
            "source": "manual",
            "parity_day": None,
        }
        for rate in rates
    ]
    with write_transaction(session):
        store_exchange_rates(session, rows)
        audit.record(
            session,
            actor=actor,
            entity="customs_exchange_rate",
            entity_id=0,
            action="recorded",
            changes={"rates": [{key: str(value) for key, value in row.items()} for row in rows]},
        )
    return list_exchange_rates(session, actor=actor)


def store_exchange_rates(session: Session, rows: list[dict]) -> None:
    """Write customs' rates (currency, valid_from, cny_per_unit, source, parity_day); a repeated day replaces."""
    upsert(
        session,
        CustomsExchangeRate.__table__,
        rows,
        conflict_columns=["currency", "valid_from"],
        update_columns=["cny_per_unit", "source", "parity_day"],
    )


def list_exchange_rates(session: Session, *, actor: Actor) -> list[CustomsExchangeRate]:
    require_role(actor, Role.TRADE_OPERATOR)
    statement = select(CustomsExchangeRate).order_by(CustomsExchangeRate.currency, CustomsExchangeRate.valid_from)
    return list(session.scalars(statement))


# Forming ------------------------------------------------------------------------------------------


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
                after, upto = formation.claim_clearance_range(session, platform_id=platform.id, period=period)
                batch.from_clearance, batch.to_clearance = after, upto
                batch.due_date = formation.summary_due(platform, period)
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
    consignor = formation.consignor_of(session, platform)
    writer = formation.Writer.start(session, batch, consignor)
    if batch.kind == BatchKind.SUMMARY:
        rows = formation.summary_goods(session, batch)
        formation.write_summary(writer, rows, platform)
        return writer.flush()
    if claim:
        formation.claim_orders(
            session, batch_id=batch.id, platform=platform, customs_mode=batch.customs_mode, period=batch.period
        )
    return _write_order_batch(session, batch, platform, writer, now)


def _write_order_batch(
    session: Session, batch: CustomsBatch, platform: CustomsPlatform, writer: formation.Writer, now: datetime
) -> int:
    day = calendar.china_today(now)
    rated = batch.customs_mode in formation.RATED_MODES
    rates = formation.rates_on(session, day) if rated else None
    goods = formation.order_goods(session, batch_id=batch.id, consignor=writer.consignor, rates=rates, rate_day=day)
    if batch.kind == BatchKind.INVENTORY:
        formation.write_inventory_lists(writer, goods)
    elif batch.customs_mode == CustomsMode.MARKET_PROCUREMENT.value:
        formation.write_container_loads(writer, goods, platform)
    else:
        formation.write_declarations(writer, goods, platform, rates)
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
            orders = formation.orders_of_declarations(session, rejected)
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


# Reading ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class BatchView:
    batch: CustomsBatch
    declarations: list[Any]
    orders: int
    warnings: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _visible_declarations(actor: Actor):
    """Which declarations a reader sees: a firm only those holding its goods."""
    if not is_firm_scoped(actor):
        return None
    firm = actor.enterprise_id
    own_source = (
        select(literal(1))
        .select_from(
            _source.join(_line, _line.c.id == _source.c.declaration_line_id).join(
                _order_line, _order_line.c.id == _source.c.order_line_id
            )
        )
        .where(_line.c.declaration_id == _declaration.c.id, _order_line.c.enterprise_id == firm)
    )
    return or_(_declaration.c.owner_enterprise_id == firm, exists(own_source))


def _require_reader(actor: Actor) -> None:
    require_role(actor, Role.TRADE_OPERATOR, Role.SME)


def get_batch(session: Session, *, actor: Actor, batch_id: int, now: datetime | None = None) -> BatchView:
    """A batch and the declarations the reader may see (a firm: those holding its goods; 404 if none)."""
    _require_reader(actor)
    batch = scope.check_batch(session, actor, session.get(CustomsBatch, batch_id))
    line_count = (
        select(func.count()).select_from(_line).where(_line.c.declaration_id == _declaration.c.id).scalar_subquery()
    )
    statement = select(
        _declaration.c.id,
        _declaration.c.kind,
        _declaration.c.seq_no,
        _declaration.c.cop_no,
        _declaration.c.status,
        _declaration.c.entry_id,
        _declaration.c.owner_code,
        _declaration.c.arrival_country,
        _declaration.c.order_id,
        line_count.label("lines"),
    ).where(_declaration.c.batch_id == batch_id)
    visible = _visible_declarations(actor)
    if visible is not None:
        statement = statement.where(visible)
    declarations = list(session.execute(statement.order_by(_declaration.c.seq_no)))
    if visible is not None and not declarations:
        raise NotFound()
    orders = session.execute(
        select(func.count()).select_from(CustomsBatchOrder).where(CustomsBatchOrder.batch_id == batch_id)
    ).scalar_one()
    return BatchView(batch=batch, declarations=declarations, orders=orders, warnings=batch_warnings(batch, now))


BATCH_WARNINGS = {
    "summary_overdue": N_("The summary was due on {due_date}."),
    "summary_due_soon": N_("The summary is due on {due_date}."),
}


def batch_warnings(batch: CustomsBatch, now: datetime | None = None) -> list[tuple[str, dict[str, str]]]:
    """What the operator should act on (a summary due soon or overdue): codes of BATCH_WARNINGS and their values."""
    if batch.due_date is None or batch.status != CustomsStatus.DRAFT:
        return []
    today = calendar.china_today(now or utcnow())
    values = {"due_date": batch.due_date.isoformat()}
    if today > batch.due_date:
        return [("summary_overdue", values)]
    if (batch.due_date - today).days <= calendar.DUE_SOON_DAYS:
        return [("summary_due_soon", values)]
    return []


def list_batches(
    session: Session,
    *,
    actor: Actor,
    limit: int,
    after: int | None,
    customs_mode: str | None = None,
    status: str | None = None,
    period: str | None = None,
) -> Page:
    _require_reader(actor)
    statement = scope.within_platforms(select(CustomsBatch), actor, CustomsBatch.platform_id)
    if customs_mode is not None:
        statement = statement.where(CustomsBatch.customs_mode == customs_mode)
    if status is not None:
        statement = statement.where(CustomsBatch.status == status)
    if period is not None:
        statement = statement.where(CustomsBatch.period == period)
    visible = _visible_declarations(actor)
    if visible is not None:
        statement = statement.where(
            exists(select(literal(1)).where(_declaration.c.batch_id == CustomsBatch.id, visible))
        )
    return fetch_page(session, statement, id_column=CustomsBatch.id, limit=limit, after=after)


@dataclass(slots=True)
class LineView:
    line: Any
    firms: list[tuple[int, list[int], int]]


@dataclass(slots=True)
class DeclarationView:
    declaration: CustomsDeclaration
    lines: list[LineView]
    order_ids: list[int]
    inventory_list_ids: list[int]
    receipts: list[CustomsReceipt]
    firm_names: dict[int, tuple[str, str]] = field(default_factory=dict)


def get_declaration(session: Session, *, actor: Actor, declaration_id: int) -> DeclarationView:
    """A declaration: header, the lines the reader may see with the firms and orders in each, receipts."""
    _require_reader(actor)
    statement = select(CustomsDeclaration).where(CustomsDeclaration.id == declaration_id)
    visible = _visible_declarations(actor)
    if visible is not None:
        statement = statement.where(visible)
    declaration = session.scalars(statement).first()
    if declaration is None:
        raise NotFound()
    lines = list(
        session.scalars(
            select(CustomsDeclarationLine)
            .where(CustomsDeclarationLine.declaration_id == declaration_id)
            .order_by(CustomsDeclarationLine.line_no)
        )
    )
    batch = scope.check_batch(session, actor, session.get(CustomsBatch, declaration.batch_id))
    if batch.kind == BatchKind.SUMMARY:
        merged = _merged_lists(session, batch, declaration, lines)
        firms = _firms_of_summary_lines(declaration, lines, merged)
        lists = sorted({list_id for list_id, _, _ in merged})
    else:
        firms = _firms_of_lines(session, lines)
        lists = []
    firm = actor.enterprise_id if is_firm_scoped(actor) else None
    views = []
    for line in lines:
        line_firms = firms.get(line.id, [])
        if firm is not None and declaration.owner_enterprise_id != firm:
            line_firms = [entry for entry in line_firms if entry[0] == firm]
            if not line_firms:
                continue
        views.append(LineView(line=line, firms=line_firms))
    order_ids = sorted({order_id for view in views for _, orders, _ in view.firms for order_id in orders})
    receipts = list(
        session.scalars(
            select(CustomsReceipt).where(CustomsReceipt.declaration_id == declaration_id).order_by(CustomsReceipt.id)
        )
    )
    firm_ids = {firm_id for view in views for firm_id, _, _ in view.firms}
    names = {
        row.id: (row.name, row.uscc)
        for row in session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.uscc).where(Enterprise.id.in_(firm_ids))
        )
    }
    return DeclarationView(declaration, views, order_ids, lists if firm is None else [], receipts, names)


def _firms_of_lines(
    session: Session, lines: list[CustomsDeclarationLine]
) -> dict[int, list[tuple[int, list[int], int]]]:
    """Per line of a list or full declaration: (firm, its orders, pieces) from the order lines it declares."""
    line_ids = [line.id for line in lines]
    if not line_ids:
        return {}
    direct = (
        select(_line.c.id, _order_line.c.enterprise_id, _order_line.c.order_id, _order_line.c.quantity)
        .join(_order_line, _order_line.c.id == _line.c.order_line_id)
        .where(_line.c.id.in_(line_ids))
    )
    sourced = (
        select(_source.c.declaration_line_id, _order_line.c.enterprise_id, _order_line.c.order_id, _source.c.quantity)
        .join(_order_line, _order_line.c.id == _source.c.order_line_id)
        .where(_source.c.declaration_line_id.in_(line_ids))
    )
    grouped: dict[int, dict[int, tuple[set[int], int]]] = defaultdict(dict)
    for line_id, enterprise_id, order_id, pieces in [*session.execute(direct), *session.execute(sourced)]:
        orders, count = grouped[line_id].get(enterprise_id, (set(), 0))
        orders.add(order_id)
        grouped[line_id][enterprise_id] = (orders, count + pieces)
    return {
        line_id: [(firm, sorted(orders), count) for firm, (orders, count) in sorted(firms.items())]
        for line_id, firms in grouped.items()
    }


def _line_key(line: Any) -> tuple:
    return tuple(getattr(line, name) for name in LINE_KEY)


def _merged_lists(
    session: Session, batch: CustomsBatch, declaration: CustomsDeclaration, lines: list[CustomsDeclarationLine]
) -> list[tuple[int, int, tuple]]:
    """The lists a summary declaration merges: (list, its order, line key) for each of their lines of its keys."""
    lists = _declaration.alias("inventory")
    rows = session.execute(
        select(lists.c.id, lists.c.order_id, *[_line.c[name] for name in LINE_KEY])
        .join(lists, lists.c.id == _line.c.declaration_id)
        .where(
            *formation.summary_stretch(lists, batch),
            *[lists.c[name] == getattr(declaration, name) for name in HEADER_KEY],
        )
    )
    keys = {_line_key(line) for line in lines}
    return [(row[0], row[1], tuple(row[2:])) for row in rows if tuple(row[2:]) in keys]


def _firms_of_summary_lines(
    declaration: CustomsDeclaration, lines: list[CustomsDeclarationLine], merged: list[tuple[int, int, tuple]]
) -> dict[int, list[tuple[int, list[int], int]]]:
    """A summary line's firm is the header's producing firm; its orders are those of the lists it merges."""
    orders: dict[tuple, set[int]] = defaultdict(set)
    for _, order_id, key in merged:
        orders[key].add(order_id)
    return {
        line.id: [(declaration.owner_enterprise_id, sorted(orders[_line_key(line)]), int(line.quantity))]
        for line in lines
    }


def require_operator(actor: Actor) -> None:
    """Only the trade operators (and admins) act on batches and read the messages."""
    require_role(actor, Role.TRADE_OPERATOR)
