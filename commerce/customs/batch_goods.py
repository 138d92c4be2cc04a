"""What a batch declares: its orders' goods read with their customs facts, values in CNY and USD,
and the consignor (the platform, declaring as the local consignor).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session

from commerce.catalog.models import Product, ProductTranslation, Sku
from commerce.clusters.models import Enterprise
from commerce.customs.codes import UnmappedCode, customs_code, legal_quantity, trade_unit
from commerce.customs.consolidation import Goods, HeaderKey, LineKey
from commerce.customs.errors import ExchangeRateMissing, UnmappedCustomsCode
from commerce.customs.models import CustomsBatchOrder, CustomsExchangeRate, CustomsPlatform
from commerce.orders.models import CustomsMode, OrderLine, SalesOrder

_batch_order = CustomsBatchOrder.__table__


SIMPLIFIED_MODES = {CustomsMode.CROSS_BORDER_B2B_DIRECT.value, CustomsMode.CROSS_BORDER_B2B_WAREHOUSE.value}


RATED_MODES = SIMPLIFIED_MODES | {CustomsMode.MARKET_PROCUREMENT.value}


@dataclass(slots=True)
class OrderGoods:
    """One order line as customs sees it, with the order and firm facts the declaration needs."""

    goods: Goods
    order_id: int
    order_no: str
    logistics_code: str | None
    logistics_no: str | None
    trade_terms: str
    enterprise_id: int
    owner_name: str
    source_region: str
    item_no: str
    bar_code: str | None
    weight_kg: Decimal
    value_cny: Decimal | None


@dataclass(frozen=True, slots=True)
class Consignor:
    code: str
    name: str
    declaring_customs: str
    default_port: str
    default_traf_mode: str


def consignor_of(session: Session, platform: CustomsPlatform) -> Consignor:
    enterprise = session.get(Enterprise, platform.enterprise_id)
    return Consignor(
        code=platform.customs_registration,
        name=enterprise.name,
        declaring_customs=platform.declaring_customs,
        default_port=platform.exit_ports[0],
        default_traf_mode=platform.transport_modes[0],
    )


def rates_on(session: Session, day: date) -> dict[str, Decimal]:
    """Customs' rate of each currency (CNY for one unit) in force on a day.

    Customs publishes a rate a month: one set before the day's month began is an old month's rate,
    so it is not used, and the currency counts as having no rate (an explicit error where needed).
    """
    latest = (
        select(CustomsExchangeRate.currency, func.max(CustomsExchangeRate.valid_from).label("valid_from"))
        .where(CustomsExchangeRate.valid_from <= day, CustomsExchangeRate.valid_from >= day.replace(day=1))
        .group_by(CustomsExchangeRate.currency)
        .subquery()
    )
    rows = session.execute(
        select(CustomsExchangeRate.currency, CustomsExchangeRate.cny_per_unit).join(
            latest,
            and_(
                latest.c.currency == CustomsExchangeRate.currency,
                latest.c.valid_from == CustomsExchangeRate.valid_from,
            ),
        )
    )
    rates = {currency: rate for currency, rate in rows}
    rates["CNY"] = Decimal("1")
    return rates


def order_goods(
    session: Session, *, batch_id: int, consignor: Consignor, rates: dict[str, Decimal] | None, rate_day: date
) -> list[OrderGoods]:
    """The goods of the batch's orders, each line with its header and line keys."""
    order = SalesOrder.__table__
    line = OrderLine.__table__
    title = ProductTranslation.__table__
    statement = (
        select(
            order.c.id.label("order_id"),
            order.c.external_id,
            order.c.currency,
            order.c.destination_country,
            order.c.arrival_country,
            order.c.exit_port,
            order.c.traf_mode,
            order.c.trade_terms,
            order.c.waybill_no,
            order.c.logistics_code,
            line.c.id.label("line_id"),
            line.c.quantity,
            line.c.unit_price,
            Sku.id.label("sku_id"),
            Sku.sku_code,
            Sku.barcode,
            Sku.weight_kg,
            Product.hs_code,
            Product.declaration_elements,
            Product.legal_unit,
            Product.second_legal_unit,
            Enterprise.id.label("enterprise_id"),
            Enterprise.uscc,
            Enterprise.name.label("enterprise_name"),
            Enterprise.region_code,
            title.c.title,
        )
        .select_from(
            _batch_order.join(order, order.c.id == _batch_order.c.order_id)
            .join(line, line.c.order_id == order.c.id)
            .join(Sku, Sku.id == line.c.sku_id)
            .join(Product, Product.id == line.c.product_id)
            .join(Enterprise, Enterprise.id == line.c.enterprise_id)
            .outerjoin(title, and_(title.c.product_id == Product.id, title.c.locale == "zh-CN"))
        )
        .where(_batch_order.c.batch_id == batch_id)
        .order_by(order.c.id, line.c.id)
    )
    result = []
    for row in session.execute(statement):
        total = row.unit_price * row.quantity
        value_cny = value_usd = None
        if rates is not None:
            value_cny, value_usd = _values(row.currency, total, rates, rate_day)
        _check_codes(row)
        weight = row.weight_kg * row.quantity
        goods = Goods(
            header=HeaderKey(
                consignor_code=consignor.code,
                traf_mode=row.traf_mode or consignor.default_traf_mode,
                owner_code=row.uscc,
                arrival_country=row.arrival_country or row.destination_country,
                exit_port=row.exit_port or consignor.default_port,
            ),
            line=LineKey(destination_country=row.destination_country, hs_code=row.hs_code, currency=row.currency),
            goods_name=(row.title or row.hs_code)[:200],
            goods_model=row.declaration_elements,
            unit=trade_unit(row.legal_unit),
            legal_unit=row.legal_unit,
            second_legal_unit=row.second_legal_unit,
            quantity=Decimal(row.quantity),
            legal_quantity=legal_quantity(row.legal_unit, row.quantity, row.weight_kg),
            second_legal_quantity=legal_quantity(row.second_legal_unit, row.quantity, row.weight_kg)
            if row.second_legal_unit
            else None,
            total_price=total,
            value_cny=value_cny or Decimal("0"),
            value_usd=value_usd or Decimal("0"),
            weight_kg=weight,
            sources=[(row.line_id, row.quantity)],
        )
        result.append(
            OrderGoods(
                goods=goods,
                order_id=row.order_id,
                order_no=row.external_id,
                logistics_code=row.logistics_code,
                logistics_no=row.waybill_no,
                trade_terms=row.trade_terms or "FOB",
                enterprise_id=row.enterprise_id,
                owner_name=row.enterprise_name,
                source_region=row.region_code,
                item_no=item_number(row.sku_id, row.sku_code),
                bar_code=row.barcode,
                weight_kg=weight,
                value_cny=value_cny,
            )
        )
    return result


def _values(currency: str, total: Decimal, rates: dict[str, Decimal], day: date) -> tuple[Decimal, Decimal]:
    if currency not in rates or "USD" not in rates:
        missing = currency if currency not in rates else "USD"
        raise ExchangeRateMissing(currency=missing, day=day.isoformat())
    cny = (total * rates[currency]).quantize(Decimal("0.0001"))
    return cny, (cny / rates["USD"]).quantize(Decimal("0.0001"))


# Customs' item number of a list line holds at most this many characters (export.xsd, itemNo).
ITEM_NUMBER_LENGTH = 20


def item_number(sku_id: int, sku_code: str) -> str:
    """The goods' item number on a list: the firm's SKU code, or the SKU's number here where the code is
    longer than customs takes (a code is never cut: two cut codes could read the same)."""
    return sku_code if len(sku_code) <= ITEM_NUMBER_LENGTH else f"SKU{sku_id}"


def _check_codes(row: Any) -> None:
    try:
        customs_code("currency", row.currency)
        customs_code("country", row.destination_country)
        customs_code("country", row.arrival_country or row.destination_country)
        customs_code("unit", row.legal_unit)
        if row.second_legal_unit:
            customs_code("unit", row.second_legal_unit)
    except UnmappedCode as error:
        raise UnmappedCustomsCode(order=row.external_id, value=error.value, table=error.table) from None
