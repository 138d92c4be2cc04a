"""The simulated shop's orders as the Admin GraphQL API reads them: ``orders`` by update time and
``order`` by id, their line items paged as the query's selection asks, and their refunds and
returns as Shopify shows them: a return from its request on (``REQUESTED``, ``OPEN`` once
approved, ``DECLINED``, ``CLOSED`` once its goods are back), a refund once the money is paid back
(a return's refund names its return; a refund of unshipped units restocks them as ``CANCEL``; an
amount alone has no line items)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, value_from_ast_untyped

from integrations.market_store import MarketStore, StoredAfterSale, StoreRefusal
from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus, RemoteOrderStatus
from integrations.shopify.simulator_ids import local_id

RETURN_STATUS = {
    RemoteAfterSaleStatus.REQUESTED: "REQUESTED",
    RemoteAfterSaleStatus.APPROVED: "OPEN",
    RemoteAfterSaleStatus.REFUSED: "DECLINED",
    RemoteAfterSaleStatus.RETURNED: "CLOSED",
    RemoteAfterSaleStatus.REFUNDED: "CLOSED",
}
RESTOCK_TYPE = {
    RemoteAfterSaleKind.REFUND_ONLY: "CANCEL",
    RemoteAfterSaleKind.RETURN_AND_REFUND: "RETURN",
}


class OrderFields:
    """Part of ``ShopifySimulator``: the root fields of orders, over its ``store``."""

    store: MarketStore
    _selection: FieldNode

    def _field_node(self, name: str) -> FieldNode | None:
        """The field of that name the current root field selects, at any depth."""
        stack = [self._selection]
        while stack:
            node = stack.pop()
            for child in node.selection_set.selections if node.selection_set else []:
                if isinstance(child, FieldNode) and child.name.value == name:
                    return child
                if getattr(child, "selection_set", None) is not None:
                    stack.append(child)
        return None

    def _window(self, name: str, variables: dict, *, connection: bool = True) -> tuple[int, int] | None:
        """The ``first`` and ``after`` of a connection the current root field selects (None when it
        is not selected; Shopify requires ``first`` or ``last`` on a connection, and a plain list
        without ``first`` is whole)."""
        found = self._field_node(name)
        if found is None:
            return None
        arguments = {
            argument.name.value: value_from_ast_untyped(argument.value, variables) for argument in found.arguments
        }
        if "first" not in arguments:
            if not connection:
                return 250, 0
            raise StoreRefusal("invalid", f"you must provide one of first or last on {name}")
        return int(arguments["first"]), int(arguments.get("after") or 0)

    def _lines(self, order, variables: dict) -> dict[str, Any] | None:
        window = self._window("lineItems", variables)
        if window is None:
            return None
        first, start = window
        page = order.lines[start : start + first]
        more = start + first < len(order.lines)
        return {
            "nodes": [
                {
                    "sku": sku,
                    "quantity": quantity,
                    "originalUnitPriceSet": {
                        "shopMoney": {"amount": str(price), "currencyCode": order.currency or "USD"}
                    },
                }
                for sku, quantity, price in page
            ],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + first) if more else None},
        }

    def _order(self, order, variables: dict) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/Order/{order.id}",
            "legacyResourceId": order.id,
            "name": f"#{order.id}",
            "displayFinancialStatus": "PENDING" if order.status == RemoteOrderStatus.UNPAID else "PAID",
            "displayFulfillmentStatus": "FULFILLED"
            if order.status in (RemoteOrderStatus.SHIPPED, RemoteOrderStatus.COMPLETED)
            else "UNFULFILLED",
            "cancelledAt": order.updated_at.isoformat() if order.status == RemoteOrderStatus.CANCELLED else None,
            "updatedAt": order.updated_at.isoformat(),
            "currencyCode": order.currency or "USD",
            "customer": {"displayName": order.buyer_name},
            "shippingAddress": {"countryCodeV2": order.buyer_country},
            "lineItems": self._lines(order, variables),
            **self._after_sales(order, variables),
        }

    def _after_sales(self, order, variables: dict) -> dict[str, Any]:
        """The order's ``refunds`` and ``returns``, where the query selects them."""
        fields: dict[str, Any] = {}
        after_sales = sorted(self.store.after_sales_of(order.id), key=lambda after_sale: int(after_sale.id))
        currency = order.currency or "USD"
        refunds = self._window("refunds", variables, connection=False)
        if refunds is not None:
            refunded = [item for item in after_sales if item.status == RemoteAfterSaleStatus.REFUNDED]
            fields["refunds"] = [self._refund(item, currency) for item in refunded[: refunds[0]]]
        returns = self._window("returns", variables)
        if returns is not None:
            kept = [item for item in after_sales if item.kind == RemoteAfterSaleKind.RETURN_AND_REFUND]
            page = kept[returns[1] : returns[1] + returns[0]]
            more = returns[1] + returns[0] < len(kept)
            fields["returns"] = {
                "nodes": [self._return(item, currency) for item in page],
                "pageInfo": {"hasNextPage": more, "endCursor": str(returns[1] + returns[0]) if more else None},
            }
        return fields

    @staticmethod
    def _money(amount, currency: str) -> dict[str, Any]:
        return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}

    def _refund(self, item: StoredAfterSale, currency: str) -> dict[str, Any]:
        restock = RESTOCK_TYPE.get(item.kind)
        lines = (
            [
                {
                    "quantity": quantity,
                    "restockType": restock,
                    "lineItem": {"sku": sku},
                    "subtotalSet": self._money(amount, currency),
                }
                for sku, quantity, amount in item.lines
            ]
            if restock is not None
            else []
        )
        return {
            "id": f"gid://shopify/Refund/{item.id}",
            "legacyResourceId": item.id,
            "createdAt": item.updated_at.isoformat(),
            "updatedAt": item.updated_at.isoformat(),
            "note": item.reason or None,
            "return": {"id": f"gid://shopify/Return/{item.id}"} if restock == "RETURN" else None,
            "totalRefundedSet": self._money(sum(amount for _sku, _quantity, amount in item.lines), currency),
            "refundLineItems": {"nodes": lines},
        }

    def _return(self, item: StoredAfterSale, currency: str) -> dict[str, Any]:
        status = RETURN_STATUS[item.status]
        return {
            "id": f"gid://shopify/Return/{item.id}",
            "name": f"#R{item.id}",
            "status": status,
            "createdAt": item.created_at.isoformat(),
            "requestApprovedAt": item.updated_at.isoformat() if status in ("OPEN", "CLOSED") else None,
            "closedAt": item.updated_at.isoformat() if status == "CLOSED" else None,
            "returnLineItems": {
                "nodes": [
                    {
                        "quantity": quantity,
                        "returnReasonNote": item.reason,
                        "fulfillmentLineItem": {"lineItem": {"sku": sku}},
                        "withCodeDiscountedTotalPriceSet": self._money(amount, currency),
                    }
                    for sku, quantity, amount in item.lines
                ]
            },
        }

    def _field_orders(self, variables: dict) -> dict:
        query = variables.get("query") or ""
        since = datetime.min.replace(tzinfo=UTC)
        if query.startswith("updated_at:>="):
            since = datetime.fromisoformat(query.removeprefix("updated_at:>=").strip("'\""))
        orders = self.store.orders_since(since)
        start = int(variables.get("after") or 0)
        first = int(variables.get("first") or 50)
        page = orders[start : start + first]
        more = start + first < len(orders)
        return {
            "nodes": [self._order(order, variables) for order in page],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + first) if more else None},
        }

    def _field_order(self, variables: dict) -> dict | None:
        return self._order(self.store.order(local_id(variables["id"], "Order")), variables)
