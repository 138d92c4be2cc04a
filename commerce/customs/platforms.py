"""The foreign-trade service platform of a cluster: its customs registrations and settings, and
the exchange rates customs publishes each month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.models import Cluster, Enterprise, EnterpriseKind
from commerce.customs import scope
from commerce.customs.codes import TRANSPORT_MODES
from commerce.customs.errors import (
    NotAServicePlatform,
    PlatformAmbiguous,
    PlatformNotConfigured,
    PlatformNotInRegion,
    UnknownCodeValue,
)
from commerce.customs.models import CustomsExchangeRate, CustomsPlatform
from commerce.customs.shapes import ExchangeRateInput, PlatformConfig
from commerce.db import utcnow, write_transaction
from commerce.errors import NotFound
from commerce.sql import upsert


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


def require_operator(actor: Actor) -> None:
    """Only the trade operators (and admins) act on batches and read the messages."""
    require_role(actor, Role.TRADE_OPERATOR)
