"""The simulated shop's Shopify Payments account as the Admin GraphQL API reads it: its payouts
(``query`` by ``issued_at``) and the balance transactions each carried (``query`` by
``payments_transfer_id``), paged by ``first`` and ``after``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, value_from_ast_untyped

from integrations.market_store import MarketStore, StoredPayout, StoredTransaction

TRANSACTION_TYPES = {"sale": "CHARGE", "refund": "REFUND", "fee": "REFERRAL_FEE", "adjustment": "ADJUSTMENT"}


def _money(amount, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


class PaymentFields:
    """Part of ``ShopifySimulator``: the ``shopifyPaymentsAccount`` root field, over its ``store``."""

    store: MarketStore
    _selection: FieldNode

    def _arguments(self, name: str, variables: dict) -> dict[str, Any] | None:
        for child in self._selection.selection_set.selections:
            if isinstance(child, FieldNode) and child.name.value == name:
                return {
                    argument.name.value: value_from_ast_untyped(argument.value, variables)
                    for argument in child.arguments
                }
        return None

    @staticmethod
    def _page(items: list, arguments: dict, render) -> dict[str, Any]:
        start = int(arguments.get("after") or 0)
        first = int(arguments["first"])
        page = items[start : start + first]
        more = start + first < len(items)
        return {
            "nodes": [render(item) for item in page],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + first) if more else None},
        }

    def _field_shopifyPaymentsAccount(self, variables: dict) -> dict[str, Any]:
        account: dict[str, Any] = {}
        payouts = self._arguments("payouts", variables)
        if payouts is not None:
            since = datetime.min.replace(tzinfo=UTC)
            query = payouts.get("query") or ""
            if query.startswith("issued_at:>="):
                since = datetime.fromisoformat(query.removeprefix("issued_at:>=")).replace(tzinfo=UTC)
            account["payouts"] = self._page(self.store.payouts_since(since), payouts, self._payout)
        transactions = self._arguments("balanceTransactions", variables)
        if transactions is not None:
            query = transactions.get("query") or ""
            found: list[tuple[StoredPayout, StoredTransaction]] = []
            if query.startswith("payments_transfer_id:"):
                payout = self.store.payout(query.removeprefix("payments_transfer_id:"))
                found = [(payout, line) for line in payout.transactions]
            account["balanceTransactions"] = self._page(found, transactions, self._transaction)
        return account

    @staticmethod
    def _payout(payout: StoredPayout) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/ShopifyPaymentsPayout/{payout.id}",
            "legacyResourceId": payout.id,
            "issuedAt": payout.issued_at.isoformat(),
            "status": "PAID" if payout.paid else "IN_TRANSIT",
            "net": _money(payout.net, payout.currency),
        }

    @staticmethod
    def _transaction(item: tuple[StoredPayout, StoredTransaction]) -> dict[str, Any]:
        payout, line = item
        return {
            "id": f"gid://shopify/ShopifyPaymentsBalanceTransaction/{line.id}",
            "type": TRANSACTION_TYPES[line.kind],
            "amount": _money(line.amount, payout.currency),
            "fee": _money(-line.fee, payout.currency),
            "net": _money(line.net, payout.currency),
            "associatedOrder": {"id": f"gid://shopify/Order/{line.order_id}"} if line.order_id else None,
            "transactionDate": line.at.isoformat(),
        }
