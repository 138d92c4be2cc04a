"""Exports a firm made through agents elsewhere, reported so the cluster sees its whole trade."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.models import Enterprise
from commerce.clusters.permissions import require_reachable_firm, within_reach
from commerce.customs import calendar
from commerce.customs.batch_goods import rates_on
from commerce.db import write_transaction
from commerce.errors import N_, NotFound, ValidationFailed
from commerce.rebates.arithmetic import require_amount
from commerce.reports.models import (
    OutsideExport,
    OutsideExportInput,
)
from commerce.reports.statistics import refresh_period


class OutsideCurrencyUnrated(ValidationFailed):
    code = "exchange_rate_missing"
    message = N_("There is no customs exchange rate for {currency} in {period}; add it before reporting in it.")


def report_outside_export(session: Session, *, actor: Actor, data: OutsideExportInput) -> OutsideExport:
    """A firm reports exports declared by an outside agent; the month's summary is rebuilt with them."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    require_amount(data.fob.amount, field="fob")
    with write_transaction(session):
        require_reachable_firm(session, actor, data.enterprise_id)
        enterprise = session.get(Enterprise, data.enterprise_id)
        if enterprise is None:
            raise NotFound()
        rates = rates_on(session, calendar.first_day(data.period))
        for currency in (data.fob.currency, "USD"):
            if currency not in rates:
                raise OutsideCurrencyUnrated(field="fob", currency=currency, period=data.period)
        record = OutsideExport(
            enterprise_id=enterprise.id,
            period=data.period,
            destination_country=data.destination_country,
            hs_code=data.hs_code,
            customs_mode=data.customs_mode.value if data.customs_mode else None,
            quantity=data.quantity,
            fob_amount=data.fob.amount,
            currency=data.fob.currency,
            agent_name=data.agent_name,
            reported_by=actor.user_id,
        )
        session.add(record)
        session.flush()
        audit.record(
            session,
            actor=actor,
            entity="outside_export",
            entity_id=record.id,
            action="reported",
            changes={"period": data.period, "fob": f"{data.fob.amount:f} {data.fob.currency}"},
        )
        refresh_period(session, data.period)
    return record


def withdraw_outside_export(session: Session, *, actor: Actor, outside_export_id: int) -> None:
    """Take back an outside export reported by mistake; its month's summary is rebuilt without it."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    with write_transaction(session):
        record = session.get(OutsideExport, outside_export_id)
        if record is None:
            raise NotFound()
        require_reachable_firm(session, actor, record.enterprise_id)
        period = record.period
        audit.record(
            session,
            actor=actor,
            entity="outside_export",
            entity_id=record.id,
            action="withdrawn",
            changes={"period": period, "fob": f"{record.fob_amount:f} {record.currency}", "agent": record.agent_name},
        )
        session.delete(record)
        session.flush()
        refresh_period(session, period)


def list_outside_exports(session: Session, *, actor: Actor, period: str | None) -> list[OutsideExport]:
    require_role(actor, Role.SME, Role.TRADE_OPERATOR, Role.BRAND_ADMIN)
    statement = within_reach(select(OutsideExport), actor, OutsideExport.enterprise_id).order_by(OutsideExport.id)
    if period is not None:
        statement = statement.where(OutsideExport.period == period)
    return list(session.scalars(statement.limit(5000)))
