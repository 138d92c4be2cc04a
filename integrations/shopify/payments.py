"""Reading a shop's Shopify Payments payouts and the balance transactions each carried: a part of
``ShopifyClient``, over its paced ``graphql`` call.

A ``CHARGE`` is a buyer's payment (its ``fee`` is Shopify's), a ``REFUND`` money back to a buyer,
fee types Shopify's charges standing alone, and every other type an adjustment. A payout is paid
once its status is ``PAID``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.marketplace import (
    PayoutsPage,
    RemotePayout,
    RemoteTransaction,
    TransactionKind,
    TransactionsPage,
)
from integrations.shopify.queries import (
    PAYOUT_TRANSACTIONS,
    PAYOUT_TRANSACTIONS_FIRST,
    PAYOUTS,
    PAYOUTS_FIRST,
    REQUESTED_COST,
)

KINDS = {
    "CHARGE": TransactionKind.SALE,
    "REFUND": TransactionKind.REFUND,
    "STRIPE_FEE": TransactionKind.FEE,
    "REFERRAL_FEE": TransactionKind.FEE,
    "REFERRAL_FEE_TAX": TransactionKind.FEE,
    "CHARGEBACK_FEE": TransactionKind.FEE,
    "SHIPPING_LABEL": TransactionKind.FEE,
    "BILLING_DEBIT": TransactionKind.FEE,
}


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _tail(gid: str) -> str:
    return gid.rsplit("/", 1)[-1]


class PaymentsReading:
    """Part of ``ShopifyClient``: payouts and their balance transactions."""

    graphql: Callable[..., dict[str, Any]]

    def fetch_payouts(self, *, issued_since: datetime, cursor: str | None) -> PayoutsPage:
        account = self.graphql(
            PAYOUTS,
            {"first": PAYOUTS_FIRST, "after": cursor, "query": f"issued_at:>={issued_since.date().isoformat()}"},
            cost=REQUESTED_COST["payouts"],
        )["shopifyPaymentsAccount"]
        if account is None:
            return PayoutsPage((), None)  # the shop does not take Shopify Payments: nothing is paid out
        connection = account["payouts"]
        info = connection["pageInfo"]
        return PayoutsPage(
            tuple(
                RemotePayout(
                    external_id=str(node["legacyResourceId"]),
                    status=node["status"],
                    paid=node["status"] == "PAID",
                    issued_at=_moment(node["issuedAt"]),
                    currency=node["net"]["currencyCode"],
                    net=Decimal(node["net"]["amount"]),
                )
                for node in connection["nodes"]
                if _moment(node["issuedAt"]) >= issued_since
            ),
            info["endCursor"] if info["hasNextPage"] else None,
        )

    def fetch_payout_transactions(self, payout_external_id: str, *, cursor: str | None) -> TransactionsPage:
        connection = self.graphql(
            PAYOUT_TRANSACTIONS,
            {
                "first": PAYOUT_TRANSACTIONS_FIRST,
                "after": cursor,
                "query": f"payments_transfer_id:{payout_external_id}",
            },
            cost=REQUESTED_COST["payoutTransactions"],
        )["shopifyPaymentsAccount"]["balanceTransactions"]
        info = connection["pageInfo"]
        return TransactionsPage(
            tuple(self._transaction(node) for node in connection["nodes"]),
            info["endCursor"] if info["hasNextPage"] else None,
        )

    @staticmethod
    def _transaction(node: Mapping[str, Any]) -> RemoteTransaction:
        order = node.get("associatedOrder") or {}
        return RemoteTransaction(
            external_id=_tail(node["id"]),
            kind=KINDS.get(node["type"], TransactionKind.ADJUSTMENT),
            order_external_id=_tail(order["id"]) if order.get("id") else None,
            amount=Decimal(node["amount"]["amount"]),
            fee=-abs(Decimal(node["fee"]["amount"])),
            net=Decimal(node["net"]["amount"]),
            occurred_at=_moment(node["transactionDate"]),
        )
