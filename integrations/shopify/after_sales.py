"""An order's refunds and returns as the Admin GraphQL API gives them, in our words.

A return (``Return``) is one after-sale from the buyer's request on: ``REQUESTED``, ``OPEN``
(approved), ``DECLINED`` or ``CANCELED`` (refused or withdrawn), ``CLOSED`` (its goods are back);
once a refund names it (``Refund.return``), it is refunded. A refund that names no return is an
after-sale of its own, refunded when made: its lines restocked as ``CANCEL`` are units refunded
before they shipped, as ``RETURN`` (or the legacy restock) units that came back, and those not
restocked money alone; a refund without line items is an amount on the order as a whole (seller
SKU ``""``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.marketplace import (
    RemoteAfterSale,
    RemoteAfterSaleKind,
    RemoteAfterSaleLine,
    RemoteAfterSaleStatus,
)

RETURN_STATUS = {
    "REQUESTED": RemoteAfterSaleStatus.REQUESTED,
    "OPEN": RemoteAfterSaleStatus.APPROVED,
    "DECLINED": RemoteAfterSaleStatus.REFUSED,
    "CANCELED": RemoteAfterSaleStatus.REFUSED,
    "CLOSED": RemoteAfterSaleStatus.RETURNED,
}
RESTOCK_KIND = {
    "CANCEL": RemoteAfterSaleKind.REFUND_ONLY,
    "RETURN": RemoteAfterSaleKind.RETURN_AND_REFUND,
    "LEGACY_RESTOCK": RemoteAfterSaleKind.RETURN_AND_REFUND,
    "NO_RESTOCK": RemoteAfterSaleKind.PARTIAL_REFUND,
}


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _amount(money: Mapping[str, Any]) -> Decimal:
    return Decimal(money["shopMoney"]["amount"])


def _return(node: Mapping[str, Any], order_id: str, currency: str, refund: Mapping[str, Any] | None) -> RemoteAfterSale:
    lines = []
    reasons = []
    for item in node["returnLineItems"]["nodes"]:
        sku = ((item.get("fulfillmentLineItem") or {}).get("lineItem") or {}).get("sku") or ""
        amount = (
            _amount(item["withCodeDiscountedTotalPriceSet"]) if item.get("withCodeDiscountedTotalPriceSet") else None
        )
        lines.append(RemoteAfterSaleLine(sku, int(item["quantity"]), amount if amount is not None else Decimal(0)))
        if item.get("returnReasonNote"):
            reasons.append(item["returnReasonNote"])
    status = RemoteAfterSaleStatus.REFUNDED if refund is not None else RETURN_STATUS[node["status"]]
    moments = [node.get("createdAt"), node.get("requestApprovedAt"), node.get("closedAt")]
    moments += [refund.get("updatedAt")] if refund is not None else []
    return RemoteAfterSale(
        external_id=f"return:{node['id'].rsplit('/', 1)[-1]}",
        order_external_id=order_id,
        kind=RemoteAfterSaleKind.RETURN_AND_REFUND,
        status=status,
        currency=currency,
        lines=tuple(lines),
        reason="; ".join(reasons) or node.get("name") or "",
        updated_at=max(moment for moment in map(_moment, moments) if moment is not None),
    )


def _refunds(node: Mapping[str, Any], order_id: str, currency: str) -> list[RemoteAfterSale]:
    """A refund naming no return: its lines by what became of their units (one after-sale each)."""
    grouped: dict[RemoteAfterSaleKind, list[RemoteAfterSaleLine]] = defaultdict(list)
    for item in node["refundLineItems"]["nodes"]:
        kind = RESTOCK_KIND.get(item["restockType"], RemoteAfterSaleKind.PARTIAL_REFUND)
        quantity = 0 if kind == RemoteAfterSaleKind.PARTIAL_REFUND else int(item["quantity"])
        grouped[kind].append(
            RemoteAfterSaleLine(item["lineItem"].get("sku") or "", quantity, _amount(item["subtotalSet"]))
        )
    if not grouped:
        total = _amount(node["totalRefundedSet"])
        if total <= 0:
            return []
        grouped[RemoteAfterSaleKind.PARTIAL_REFUND].append(RemoteAfterSaleLine("", 0, total))
    number = str(node["legacyResourceId"])
    return [
        RemoteAfterSale(
            external_id=f"refund:{number}" if len(grouped) == 1 else f"refund:{number}:{kind.value}",
            order_external_id=order_id,
            kind=kind,
            status=RemoteAfterSaleStatus.REFUNDED,
            currency=currency,
            lines=tuple(lines),
            reason=node.get("note") or "",
            updated_at=_moment(node.get("updatedAt") or node.get("createdAt")),
        )
        for kind, lines in grouped.items()
    ]


def after_sales_of(order: Mapping[str, Any]) -> list[RemoteAfterSale]:
    """The refunds and returns of an order node (``AFTER_SALE_FIELDS``)."""
    order_id = str(order["legacyResourceId"])
    currency = order["currencyCode"]
    refunds = order.get("refunds") or []
    refund_of_return = {refund["return"]["id"]: refund for refund in refunds if refund.get("return")}
    found = [
        _return(node, order_id, currency, refund_of_return.get(node["id"]))
        for node in (order.get("returns") or {}).get("nodes") or []
    ]
    for refund in refunds:
        if not refund.get("return"):
            found += _refunds(refund, order_id, currency)
    return found
