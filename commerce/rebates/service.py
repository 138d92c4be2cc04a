"""Use cases of the rebate side that are records of fact: export proceeds received, a period's VAT figures."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.db import write_transaction
from commerce.orders import service as orders
from commerce.rebates.arithmetic import require_amount
from commerce.rebates.errors import NotCny, ProceedsCurrencyWrong, ProceedsDiffer, ProceedsNotExport
from commerce.rebates.models import ExportProceeds, VatReturn
from commerce.rebates.profiles import exporting_firm
from commerce.rebates.shapes import ProceedsInput, VatReturnInput


def _visible_order(session: Session, actor: Actor, order_id: int):
    """The order, if the actor sees it (a firm: one holding its lines; the platform: its cluster's)."""
    return orders.get_order(session, actor=actor, order_id=order_id).order


def record_proceeds(session: Session, *, actor: Actor, data: ProceedsInput) -> tuple[ExportProceeds, bool]:
    """Record export proceeds received for an order; the same reference again answers the stored record."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    with write_transaction(session):
        order = _visible_order(session, actor, data.order_id)
        if order.customs_mode is None:
            raise ProceedsNotExport(field="order_id")
        if data.amount.currency != order.currency:
            raise ProceedsCurrencyWrong(field="amount", expected=order.currency)
        require_amount(data.amount.amount, field="amount", places=4)
        existing = session.scalar(
            select(ExportProceeds).where(
                ExportProceeds.order_id == order.id, ExportProceeds.reference == data.reference
            )
        )
        if existing is not None:
            if (existing.amount, existing.received_on) == (data.amount.amount, data.received_on):
                return existing, False
            raise ProceedsDiffer(field="reference", reference=data.reference)
        proceeds = ExportProceeds(
            order_id=order.id,
            amount=data.amount.amount,
            currency=data.amount.currency,
            received_on=data.received_on,
            reference=data.reference,
            recorded_by=actor.user_id,
        )
        session.add(proceeds)
        session.flush()
        audit.record(
            session,
            actor=actor,
            entity="export_proceeds",
            entity_id=proceeds.id,
            action="recorded",
            changes={"order_id": order.id, "amount": f"{data.amount.amount:f} {order.currency}"},
        )
    return proceeds, True


def list_proceeds(session: Session, *, actor: Actor, order_id: int) -> list[ExportProceeds]:
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    _visible_order(session, actor, order_id)
    return list(
        session.scalars(select(ExportProceeds).where(ExportProceeds.order_id == order_id).order_by(ExportProceeds.id))
    )


def record_vat_return(session: Session, *, actor: Actor, data: VatReturnInput) -> VatReturn:
    """A manufacturer's domestic output VAT and input VAT for a period; given again, replaced."""
    require_role(actor, Role.SME, Role.TRADE_OPERATOR)
    if data.output_vat.currency != "CNY" or data.input_vat.currency != "CNY":
        raise NotCny(field="output_vat")
    require_amount(data.output_vat.amount, field="output_vat", allow_zero=True)
    require_amount(data.input_vat.amount, field="input_vat", allow_zero=True)
    with write_transaction(session):
        enterprise = exporting_firm(session, actor, data.enterprise_id)
        figures = session.get(VatReturn, (enterprise.id, data.period)) or VatReturn(
            enterprise_id=enterprise.id, period=data.period, output_vat=0, input_vat=0
        )
        figures.output_vat = data.output_vat.amount
        figures.input_vat = data.input_vat.amount
        session.add(figures)
        audit.record(
            session,
            actor=actor,
            entity="vat_return",
            entity_id=enterprise.id,
            action="recorded",
            changes={
                "period": data.period,
                "output_vat": f"{figures.output_vat:f}",
                "input_vat": f"{figures.input_vat:f}",
            },
        )
    return figures
