"""The TikTok Shop simulator's returns and money as TikTok's API shows them: a return or refund
(``return_orders``: one return line item per unit, TikTok's return statuses), a finance statement
and the transactions it settled. A part of ``TikTokShopSimulator``, over its ``store``."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Any

from integrations.market_store import MarketStore, StoredAfterSale
from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus

# A return's status as TikTok words it, by what it asks (a return, or money alone).
RETURN_STATUS = {
    RemoteAfterSaleStatus.REQUESTED: "RETURN_OR_REFUND_REQUEST_PENDING",
    RemoteAfterSaleStatus.REFUSED: "REFUND_OR_RETURN_REQUEST_REJECT",
    RemoteAfterSaleStatus.RETURNED: "RETURN_OR_REFUND_REQUEST_SUCCESS",
    RemoteAfterSaleStatus.REFUNDED: "RETURN_OR_REFUND_REQUEST_COMPLETE",
}
APPROVED_STATUS = {True: "AWAITING_BUYER_SHIP", False: "RETURN_OR_REFUND_REQUEST_SUCCESS"}


def _shares(amount: Decimal, units: int) -> list[Decimal]:
    """An amount over some units, to the cent, the last taking what rounding left."""
    units = max(units, 1)
    each = (amount / units).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [each] * (units - 1) + [amount - each * (units - 1)]


class MoneyShapes:
    """Part of ``TikTokShopSimulator``: how its returns, statements and settlements are shown."""

    store: MarketStore

    def _return(self, item: StoredAfterSale) -> dict[str, Any]:
        returned = item.kind == RemoteAfterSaleKind.RETURN_AND_REFUND
        status = (
            APPROVED_STATUS[returned] if item.status == RemoteAfterSaleStatus.APPROVED else RETURN_STATUS[item.status]
        )
        currency = self.store.order(item.order_id).currency
        # One return line item per unit (a refund of money alone: one, for the line's amount), the
        # amount shared out to the cent.
        units = [
            (seller_sku, share) for seller_sku, quantity, amount in item.lines for share in _shares(amount, quantity)
        ]
        total = sum((amount for _sku, _quantity, amount in item.lines), Decimal(0))
        return {
            "return_id": item.id,
            "order_id": item.order_id,
            "return_type": "RETURN_AND_REFUND" if returned else "REFUND",
            "return_status": status,
            "return_reason_text": item.reason,
            "create_time": int(item.created_at.timestamp()),
            "update_time": int(item.updated_at.timestamp()),
            "refund_amount": {"currency": currency, "refund_total": str(total), "refund_subtotal": str(total)},
            "return_line_items": [
                {
                    "return_line_item_id": f"{item.id}-{index}",
                    "order_line_item_id": f"{item.order_id}-{seller_sku}-{index}",
                    "seller_sku": seller_sku,
                    "refund_amount": {
                        "currency": currency,
                        "refund_total": str(amount),
                        "refund_subtotal": str(amount),
                    },
                }
                for index, (seller_sku, amount) in enumerate(units)
            ],
        }

    @staticmethod
    def _statement(payout) -> dict[str, Any]:
        revenue = sum((line.amount for line in payout.transactions if line.kind in ("sale", "refund")), Decimal(0))
        fees = sum((line.fee for line in payout.transactions), Decimal(0))
        return {
            "id": payout.id,
            "statement_time": int(payout.issued_at.timestamp()),
            "settlement_amount": str(payout.net),
            "currency": payout.currency,
            "revenue_amount": str(revenue),
            "fee_amount": str(fees),
            "adjustment_amount": str(payout.net - revenue - fees),
            "payment_status": "PAID" if payout.paid else "PROCESSING",
            "payment_id": f"PAY{payout.id}",
        }

    @staticmethod
    def _settled(line) -> dict[str, Any]:
        ordered = line.kind in ("sale", "refund") and line.order_id
        return {
            "id": line.id,
            "type": "ORDER" if ordered else "ADJUSTMENT",
            **({"order_id": line.order_id, "order_create_time": int(line.at.timestamp())} if ordered else {}),
            "settlement_amount": str(line.net),
            "revenue_amount": str(line.amount) if ordered else "0",
            "fee_tax_amount": str(line.fee),
            **({} if ordered else {"adjustment_amount": str(line.amount)}),
        }
