"""Reading a TikTok Shop seller's finance statements and the transactions each settled: a part of
``TikTokShopClient``, over its signed ``call``.

A statement (``/finance/202309/statements``) is what TikTok settles to the seller for a stretch:
its ``settlement_amount`` is paid once ``payment_status`` is ``PAID``. Its transactions
(``/finance/202501/statements/{id}/statement_transactions``) are each an order's settlement
(``ORDER``: revenue less fees and taxes; a negative revenue is money back to the buyer) or an
adjustment; ``fee_tax_amount`` is TikTok's share (negative), the rest of ``settlement_amount``
the goods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from integrations.marketplace import (
    PayoutsPage,
    RemotePayout,
    RemoteTransaction,
    TransactionKind,
    TransactionsPage,
)

STATEMENTS_PAGE = 50
TRANSACTIONS_PAGE = 100


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


class FinanceReading:
    """Part of ``TikTokShopClient``: statements and their transactions."""

    call: Callable[..., dict[str, Any]]

    def fetch_payouts(self, *, issued_since: datetime, cursor: str | None) -> PayoutsPage:
        data = self.call(
            "GET",
            "/finance/202309/statements",
            query={
                "statement_time_ge": int(issued_since.timestamp()),
                "page_size": STATEMENTS_PAGE,
                "page_token": cursor,
                "sort_field": "statement_time",
                "sort_order": "ASC",
            },
        )
        return PayoutsPage(
            tuple(
                RemotePayout(
                    external_id=str(item["id"]),
                    status=item.get("payment_status") or "",
                    paid=item.get("payment_status") == "PAID",
                    issued_at=datetime.fromtimestamp(int(item["statement_time"]), UTC),
                    currency=item.get("currency") or "",
                    net=_amount(item.get("settlement_amount")),
                )
                for item in data.get("statements") or []
            ),
            data.get("next_page_token") or None,
        )

    def fetch_payout_transactions(self, payout_external_id: str, *, cursor: str | None) -> TransactionsPage:
        data = self.call(
            "GET",
            f"/finance/202501/statements/{payout_external_id}/statement_transactions",
            query={
                "page_size": TRANSACTIONS_PAGE,
                "page_token": cursor,
                "sort_field": "order_create_time",
                "sort_order": "ASC",
            },
        )
        moment = datetime.fromtimestamp(int(data.get("create_time") or 0), UTC)
        return TransactionsPage(
            tuple(self._transaction(item, moment) for item in data.get("transactions") or []),
            data.get("next_page_token") or None,
        )

    @staticmethod
    def _transaction(item: Mapping[str, Any], settled_at: datetime) -> RemoteTransaction:
        net = _amount(item.get("settlement_amount"))
        fee = _amount(item.get("fee_tax_amount"))
        revenue = _amount(item.get("revenue_amount"))
        if item.get("type") == "ORDER":
            kind = TransactionKind.REFUND if revenue < 0 else TransactionKind.SALE
        else:
            kind = TransactionKind.ADJUSTMENT
        created = item.get("order_create_time")
        return RemoteTransaction(
            external_id=str(item["id"]),
            kind=kind,
            order_external_id=str(item["order_id"]) if item.get("order_id") else None,
            amount=net - fee,
            fee=fee,
            net=net,
            occurred_at=datetime.fromtimestamp(int(created), UTC) if created else settled_at,
        )
